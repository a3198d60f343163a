/**
 * The package as users get it: `npm pack`, then a separate TypeScript project installs the tarball,
 * compiles the README's snippet with `tsc --strict` against the shipped declarations, runs it, and
 * reads the prompt back from the PNG's metadata. Also: what the tarball holds (no tests, benches,
 * fixtures, sources or maps), that internals are not importable, and `gluegen --version`.
 *
 * No network: the temp project's dependencies come from the npm cache that `npm ci` filled
 * (--offline), with @types/node pinned to the repo's version so nothing newer is wanted, and the
 * repo's own TypeScript compiles it. Runs after `npm run build` (declarations in dist/src).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readPngText } from '../../src/io/png.js';
import { parseParameters } from '../../src/pipeline/metadata.js';
import { decodePng } from '../helpers/png-decode.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const version = (pkg: string): string => (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
const OWN = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

/** The snippet, as a user would write it. */
const SNIPPET = `
import { writeFileSync } from 'node:fs';
import { GlueGenPipeline, GlueNet, type GenerateOptions } from 'gluegen';

const pipe = await GlueGenPipeline.fromPretrained('world', { encoder: 'world-multilingual', gluenet: 'world-multilingual' });
const request: GenerateOptions = { prompt: 'une petite étoile rouge', negativePrompt: '', steps: 20, guidance: 3, seed: 1 };
const { images } = await pipe.generate(request);
const png: Uint8Array = images[0].toPng();
const size: [number, number] = [images[0].width, images[0].height];
writeFileSync(process.argv[2]!, png);
await pipe.release();

const glue = await GlueNet.load('world-multilingual');
const aligned: Float32Array = await glue.align(new Float32Array(glue.input.tokens * glue.input.dim));
console.log(JSON.stringify({ size, aligned: aligned.length, out: glue.output }));
await glue.release();
`;

let tmp = '';
let files: string[] = [];

before(async () => {
  assert.ok(existsSync(join(ROOT, 'dist', 'src', 'index.d.ts')), 'dist/src/index.d.ts is missing: run `npm run build` first');
  tmp = await mkdtemp(join(tmpdir(), 'gluegen-pack-'));
  // The build is fresh from `npm run build`; --ignore-scripts skips prepack's second build.
  const packed = await run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: ROOT, maxBuffer: 64 << 20 });
  const info = (JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[])[0]!;
  files = info.files.map((f) => f.path);
  const project = join(tmp, 'consumer');
  await mkdir(project);
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'consumer',
      private: true,
      type: 'module',
      dependencies: { gluegen: `file:../${info.filename}` },
      devDependencies: { '@types/node': version('@types/node') },
      allowScripts: { 'onnxruntime-node': false, protobufjs: false },
    }),
  );
  await writeFile(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        types: ['node'],
        outDir: 'out',
        skipLibCheck: false,
      },
    }),
  );
  await writeFile(join(project, 'main.ts'), SNIPPET);
  await run(NPM, ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: project,
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
    maxBuffer: 16 << 20,
  });
});

after(() => (tmp ? rm(tmp, { recursive: true, force: true }) : undefined));

test('the tarball holds the built library, declarations, world models and LICENSE, and nothing else', () => {
  // Nor the browser build's modules (src/web, *.web.ts): esbuild bundles those from sources.
  const bad = files.filter(
    (f) =>
      /(^|\/)(test|tests|bench|fixtures|scripts|docs|web)\//.test(f) ||
      /\.web\.(js|d\.ts)$/.test(f) ||
      /\.map$/.test(f) ||
      (/\.ts$/.test(f) && !/\.d\.ts$/.test(f)),
  );
  assert.deepEqual(bad, []);
  for (const f of [
    'LICENSE',
    'README.md',
    'package.json',
    'dist/src/index.js',
    'dist/src/index.d.ts',
    'dist/src/cli/main.js',
    'assets/world/generator/config.json',
  ]) {
    assert.ok(files.includes(f), `${f} is in the tarball`);
  }
  assert.match(readFileSync(join(ROOT, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0, January 2004[\s\S]*END OF TERMS AND CONDITIONS/);
});

test('a separate project compiles the snippet with tsc --strict, runs it, and reads the prompt back from the PNG', async () => {
  const project = join(tmp, 'consumer');
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  await run(process.execPath, [tsc, '--strict', '-p', project]).catch((e: { stdout?: string; message: string }) =>
    assert.fail(`tsc failed: ${e.stdout ?? e.message}`),
  );
  const pngPath = join(tmp, 'star.png');
  const { stdout } = await run(process.execPath, [join(project, 'out', 'main.js'), pngPath], { cwd: project });
  assert.deepEqual(JSON.parse(stdout), { size: [32, 32], aligned: 16 * 128, out: { tokens: 16, dim: 128 } });
  const png = new Uint8Array(await readFile(pngPath));
  assert.deepEqual([decodePng(png).width, decodePng(png).height], [32, 32]);
  const params = parseParameters(readPngText(png).parameters ?? '');
  assert.equal(params.prompt, 'une petite étoile rouge');
  assert.deepEqual(
    [params.values.Steps, params.values['CFG scale'], params.values.Seed, params.values.Encoder, params.values.GlueNet],
    ['20', '3', '1', 'world-multilingual', 'world-multilingual'],
  );
});

test('internals are not importable, and the installed bin prints the package version', async () => {
  const project = join(tmp, 'consumer');
  const probe = "import('gluegen/dist/src/engine/ir.js').then(() => console.log('imported'), (e) => console.log(e.code))";
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: project });
  assert.equal(stdout.trim(), 'ERR_PACKAGE_PATH_NOT_EXPORTED');
  const bin = await run(join(project, 'node_modules', '.bin', 'gluegen'), ['--version'], { cwd: project });
  assert.equal(bin.stdout.trim(), `gluegen ${OWN.version}`);
});
