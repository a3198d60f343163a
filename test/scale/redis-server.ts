// The Redis the queue tests use. CI (.ci/run) starts one redis-server for the whole run and names it
// in GLUEGEN_TEST_REDIS_URL: each test then gets a database of its own, emptied before and after.
// Without it (a developer's `npm test`), each test starts a throwaway redis-server on a free loopback
// port, with no persistence, killed by stop().

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

/** Why queue tests cannot run here, or null when redis-server is installed. */
export function redisMissing(): string | null {
  if (process.env.GLUEGEN_TEST_REDIS_URL) return null;
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return r.error ? 'redis-server is not installed (Debian: apt-get install redis-server); the BullMQ queue tests need it' : null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}

let nextDb = 1;

/** A database of the shared test Redis, emptied now and on stop(). */
async function sharedRedis(base: string): Promise<TestRedis> {
  const { Redis } = await import('ioredis');
  const url = `${base.replace(/\/\d*$/, '')}/${nextDb++ % 15 || 15}`;
  const client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  await client.connect();
  await client.flushdb();
  return {
    url,
    stop: async () => {
      await client.flushdb();
      await client.quit();
    },
  };
}

export async function startRedis(): Promise<TestRedis> {
  const shared = process.env.GLUEGEN_TEST_REDIS_URL;
  if (shared) return sharedRedis(shared);
  const port = await freePort();
  const proc: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s: ${log.slice(-500)}`)), 10_000);
    proc.stdout!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}): ${log.slice(-500)}`));
    });
  });
  proc.removeAllListeners('exit');
  return {
    url: `redis://127.0.0.1:${port}/0`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}
