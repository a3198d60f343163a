// Distributed extraction on BullMQ + a local redis-server: 3 worker processes, one SIGKILLed in
// the middle of a shard; the shards (and manifest) must be byte-identical to a single-process
// extraction — no row lost, none duplicated. Also: --detach then resume, a rerun redoes nothing, a
// job that keeps failing is reported with its error, and an unreachable Redis is one clear error.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../src/cli/command.js';
import { extractCommand } from '../../src/cli/extract.js';
import { workerCommand } from '../../src/cli/worker.js';
import { redisConnection } from '../../src/scale/redis.js';
import { makeSplit } from '../../src/world/data/dataset.js';
import { redisMissing, startRedis } from './redis-server.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const missing = redisMissing();

interface WorkerProcess {
  proc: ChildProcess;
  lines: string[];
}

function startWorker(url: string): WorkerProcess {
  const proc = spawn(process.execPath, [MAIN, 'worker', '--queue', url, '--lock-seconds', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const w: WorkerProcess = { proc, lines: [] };
  let rest = '';
  const take = (d: Buffer) => {
    const parts = (rest + d.toString()).split('\n');
    rest = parts.pop()!;
    w.lines.push(...parts);
  };
  proc.stdout!.on('data', take);
  proc.stderr!.on('data', take);
  return w;
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs `gluegen extract` in this process; returns what it printed. */
async function extract(args: string[]): Promise<string> {
  const log = console.log;
  const lines: string[] = [];
  console.log = (s: string) => lines.push(s);
  try {
    await extractCommand.run(args);
  } finally {
    console.log = log;
  }
  return lines.join('\n');
}

test('redis URLs: host, port, db; bad ones are one-line errors', () => {
  assert.deepEqual(redisConnection('redis://10.0.0.5:7000/3'), { host: '10.0.0.5', port: 7000, db: 3, maxRetriesPerRequest: null });
  assert.equal((redisConnection('redis://:s3cret@h') as { password: string }).password, 's3cret');
  assert.throws(() => redisConnection('localhost:6379'), /has scheme 'localhost:'; expected redis:\/\/HOST:PORT\[\/DB\]/);
  assert.throws(() => redisConnection('redis://h:1/x'), /database 'x' must be a number 0\.\.15/);
  assert.throws(() => redisConnection('not a url'), /is not a URL/);
});

test('3 workers, one SIGKILLed mid-shard: shards byte-identical to a single-process extract', { skip: missing ?? false, timeout: 120_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gluegen-queue-'));
  const redis = await startRedis();
  const workers: WorkerProcess[] = [];
  try {
    const captions = makeSplit('train', 1600, 21).map((e) => e.caption.text);
    await writeFile(join(dir, 'corpus.tsv'), `${['caption', ...captions].join('\n')}\n`);
    const common = ['--encoder', 'world-multilingual', '--input', join(dir, 'corpus.tsv'), '--column', 'caption', '--shard-size', '200', '--batch-size', '25'];

    const t0 = performance.now();
    await extract([...common, '--out', join(dir, 'single')]);
    t.diagnostic(`single process: ${(1600 / ((performance.now() - t0) / 1000)).toFixed(0)} rows/s`);

    // Queue the shards before any worker runs, and return at once.
    const queued = await extract([...common, '--out', join(dir, 'queued'), '--queue', redis.url, '--detach']);
    assert.match(queued, /8 shard job\(s\) queued .* \(0 already complete\)/);
    assert.equal(JSON.parse(await readFile(join(dir, 'queued', 'manifest.json'), 'utf8')).complete, false);

    for (let i = 0; i < 3; i++) workers.push(startWorker(redis.url));
    // Kill the first worker seen starting a shard, while it encodes it (a shard takes ~1 s here).
    const [victim, shard] = await until('a worker starting a shard', () => {
      for (const w of workers) {
        const m = w.lines.map((l) => /shard (\d+): rows/.exec(l)).find(Boolean);
        if (m) return [w, Number(m[1])] as const;
      }
      return undefined;
    });
    victim.proc.kill('SIGKILL');
    assert.ok(!victim.lines.some((l) => l.includes(`shard ${shard}: written`)), 'the worker was killed before finishing its shard');

    // Rerunning without --detach waits for the workers and completes the manifest.
    const t1 = performance.now();
    const done = await extract([...common, '--out', join(dir, 'queued'), '--queue', redis.url]);
    t.diagnostic(`2 live workers after the kill (incl. a ~3 s stall recovery): ${(1600 / ((performance.now() - t1) / 1000)).toFixed(0)} rows/s`);
    assert.match(done, /1600 rows x 24 tokens x 96 dims \(fp32\)/);
    // The killed worker's shard was redone by another worker.
    const survivors = workers.filter((w) => w !== victim);
    assert.ok(
      survivors.some((w) => w.lines.some((l) => l.includes(`shard ${shard}: written`))),
      `shard ${shard} was rewritten by a surviving worker`,
    );

    const names = (await readdir(join(dir, 'single'))).sort();
    assert.equal(names.length, 9);
    assert.deepEqual((await readdir(join(dir, 'queued'))).sort(), names, 'no temporary files left behind');
    for (const name of names) {
      assert.ok((await readFile(join(dir, 'queued', name))).equals(await readFile(join(dir, 'single', name))), `${name} is byte-identical`);
    }

    // A rerun finds everything done and queues nothing.
    assert.match(await extract([...common, '--out', join(dir, 'queued'), '--queue', redis.url]), /\(0 shard\(s\) by workers, 8 already complete\)/);

    // A job that keeps failing ends as failed, and extract shows why (attempts: 3; a run whose lock
    // lapsed under load counts as started, so a loaded machine may report the count either way).
    await writeFile(join(dir, 'bad.tsv'), `${['caption', ...captions.slice(0, 30), 'zzqx vvkw', ...captions.slice(30, 50)].join('\n')}\n`);
    const bad = [...common.slice(0, 3), join(dir, 'bad.tsv'), '--column', 'caption', '--shard-size', '20', '--out', join(dir, 'bad'), '--queue', redis.url];
    await assert.rejects(
      extract(bad),
      /shard job\(s\) failed; shard 1 \(features-00001\.safetensors, rows 20\.\.39\) failed after [23] attempt\(s\): .*no word of this prompt is in the world vocabulary: "zzqx vvkw"/,
    );
  } finally {
    for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGTERM');
    await Promise.all(workers.map((w) => (w.proc.exitCode !== null || w.proc.signalCode !== null ? null : new Promise((r) => w.proc.once('exit', r)))));
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('extract --queue: an unreachable Redis or --detach without --queue is a one-line usage error', { skip: missing ?? false }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gluegen-queue-'));
  try {
    await writeFile(join(dir, 'c.tsv'), 'caption\na red circle\n');
    const args = ['--encoder', 'world-multilingual', '--input', join(dir, 'c.tsv'), '--column', 'caption', '--out', join(dir, 'o')];
    await assert.rejects(
      extract([...args, '--queue', 'redis://127.0.0.1:1']),
      (e: unknown) => e instanceof UsageError && /cannot reach Redis at redis:\/\/127\.0\.0\.1:1 \(.*ECONNREFUSED.*\); start redis-server/.test(e.message),
    );
    await assert.rejects(extract([...args, '--detach']), (e: unknown) => e instanceof UsageError && /--detach needs --queue/.test(e.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('gluegen worker: flag errors are one-line usage errors, before connecting', async () => {
  const usage = (re: RegExp) => (e: unknown) => e instanceof UsageError && re.test(e.message);
  await assert.rejects(workerCommand.run([]), usage(/worker: --queue is required/));
  await assert.rejects(workerCommand.run(['--queue', 'redis:/']), usage(/worker: --queue "redis:\/" names no host/));
  await assert.rejects(workerCommand.run(['--queue', 'redis://h:1', '--concurrency', '0']), usage(/--concurrency must be an integer >= 1 and <= 64, got '0'/));
  await assert.rejects(workerCommand.run(['--queue', 'redis://h:1', 'extra']), usage(/unexpected argument 'extra'/));
});
