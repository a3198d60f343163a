/**
 * The Redis a BullMQ extraction queue lives on, named by a URL `redis://[user:password@]HOST:PORT[/DB]`
 * (or `rediss://` for TLS), and the one queue gluegen uses on it.
 */
import { type ConnectionOptions, Queue } from 'bullmq';

/** The BullMQ queue holding shard-extraction jobs. */
export const EXTRACT_QUEUE = 'gluegen-extract';

/** Parses `--queue`; errors name the value and the expected form. */
export function redisConnection(url: string): ConnectionOptions {
  const form = 'expected redis://HOST:PORT[/DB] (e.g. redis://127.0.0.1:6379/0)';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--queue ${JSON.stringify(url)} is not a URL; ${form}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`--queue ${JSON.stringify(url)} has scheme '${u.protocol}'; ${form}`);
  if (u.hostname === '') throw new Error(`--queue ${JSON.stringify(url)} names no host; ${form}`);
  const port = u.port === '' ? 6379 : Number(u.port);
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!(Number.isInteger(db) && db >= 0 && db <= 15 && /^\d*$/.test(dbText)))
    throw new Error(`--queue ${JSON.stringify(url)}: database '${dbText}' must be a number 0..15; ${form}`);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    // BullMQ workers block on Redis; ioredis must not give up on a command while waiting.
    maxRetriesPerRequest: null,
  };
}

/**
 * Opens the extraction queue and checks Redis answers (within `timeoutMs`), so an unreachable or
 * wrong address is one clear error instead of endless reconnect attempts.
 */
export async function openQueue(url: string, timeoutMs = 5000): Promise<Queue> {
  const queue = new Queue(EXTRACT_QUEUE, { connection: redisConnection(url) });
  let timer: NodeJS.Timeout | undefined;
  let onError: ((e: Error) => void) | undefined;
  try {
    await Promise.race([
      queue.waitUntilReady().then(() => queue.getJobCounts('wait')),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer')), timeoutMs);
        onError = reject; // the first connection error (refused, unknown host, auth) is the answer
        queue.on('error', onError);
      }),
    ]);
  } catch (e) {
    queue.on('error', () => undefined); // reconnect attempts while closing are expected
    await queue.close().catch(() => undefined);
    throw new Error(`cannot reach Redis at ${url} (${(e as Error).message || 'connection failed'}); start redis-server there or fix --queue`);
  } finally {
    clearTimeout(timer);
    if (onError) queue.off('error', onError);
  }
  return queue;
}
