/**
 * Loading the served models (clear errors for what cannot be served) and `gluegen serve` as a
 * process: flags, the address it prints, answering, and a clean exit on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../src/cli/command.js';
import { parseServeArgs } from '../../src/cli/serve.js';
import { loadServerModels, parseNamedDir } from '../../src/server/models.js';
import { FIX } from './helpers.js';

const SD = join(FIX, 'sd/tiny-sd');

test('loadServerModels: clear errors for a missing world, an encoder without its GlueNet, bad names', async () => {
  await assert.rejects(
    loadServerModels({ worldDir: mkdtempSync(join(tmpdir(), 'noworld-')) }),
    /serve: the world folder .* has no generator\/config\.json.*--generator DIR/,
  );
  await assert.rejects(loadServerModels({ generator: SD }), /no encoder to serve.*--encoder NAME=DIR/);
  await assert.rejects(
    loadServerModels({ generator: SD, encoders: [{ name: 'xlmr', dir: join(FIX, 'encoders/xlm-roberta') }] }),
    /encoder 'xlmr' .* gives \[\d+, 24\] features but generator .* takes \[77, 768\]; pass --gluenet xlmr=DIR/,
  );
  await assert.rejects(loadServerModels({ generator: SD, encoders: [{ name: 'native', dir: 'x' }] }), /'native' is reserved/);
  await assert.rejects(
    loadServerModels({
      generator: SD,
      encoders: [
        { name: 'a', dir: 'x' },
        { name: 'a', dir: 'y' },
      ],
    }),
    /two encoders are named 'a'/,
  );
  await assert.rejects(loadServerModels({ generator: SD, encoders: [{ name: 'bad/name', dir: 'x' }] }), /encoder name 'bad\/name'/);
  const m = await loadServerModels({ generator: SD, textEncoder: join(FIX, 'encoders/sd-text/text_encoder') });
  assert.deepEqual([m.generatorName, m.generatorKind, m.encoders.map((e) => e.name), m.defaults.scheduler], ['tiny-sd', 'sd', ['native'], 'default']);
  await m.release();
});

test('parseNamedDir and parseServeArgs', () => {
  assert.deepEqual(parseNamedDir('fr=/models/xlmr', 'encoder'), { name: 'fr', dir: '/models/xlmr' });
  assert.deepEqual(parseNamedDir('/models/clap-onnx/', 'encoder'), { name: 'clap-onnx', dir: '/models/clap-onnx/' });
  assert.throws(() => parseNamedDir('a b=/x', 'encoder'), /expected NAME=DIR/);
  const d = parseServeArgs([]);
  assert.deepEqual([d.port, d.host, d.generator, d.encoders, d.workers, d.maxQueue, d.timeoutSeconds], [7860, '127.0.0.1', 'world', [], 1, 8, 300]);
  const a = parseServeArgs([
    '--generator',
    'sd',
    '--encoder',
    'fr=/x',
    '--encoder',
    'snd=/y',
    '--gluenet',
    'snd=/gy',
    '--gluenet',
    'fr=/gx',
    '--port',
    '0',
    '--workers',
    '2',
  ]);
  assert.deepEqual(a.encoders, [
    { name: 'fr', dir: '/x', gluenet: '/gx' },
    { name: 'snd', dir: '/y', gluenet: '/gy' },
  ]);
  assert.deepEqual(parseServeArgs(['--encoder', '/m/xlmr', '--gluenet', '/g']).encoders, [{ name: 'xlmr', dir: '/m/xlmr', gluenet: '/g' }]);
  for (const [argv, message] of [
    [['--port', '70000'], /--port must be an integer/],
    [['--gluenet', 'fr=/g'], /--gluenet 'fr' names no --encoder/],
    [['--encoder', 'a=/x', '--gluenet', 'a=/g', '--gluenet', 'a=/h'], /two --gluenet/],
    [['--workers', '0'], /--workers/],
    [['extra'], /unexpected argument 'extra'/],
  ] as const) {
    assert.throws(
      () => parseServeArgs([...argv]),
      (e: unknown) => e instanceof UsageError && message.test(e.message),
      String(argv),
    );
  }
});

test('gluegen serve as a process: prints its address, answers, exits cleanly on SIGTERM', { timeout: 60_000 }, async () => {
  const serve = fileURLToPath(new URL('../../src/cli/serve.js', import.meta.url));
  const argv = ['--generator', SD, '--text-encoder', join(FIX, 'encoders/sd-text/text_encoder'), '--port', '0', '--max-queue', '3'];
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', `import { serveCommand } from ${JSON.stringify(serve)}; await serveCommand.run(${JSON.stringify(argv)});`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /serving on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1]!);
      });
      void exited.then((code) => reject(new Error(`serve exited with ${code} before listening: ${stderr}`)));
    });
    const models = (await (await fetch(`${url}v1/models`)).json()) as { generator: { name: string }; queue: { max_queued: number } };
    assert.deepEqual([models.generator.name, models.queue.max_queued], ['tiny-sd', 3]);
    assert.match(stderr, /encoders: native \(text\); generator: tiny-sd/);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, stderr);
  assert.match(stderr, /shutting down/);
});
