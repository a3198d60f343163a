/**
 * `gluegen generate`: flag parsing and cross-checks, and runs on the tiny SD export with stub
 * encoders / aligner (the loaders are injected), writing PNG files.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../src/cli/command.js';
import { type GenerateLoaders, generateCommand, parseGenerateArgs, runGenerate } from '../../src/cli/generate.js';
import { encodeWav } from '../../src/encoders/audio/index.js';
import type { EncodedBatch, Encoder, Modality } from '../../src/encoders/types.js';
import { SdOnnxGenerator } from '../../src/generators/sd/index.js';
import { Rng } from '../../src/util/rng.js';
import { decodePng } from '../helpers/png-decode.js';

const TINY = fileURLToPath(new URL('../../../test/fixtures/sd/tiny-sd/', import.meta.url));
let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gluegen-generate-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const quiet = { write: () => true };
const base = ['--generator', TINY, '--encoder', 'enc', '--out', 'x.png'];

test('parses flags with the documented defaults', () => {
  const a = parseGenerateArgs([...base, '--prompt', 'a cat']);
  assert.deepEqual(
    {
      steps: a.steps,
      guidance: a.guidance,
      scheduler: a.scheduler,
      seed: a.seed,
      batch: a.batch,
      device: a.device,
      height: a.height,
      gluenet: a.gluenet,
      mix: a.mix,
    },
    { steps: 50, guidance: 7.5, scheduler: 'default', seed: 42, batch: 1, device: 'cpu', height: null, gluenet: null, mix: null },
  );
  const b = parseGenerateArgs([
    ...base,
    '--audio',
    'dog.wav',
    '--gluenet',
    'g',
    '--prompt',
    'oil painting',
    '--mix',
    'splice:5',
    '--steps',
    '20',
    '--scheduler',
    'dpmpp2m',
    '--height',
    '256',
    '--width',
    '384',
    '--device',
    'cuda',
  ]);
  assert.deepEqual([b.mix, b.steps, b.scheduler, b.height, b.width, b.device], [{ kind: 'splice', split: 5 }, 20, 'dpmpp2m', 256, 384, 'cuda']);
});

test('bad flag combinations are usage errors that say what to pass', () => {
  const bad: [string[], RegExp][] = [
    [[...base], /pass --prompt TEXT, --audio FILE.wav or --points FILE.ply/],
    [['--encoder', 'e', '--out', 'x.png', '--prompt', 'p'], /--generator is required/],
    [[...base, '--audio', 'a.wav'], /--audio needs --encoder DIR \(the audio encoder\) and --gluenet DIR/],
    [['--generator', 'g', '--out', 'x.png', '--audio', 'a.wav', '--gluenet', 'g'], /--audio needs --encoder DIR/],
    [['--generator', 'g', '--out', 'x.png', '--prompt', 'p', '--gluenet', 'g'], /--gluenet needs --encoder DIR/],
    [[...base, '--prompt', 'p', '--mix', 'avg:0.5'], /--mix needs both --audio .* and --prompt/],
    [[...base, '--audio', 'a.wav', '--gluenet', 'g', '--prompt', 'p'], /--audio with --prompt needs --mix/],
    [[...base, '--audio', 'a.wav', '--gluenet', 'g', '--prompt', 'p', '--mix', 'splice:x'], /--mix 'splice:x' is not understood/],
    [[...base, '--prompt', 'p', '--scheduler', 'lms'], /--scheduler must be one of ddim, pndm, euler, dpmpp2m, lcm, got 'lms'/],
    [[...base, '--prompt', 'p', '--height', '500'], /--height must be a multiple of 8, got 500/],
    [[...base, '--prompt', 'p', '--device', 'gpu'], /--device must be cpu or cuda, got 'gpu'/],
    [[...base, '--prompt', 'p', '--steps', '0'], /--steps must be an integer >= 1/],
    [[...base, '--prompt', 'p', '--text-encoder', 't'], /--text-encoder is for audio and point-cloud runs/],
    [['--generator', 'g', '--encoder', 'e', '--out', 'x.jpg', '--prompt', 'p'], /--out 'x.jpg' must end in .png/],
    [[...base, '--prompt', 'p', '--bogus'], /Unknown option '--bogus'/],
  ];
  for (const [argv, re] of bad) {
    assert.throws(
      () => parseGenerateArgs(argv),
      (e: unknown) => e instanceof UsageError && re.test(e.message),
      argv.join(' '),
    );
  }
  assert.match(generateCommand.usage, /--mix SPEC .*'splice:I'/s);
  assert.match(generateCommand.usage, /ONNXRUNTIME_NODE_INSTALL=cuda12/);
});

function stub<M extends Modality>(modality: M, dim: number, calls: unknown[][]): Encoder<M> {
  return {
    info: { name: `stub-${modality}`, modality, tokens: 77, dim },
    async encode(inputs): Promise<EncodedBatch> {
      calls.push(inputs);
      const rng = new Rng(inputs.length + (typeof inputs[0] === 'string' ? (inputs[0] as string).length : 1000));
      return { features: rng.fillNormal(new Float32Array(inputs.length * 77 * dim)), batch: inputs.length, tokens: 77, dim };
    },
    async release() {},
  };
}

function loaders(log: string[]): GenerateLoaders {
  const calls: unknown[][] = [];
  return {
    generator: async (dir) => (log.push(`generator ${path.basename(dir)}`), SdOnnxGenerator.load(dir)),
    textEncoder: async (dir) => (log.push(`text ${path.basename(dir)}`), stub('text', 768, calls)),
    audioEncoder: async (dir) => (log.push(`audio ${path.basename(dir)}`), stub('audio', 64, calls)),
    pointCloudEncoder: async (dir) => (log.push(`pointcloud ${path.basename(dir)}`), stub('pointcloud', 64, calls)),
    aligner: async (dir) => (
      log.push(`aligner ${path.basename(dir)}`),
      { align: (f: Float32Array, b: number) => Float32Array.from({ length: b * 77 * 768 }, (_, i) => f[Math.floor(i / 12)]!), release: async () => {} }
    ),
  };
}

test('a prompt run writes one PNG per batch item', async () => {
  const out = path.join(tmp, 'img', 'cat.png');
  const log: string[] = [];
  const messages: string[] = [];
  const args = parseGenerateArgs(['--generator', TINY, '--encoder', 'clip', '--prompt', 'a cat', '--steps', '3', '--batch', '2', '--seed', '1', '--out', out]);
  const drawn: string[] = [];
  const paths = await runGenerate(args, loaders(log), { log: (l) => messages.push(l), progress: { write: (s) => (drawn.push(s), true) } });
  // The progress bar counts the denoising steps (PNDM, the folder's default: 3 steps + 1 repeat).
  assert.match(drawn.join(''), /denoise .*100% 4\/4/);
  assert.deepEqual(paths, [path.join(tmp, 'img', 'cat-0.png'), path.join(tmp, 'img', 'cat-1.png')]);
  const [a, b] = paths.map((p) => decodePng(fs.readFileSync(p)));
  assert.deepEqual([a!.width, a!.height, a!.channels], [64, 64, 3]);
  assert.notDeepEqual(a!.pixels, b!.pixels); // same prompt, different noise
  assert.deepEqual(log, ['generator tiny-sd', 'text clip']);
  assert.match(messages.at(-1)!, /wrote .*cat-0\.png, .*cat-1\.png \(64x64, 3 steps, seed 1, unconditional from encoder\)/);
});

test("an audio run with a mix needs the generator's text encoder; without a mix it falls back to zeros", async () => {
  const wav = path.join(tmp, 'dog.wav');
  fs.writeFileSync(wav, encodeWav([new Rng(2).fillNormal(new Float32Array(1600), 0.1)], 16000));
  const log: string[] = [];
  const messages: string[] = [];
  const common = ['--generator', TINY, '--audio', wav, '--encoder', 'clap', '--gluenet', 'gn', '--steps', '2'];
  await assert.rejects(
    runGenerate(parseGenerateArgs([...common, '--prompt', 'a painting', '--mix', 'splice:3', '--out', path.join(tmp, 'm.png')]), loaders(log), {
      progress: quiet,
    }),
    /--mix needs the generator's text encoder: .* has no text_encoder\/, pass --text-encoder DIR/,
  );
  const [p] = await runGenerate(parseGenerateArgs([...common, '--out', path.join(tmp, 'dog.png')]), loaders(log), {
    log: (l) => messages.push(l),
    progress: quiet,
  });
  assert.equal(decodePng(fs.readFileSync(p!)).width, 64);
  assert.match(messages.join('\n'), /unconditional condition is zeros/);
  assert.match(messages.at(-1)!, /unconditional from zeros/);
  const [q] = await runGenerate(
    parseGenerateArgs([...common, '--prompt', 'a painting', '--mix', 'avg:0.5', '--text-encoder', 'sd-clip', '--out', path.join(tmp, 'mix.png')]),
    loaders(log),
    { log: (l) => messages.push(l), progress: quiet },
  );
  assert.ok(fs.existsSync(q!));
  assert.match(messages.at(-1)!, /unconditional from native-text-encoder/);
  assert.ok(log.includes('text sd-clip') && log.includes('aligner gn') && log.includes('audio clap'));
});

test("--prompt without --encoder uses the SD folder's text_encoder/, and says so when there is none", async () => {
  const withText = path.join(tmp, 'sd-with-text');
  fs.cpSync(TINY, withText, { recursive: true });
  fs.mkdirSync(path.join(withText, 'text_encoder'));
  const log: string[] = [];
  await runGenerate(parseGenerateArgs(['--generator', withText, '--prompt', 'a cat', '--steps', '1', '--out', path.join(tmp, 'own.png')]), loaders(log), {
    log: () => {},
    progress: quiet,
  });
  assert.deepEqual(log, ['generator sd-with-text', 'text text_encoder']);
  await assert.rejects(
    runGenerate(parseGenerateArgs(['--generator', TINY, '--prompt', 'a cat', '--out', path.join(tmp, 'x.png')]), loaders([]), { progress: quiet }),
    /has no text_encoder\/; pass the text encoder with --encoder DIR/,
  );
});

test('a missing audio file is a usage error naming it', async () => {
  const args = parseGenerateArgs([
    '--generator',
    TINY,
    '--audio',
    path.join(tmp, 'none.wav'),
    '--encoder',
    'e',
    '--gluenet',
    'g',
    '--out',
    path.join(tmp, 'n.png'),
  ]);
  await assert.rejects(
    runGenerate(args, loaders([]), { progress: quiet }),
    (e: unknown) => e instanceof UsageError && /cannot read --audio '.*none\.wav'/.test(e.message),
  );
});

const SD_TEXT = fileURLToPath(new URL('../../../test/fixtures/encoders/sd-text/text_encoder/', import.meta.url));
test('with the real loaders: a prompt through the SD-layout text encoder fixture', { skip: !fs.existsSync(SD_TEXT) && 'no text encoder fixture' }, async () => {
  const out = path.join(tmp, 'real.png');
  const messages: string[] = [];
  const args = parseGenerateArgs(['--generator', TINY, '--encoder', SD_TEXT, '--prompt', 'a cat', '--steps', '2', '--out', out]);
  await runGenerate(args, undefined, { log: (l) => messages.push(l), progress: quiet });
  assert.deepEqual([decodePng(fs.readFileSync(out)).width, decodePng(fs.readFileSync(out)).height], [64, 64]);
  assert.match(messages.at(-1)!, /unconditional from encoder/);
});
