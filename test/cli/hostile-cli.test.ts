/**
 * The adversarial sweep's command-line cases: each ends in bounded time with a one-line error
 * naming the problem (never a hang, a heap dump or a stack trace).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildZip } from '../io/zip-builder.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const FIX = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));

function gluegen(...args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    // The timeout turns a hang into a failure instead of a stuck suite.
    execFile(process.execPath, [MAIN, ...args], { timeout: 30_000, env: { ...process.env, GLUEGEN_DEBUG: '' } }, (err, _stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stderr });
    });
  });
}

async function oneLineError(args: string[], pattern: RegExp): Promise<void> {
  const r = await gluegen(...args);
  assert.ok(r.code !== 0 && r.code !== null, `exit ${r.code}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+|FATAL|heap/);
}

test('stats on a 104-byte file declaring [1e15, 0, 96] answers at once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hostile-cli-'));
  const header = Buffer.from(JSON.stringify({ features: { dtype: 'F32', shape: [1e15, 0, 96], data_offsets: [0, 0] } }).padEnd(96, ' '));
  const file = Buffer.alloc(8 + header.length);
  file.writeBigUInt64LE(BigInt(header.length), 0);
  header.copy(file, 8);
  assert.equal(file.length, 104);
  writeFileSync(join(dir, 'bad.safetensors'), file);
  await oneLineError(['stats', '--features', join(dir, 'bad.safetensors')], /\[1000000000000000, 0, 96\] hold no values per row/);
});

test('generate: absurd sizes and seeds are usage errors', async () => {
  const base = ['generate', '--generator', join(FIX, 'sd/tiny-sd'), '--prompt', 'x', '--out', join(tmpdir(), 'never.png')];
  await oneLineError([...base, '--width', '800000'], /--width must be an integer >= 8 and <= 4096, got '800000'/);
  await oneLineError([...base, '--seed', '1e30'], /--seed must be an integer >= 0 and <= 4294967295, got '1e30'/);
});

test('train and convert: configs and checkpoints built to exhaust memory are refused by name', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hostile-cli-'));
  const cfg = { arch: 'translator_noln', tokens_in: 4, tokens_out: 4, dim_in: 6, dim_out: 8, cond_norm: [1, 1, 1, 1] };
  writeFileSync(join(dir, 'deep.json'), JSON.stringify({ ...cfg, depth: 100000 }));
  writeFileSync(join(dir, 'disc.json'), JSON.stringify({ ...cfg, disc_mult: 'abc' }));
  const x = join(dir, 'x.safetensors');
  await oneLineError(
    ['train', '--x', x, '--cond', x, '--config', join(dir, 'deep.json'), '--out', join(dir, 'o')],
    /'depth' is 100000, above the limit of 256 blocks/,
  );
  await oneLineError(
    ['train', '--x', x, '--cond', x, '--config', join(dir, 'disc.json'), '--out', join(dir, 'o')],
    /'disc_mult' must be a number in \(0, 64\] .* got "abc"/,
  );
  // A 262 KB-class zip bomb: a 1-element tensor whose compressed storage inflates to 256 MiB.
  // {'w': _rebuild_tensor_v2(persistent ('storage', FloatStorage, '0', 'cpu', 1), 0, (1,), (1,), False, None)}
  const pickle = Buffer.from(
    '80027d8c017763746f7263682e5f7574696c730a5f72656275696c645f74656e736f725f76320a28288c0773746f7261676563746f7263680a466c6f617453746f726167650a8c01308c03637075' +
      '4b0174514b004b01854b0185894e7452732e',
    'hex',
  );
  writeFileSync(
    join(dir, 'bomb.pt'),
    buildZip([
      { name: 'archive/data.pkl', data: pickle },
      { name: 'archive/data/0', data: new Uint8Array(256 * 2 ** 20), deflate: true },
    ]),
  );
  writeFileSync(join(dir, 'ok.json'), JSON.stringify(cfg));
  await oneLineError(
    ['convert', '--ckpt', join(dir, 'bomb.pt'), '--config', join(dir, 'ok.json'), '--out', join(dir, 'g')],
    /inflates to 268435456 bytes but its tensors use 4/,
  );
});
