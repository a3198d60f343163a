/**
 * `gluegen generate --points FILE.ply`: flag parsing and cross-checks; runs through the bundled
 * world's generator and native text encoder (the unconditional) with a stand-in point-cloud encoder
 * and a random GlueNet resolved by the short name world-pointcloud; malformed files as one-line
 * usage errors from the real command line.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../src/cli/command.js';
import { generateCommand, parseGenerateArgs, runGenerate } from '../../src/cli/generate.js';
import type { EncodedBatch, Encoder } from '../../src/encoders/types.js';
import { writePly } from '../../src/io/ply.js';
import { readPngText } from '../../src/io/png.js';
import { DEFAULT_LOADERS, type GenerateLoaders } from '../../src/pipeline/loaders.js';
import { parseParameters } from '../../src/pipeline/metadata.js';
import { fakePointCloudEncoder } from '../helpers/fake-pointcloud.js';
import { decodePng } from '../helpers/png-decode.js';
import { saveRandomGlueNet } from '../helpers/random-gluenet.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const ASSETS = fileURLToPath(new URL('../../../assets/world/', import.meta.url));
const TINY = fileURLToPath(new URL('../../../test/fixtures/sd/tiny-sd/', import.meta.url));
const worldSkip = ['generator', 'text-encoder'].every((p) => fs.existsSync(path.join(ASSETS, p, 'config.json')))
  ? false
  : 'the world is not built in assets/world';

let tmp: string;
let red: string;
let blue: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gluegen-points-'));
  const ring = (n: number, r: number): Float32Array =>
    Float32Array.from({ length: 3 * n }, (_, i) => (i % 3 === 2 ? 0 : r * Math[i % 3 ? 'sin' : 'cos']((2 * Math.PI * Math.floor(i / 3)) / n)));
  red = path.join(tmp, 'red.ply');
  blue = path.join(tmp, 'blue.ply');
  fs.writeFileSync(red, writePly({ positions: ring(64, 1), colours: new Float32Array(192).map((_, i) => (i % 3 === 0 ? 0.9 : 0.1)) }, 'ascii'));
  fs.writeFileSync(
    blue,
    writePly({ positions: ring(40, 0.5), colours: new Float32Array(120).map((_, i) => (i % 3 === 2 ? 0.9 : 0.1)) }, 'binary_little_endian'),
  );
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const quiet = { write: () => true };

test('--points is repeatable, implies the world point-cloud encoder and its GlueNet, and refuses what it cannot combine with', () => {
  const a = parseGenerateArgs(['--generator', 'world', '--points', 'a.ply', '--points', 'b.ply', '--out', 'x.png']);
  assert.deepEqual([a.points, a.encoder, a.gluenet, a.prompt, a.audio], [['a.ply', 'b.ply'], 'world-pointcloud', null, null, null]);
  const b = parseGenerateArgs(['--generator', 'sd', '--points', 'a.ply', '--encoder', 'e', '--gluenet', 'g', '--text-encoder', 't', '--out', 'x.png']);
  assert.deepEqual([b.points, b.textEncoder], [['a.ply'], 't']);
  const bad: [string[], RegExp][] = [
    [['--generator', 'world', '--points', 'a.ply', '--audio', 'a.wav', '--out', 'x.png'], /--points and --audio are different inputs/],
    [['--generator', 'world', '--points', 'a.ply', '--prompt', 'a star', '--out', 'x.png'], /--points takes no --prompt/],
    [
      ['--generator', 'sd', '--points', 'a.ply', '--encoder', 'e', '--out', 'x.png'],
      /--points needs --encoder DIR \(the point-cloud encoder, e\.g\. world-pointcloud\) and --gluenet DIR/,
    ],
    [
      ['--generator', 'world', '--encoder', 'world-sound', '--points', 'a.ply', '--out', 'x.png'],
      /--encoder world-sound takes sounds, not point clouds; pass --audio FILE\.wav/,
    ],
    [
      ['--generator', 'world', '--encoder', 'world-pointcloud', '--prompt', 'a star', '--out', 'x.png'],
      /--encoder world-pointcloud takes point clouds, not text; pass --points FILE\.ply/,
    ],
    [['--generator', 'world', '--points', 'a.ply', '--mix', 'avg:0.5', '--out', 'x.png'], /--mix needs both --audio/],
    [['--generator', 'world', ...Array.from({ length: 17 }, (_, i) => ['--points', `${i}.ply`]).flat(), '--out', 'x.png'], /17 --points files; at most 16/],
  ];
  assert.match(generateCommand.usage, /--points FILE\.ply +a point cloud \(PLY, ascii or binary little-endian/);
  assert.match(generateCommand.usage, /--encoder world-pointcloud --points star\.ply/);
  for (const [argv, re] of bad) {
    assert.throws(
      () => parseGenerateArgs(argv),
      (e: unknown) => e instanceof UsageError && re.test(e.message),
      argv.join(' '),
    );
  }
});

test('world-pointcloud resolves to the world folders; each cloud gives its image, named in the PNG metadata', { skip: worldSkip }, async () => {
  // A world folder with the shipped generator and native encoder, a stand-in encoder folder and a random GlueNet.
  const world = path.join(tmp, 'world');
  fs.mkdirSync(path.join(world, 'pointcloud-encoder'), { recursive: true });
  for (const part of ['generator', 'text-encoder']) fs.symlinkSync(path.join(ASSETS, part), path.join(world, part));
  fs.writeFileSync(path.join(world, 'pointcloud-encoder', 'config.json'), JSON.stringify({ _class_name: 'WorldPointCloudEncoder' }));
  await saveRandomGlueNet(
    path.join(world, 'gluenet-pointcloud'),
    { arch: 'translator_w_head', tokens_in: 8, tokens_out: 16, dim_in: 16, dim_out: 128, mult: 1, depth: 3, cond_norm: new Array(16).fill(11) },
    5,
  );
  const fake = fakePointCloudEncoder(8, 16, 'world-pointcloud');
  const log: string[] = [];
  const loaders: GenerateLoaders = { ...DEFAULT_LOADERS, pointCloudEncoder: async (dir) => (log.push(path.basename(dir)), fake) };
  const messages: string[] = [];
  process.env.GLUEGEN_WORLD_DIR = world;
  try {
    const out = path.join(tmp, 'out', 'cloud.png');
    const argv = [
      '--generator',
      'world',
      '--points',
      red,
      '--points',
      blue,
      '--steps',
      '3',
      '--guidance',
      '3',
      '--scheduler',
      'ddim',
      '--seed',
      '7',
      '--out',
      out,
    ];
    const paths = await runGenerate(parseGenerateArgs(argv), loaders, { log: (l) => messages.push(l), progress: quiet });
    assert.deepEqual(log, ['pointcloud-encoder']);
    assert.deepEqual(
      paths.map((p) => path.basename(p)),
      ['cloud-0.png', 'cloud-1.png'],
    );
    assert.deepEqual(
      fake.seen.map((c) => [c.positions.length, c.colours?.length, path.basename(c.source!)]),
      [
        [192, 192, 'red.ply'],
        [120, 120, 'blue.ply'],
      ],
    );
    const [a, b] = paths.map((p) => decodePng(fs.readFileSync(p)));
    assert.deepEqual([a!.width, a!.height], [32, 32]);
    assert.notDeepEqual(a!.pixels, b!.pixels, 'different clouds, different images');
    const params = parseParameters(readPngText(fs.readFileSync(paths[0]!)).parameters!);
    assert.equal(params.values.Encoder, 'world-pointcloud');
    assert.equal(params.values.GlueNet, 'world-pointcloud');
    assert.equal(params.values['Point cloud'], 'red.ply');
    assert.match(messages.at(-1)!, /unconditional from native-text-encoder/);
  } finally {
    delete process.env.GLUEGEN_WORLD_DIR;
  }
});

/** A text encoder where a point-cloud encoder belongs. */
const textStub: Encoder<'text'> = {
  info: { name: 'stub-text', modality: 'text', tokens: 77, dim: 768 },
  async encode(inputs): Promise<EncodedBatch> {
    return { features: new Float32Array(inputs.length * 77 * 768), batch: inputs.length, tokens: 77, dim: 768 };
  },
  async release() {},
};

test('an encoder that takes text is refused for --points before anything is drawn; a negative prompt needs the text encoder', async () => {
  const stubs = (pc: () => Promise<Encoder<'pointcloud'>>): GenerateLoaders => ({
    ...DEFAULT_LOADERS,
    textEncoder: async () => textStub,
    pointCloudEncoder: pc,
    aligner: async () => ({ align: (_f: Float32Array, b: number) => new Float32Array(b * 77 * 768), release: async () => {} }),
  });
  const argv = ['--generator', TINY, '--points', red, '--encoder', 'enc', '--gluenet', 'g', '--steps', '1', '--out', path.join(tmp, 'w.png')];
  await assert.rejects(
    runGenerate(
      parseGenerateArgs(argv),
      stubs(async () => textStub as unknown as Encoder<'pointcloud'>),
      { log: () => {}, progress: quiet },
    ),
    (e: unknown) => e instanceof UsageError && /--encoder 'enc' takes text, not point clouds/.test(e.message),
  );
  await assert.rejects(
    runGenerate(
      parseGenerateArgs([...argv, '--negative-prompt', 'blurry']),
      stubs(async () => fakePointCloudEncoder(77, 8)),
      { log: () => {}, progress: quiet },
    ),
    /a negative prompt with point-cloud inputs goes through the generator's own text encoder/,
  );
});

function gluegen(...args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { timeout: 30_000, env: { ...process.env, GLUEGEN_DEBUG: '' } }, (err, _stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stderr });
    });
  });
}

test('malformed PLY files end the command with one line naming the file and the problem, exit code 2', async () => {
  const cases: [string, string, RegExp][] = [
    [
      'big.ply',
      'ply\nformat binary_big_endian 1.0\nelement vertex 1\nproperty float x\nend_header\n',
      /big\.ply: header line 2: binary_big_endian PLY is not supported; convert it/,
    ],
    [
      'short.ply',
      'ply\nformat ascii 1.0\nelement vertex 1000000\nproperty float x\nproperty float y\nproperty float z\nend_header\n0 0 0\n',
      /short\.ply: truncated: the header declares 1000000 rows/,
    ],
    [
      'nan.ply',
      'ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nend_header\n0 nan 0\n',
      /nan\.ply: line 8 \(vertex 0\): y is NaN/,
    ],
    ['text.ply', 'hello', /text\.ply: does not start with the line 'ply'/],
  ];
  for (const [name, body, re] of cases) {
    fs.writeFileSync(path.join(tmp, name), body);
    const r = await gluegen('generate', '--generator', 'world', '--points', path.join(tmp, name), '--out', path.join(tmp, 'never.png'));
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^gluegen: generate: (--points |cannot read --points )/);
    assert.match(lines[0]!, re);
  }
  const r = await gluegen('generate', '--generator', 'world', '--points', path.join(tmp, 'missing.ply'), '--out', path.join(tmp, 'never.png'));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot read --points '.*missing\.ply'/);
});
