// Training that streams shard folders: the same batches (hence the same losses and weights) as
// in-memory loading for the same seed; the buffered shuffle keeps batches within a few blocks;
// resident memory stays bounded while one epoch reads a set 4x the memory budget.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { epochOrder } from '../../src/gluenet/batches.js';
import { parseConfig } from '../../src/gluenet/config.js';
import { FeatureSource } from '../../src/gluenet/data.js';
import { trainGlueNet } from '../../src/gluenet/train.js';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { Rng } from '../../src/util/rng.js';
import { writeShardFolder } from './shard-folders.js';

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'gluegen-stream-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('streamed shard folders train exactly like in-memory loading (same seed -> same batches)', async () => {
  await withTmp(async (dir) => {
    const [n, T, D] = [100, 4, 6];
    const rng = new Rng(11);
    const x = rng.fillNormal(new Float32Array(n * T * D));
    const c = Float32Array.from(x, (v, i) => Math.tanh(v) * 3 + (i % 5));
    for (const [name, data] of [
      ['x', x],
      ['c', c],
    ] as const) {
      await writeShardFolder(join(dir, name), { rows: n, tokens: T, dim: D, shardSize: 13, dtype: 'fp32' }, (s, k) => data.slice(s * T * D, (s + k) * T * D));
      await writeSafetensors(join(dir, `${name}.safetensors`), { features: { dtype: 'F32', shape: [n, T, D], data } });
    }
    const streamed = await FeatureSource.open(join(dir, 'x'), { memoryBytes: 0 });
    assert.equal(streamed.streaming, true);
    assert.deepEqual(
      Array.from(await streamed.batch([99, 12, 13, 0])),
      [99, 12, 13, 0].flatMap((r) => Array.from(x.subarray(r * T * D, (r + 1) * T * D))),
    );
    await streamed.close();

    const config = parseConfig({
      arch: 'translator_noln',
      tokens_in: T,
      tokens_out: T,
      dim_in: D,
      dim_out: D,
      mult: 2,
      depth: 1,
      x_scale: 1,
      cond_norm: [2, 2, 2, 2],
    });
    // 7 steps per epoch: 16 steps cross two epoch boundaries (a new permutation each).
    const run = (xp: string, cp: string, out: string, memoryBytes?: number) =>
      trainGlueNet({
        x: join(dir, xp),
        cond: join(dir, cp),
        config,
        out: join(dir, out),
        steps: 16,
        batchSize: 16,
        lr: 1e-2,
        seed: 5,
        progress: null,
        ...(memoryBytes !== undefined ? { memoryBytes } : {}),
      });
    const inMemoryFile = await run('x.safetensors', 'c.safetensors', 'file');
    const inMemoryFolder = await run('x', 'c', 'folder');
    const stream = await run('x', 'c', 'stream', 0);
    const losses = (r: { history: { loss: number }[] }) => r.history.map((h) => h.loss);
    assert.equal(stream.history.length, 16);
    assert.deepEqual(losses(stream), losses(inMemoryFile));
    assert.deepEqual(losses(inMemoryFolder), losses(inMemoryFile));
    assert.ok(new Set(losses(stream)).size > 8, 'the losses change from step to step');
    assert.deepEqual(await readFile(join(dir, 'stream', 'model.safetensors')), await readFile(join(dir, 'file', 'model.safetensors')));
    // Another seed draws other batches: the comparison above can fail.
    const other = await trainGlueNet({
      x: join(dir, 'x'),
      cond: join(dir, 'c'),
      config,
      out: join(dir, 'other'),
      steps: 16,
      batchSize: 16,
      lr: 1e-2,
      seed: 6,
      progress: null,
      memoryBytes: 0,
    });
    assert.notDeepEqual(losses(other), losses(stream));
  });
});

test('buffered shuffle: a permutation per epoch whose buffers hold whole blocks; global order by default', () => {
  const n = 1000;
  const o = { batchSize: 10, seed: 3, shuffle: true, shuffleBuffer: 200, blockRows: 100 };
  const e0 = epochOrder(n, 0, o);
  const e1 = epochOrder(n, 1, o);
  assert.deepEqual(
    [...e0].sort((a, b) => a - b),
    Array.from({ length: n }, (_, i) => i),
  );
  assert.deepEqual(epochOrder(n, 0, o), e0, 'a pure function of (seed, epoch)');
  assert.notDeepEqual(e1, e0);
  for (let b = 0; b < n; b += 200) {
    const blocks = new Set(e0.slice(b, b + 200).map((r) => Math.floor(r / 100)));
    assert.equal(blocks.size, 2, `buffer at ${b} draws from two blocks`);
  }
  // Blocks are visited in a shuffled order, not 0, 1, 2, ...
  assert.notDeepEqual(
    e0.filter((_, i) => i % 200 === 0).map((r) => Math.floor(r / 200)),
    [0, 1, 2, 3, 4],
  );
  // Without a buffer (or one as large as the set) the order is today's global permutation.
  assert.deepEqual(epochOrder(n, 2, { ...o, shuffleBuffer: undefined }), new Rng(3 * 1000003 + 3).permutation(n));
  assert.deepEqual(epochOrder(n, 2, { ...o, shuffleBuffer: n }), new Rng(3 * 1000003 + 3).permutation(n));
  assert.deepEqual(epochOrder(5, 0, { ...o, shuffle: false }), [0, 1, 2, 3, 4]);
  assert.throws(() => epochOrder(n, 0, { ...o, shuffleBuffer: 0.5 }), /shuffle buffer must be a positive number of rows, got 0.5/);
});

const CHILD = fileURLToPath(new URL('./streaming-child.js', import.meta.url));

function child(dir: string, memoryBytes: number, tokens: number, dim: number): Promise<{ baseline: number; peak: number; steps: number; lastLoss: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CHILD, dir, String(memoryBytes), String(tokens), String(dim)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!)) : reject(new Error(`child exited ${code}: ${err.slice(-2000)}`))));
  });
}

test('one epoch of training over shard folders 4x the memory budget holds less than the budget of them in memory', { timeout: 120_000 }, async (t) => {
  await withTmp(async (dir) => {
    const MiB = 1024 * 1024;
    const budget = 16 * MiB;
    const [T, D] = [16, 16]; // one row: 1 KiB as float32 (a small model: the test times training, not compute)
    const rows = (2 * budget) / (T * D * 4); // X and C: 32 MiB each as float32, 64 MiB = 4x the budget
    for (const [name, seed] of [
      ['x', 1],
      ['c', 2],
    ] as const) {
      const rng = new Rng(seed);
      await writeShardFolder(join(dir, name), { rows, tokens: T, dim: D, shardSize: 4096, dtype: 'fp16' }, (_, k) =>
        rng.fillNormal(new Float32Array(k * T * D)),
      );
    }
    const stream = await child(dir, budget, T, D);
    assert.equal(stream.steps, rows / 512);
    assert.ok(Number.isFinite(stream.lastLoss));
    // The same run loading everything. Training itself takes memory of its own (runtime arenas, the
    // loop), the same in both runs; what streaming saves is the set: it holds far less than the budget.
    const loaded = await child(dir, 1024 * MiB, T, D);
    assert.equal(loaded.lastLoss, stream.lastLoss, 'the same batches either way');
    const [grewStreaming, grewLoaded] = [stream.peak - stream.baseline, loaded.peak - loaded.baseline];
    const mib = (v: number) => `${(v / MiB).toFixed(1)} MiB`;
    t.diagnostic(`resident memory growth: streaming ${mib(grewStreaming)}, loading ${mib(grewLoaded)}`);
    assert.ok(
      grewLoaded - grewStreaming > 3 * budget,
      `resident memory grew by ${mib(grewStreaming)} streaming and ${mib(grewLoaded)} loading 64 MiB of features (budget ${mib(budget)})`,
    );
  });
});
