/**
 * `gluegen worker`: runs shard-extraction jobs from a BullMQ queue on Redis (queued by
 * `gluegen extract --queue`) until stopped with Ctrl-C / SIGTERM, which lets the jobs in progress
 * finish. Start one per machine (or per GPU); see src/scale/worker.ts.
 */

import { redisConnection } from '../scale/redis.js';
import { startExtractionWorker } from '../scale/worker.js';
import { type Command, numberFlag, parseFlags, requireString, UsageError } from './command.js';

const NAME = 'worker';

const USAGE = `usage: gluegen worker --queue redis://HOST:PORT[/DB] [--concurrency N] [--lock-seconds S]

Takes feature-extraction shard jobs from the queue that \`gluegen extract --queue\` fills, loads the
encoder each job names (kept loaded for the next one) and writes the shard atomically into the
job's output folder, which must be the same path on every machine (shared storage). Runs until
Ctrl-C or SIGTERM; jobs in progress are finished first. A worker that dies mid-job has its job
handed to another worker after about --lock-seconds.

  --queue URL         the Redis holding the queue
  --concurrency N     shard jobs at once in this process (default 1; each uses the encoder's threads)
  --lock-seconds S    how long a job stays with a worker that stopped answering (default 30)
  --quiet             no line per job`;

export const workerCommand: Command = {
  name: NAME,
  summary: 'run feature-extraction jobs from a Redis queue (BullMQ), on any number of machines',
  usage: USAGE,
  async run(argv: string[]): Promise<void> {
    const { values, positionals } = parseFlags(
      argv,
      { queue: { type: 'string' }, concurrency: { type: 'string' }, 'lock-seconds': { type: 'string' }, quiet: { type: 'boolean' } },
      NAME,
    );
    if (positionals.length > 0) throw new UsageError(`${NAME}: unexpected argument '${positionals[0]}' (see \`gluegen ${NAME} --help\`)`);
    const url = requireString(values, 'queue', NAME);
    try {
      redisConnection(url);
    } catch (e) {
      throw new UsageError(`${NAME}: ${(e as Error).message}`);
    }
    const concurrency = numberFlag(values, 'concurrency', NAME, { integer: true, min: 1, max: 64, default: 1 })!;
    const lockSeconds = numberFlag(values, 'lock-seconds', NAME, { min: 1, max: 3600, default: 30 })!;
    const log = values.quiet ? undefined : (line: string) => console.log(`${new Date().toISOString()} worker ${process.pid}: ${line}`);
    const worker = await startExtractionWorker({ url, concurrency, lockMs: lockSeconds * 1000, ...(log ? { log } : {}) });
    log?.(`waiting for jobs on ${url} (concurrency ${concurrency})`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        log?.('stopping: finishing the jobs in progress');
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await worker.close();
  },
};
