/**
 * Rows/s of `gluegen extract --queue` with 1, 2 and 3 worker processes on this machine, against a
 * single-process extract of the same corpus (world-multilingual encoder, bundled world captions).
 * Starts its own redis-server on a free loopback port. On a machine with fewer cores than workers
 * the workers share cores: the numbers show the queue's overhead there, not a speed-up.
 *
 *   npm run bench:queue [-- ROWS]        (default 4000 rows, shards of 250)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeSplit } from '../src/world/data/dataset.js';
import { startRedis } from '../test/scale/redis-server.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const rows = Number(process.argv[2] ?? 4000);

function run(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`gluegen ${args[0]} exited ${code}: ${err.slice(-400)}`))));
  });
}

/** Starts a worker and resolves once it is connected and waiting. */
function worker(url: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [MAIN, 'worker', '--queue', url], { stdio: ['ignore', 'pipe', 'inherit'] });
    p.stdout!.on('data', (d: Buffer) => d.toString().includes('waiting for jobs') && resolve(p));
    p.on('exit', (code) => reject(new Error(`worker exited ${code}`)));
  });
}

const dir = await mkdtemp(join(tmpdir(), 'gluegen-bench-queue-'));
const redis = await startRedis();
try {
  await writeFile(join(dir, 'corpus.tsv'), `${['caption', ...makeSplit('train', rows, 5).map((e) => e.caption.text)].join('\n')}\n`);
  const common = ['--encoder', 'world-multilingual', '--input', join(dir, 'corpus.tsv'), '--column', 'caption', '--shard-size', '250'];
  console.log(
    `extract ${rows} rows, world-multilingual, ${cpus().length} cores (load average ${process.platform === 'linux' ? (await import('node:os')).loadavg()[0]!.toFixed(1) : '?'})`,
  );
  let t0 = performance.now();
  await run(['extract', ...common, '--out', join(dir, 'single')]);
  console.log(`single process (no queue): ${(rows / ((performance.now() - t0) / 1000)).toFixed(0)} rows/s (incl. process start and model load)`);
  for (const n of [1, 2, 3]) {
    const ws = await Promise.all(Array.from({ length: n }, () => worker(redis.url)));
    t0 = performance.now();
    await run(['extract', ...common, '--out', join(dir, `queue-${n}`), '--queue', redis.url]);
    console.log(`${n} worker(s): ${(rows / ((performance.now() - t0) / 1000)).toFixed(0)} rows/s (workers already running; incl. coordinator start)`);
    for (const w of ws) w.kill('SIGTERM');
  }
} finally {
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
}
