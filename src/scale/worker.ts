/**
 * A shard-extraction worker: takes jobs from the BullMQ queue (src/scale/jobs.ts), loads the
 * encoder a job names (kept loaded for the next job), reads the corpus (kept too, checked against
 * the job's digest) and writes the shard atomically into the shared output folder.
 *
 * A job is idempotent: its shard's bytes depend only on the job, and a shard already complete on
 * disk is not encoded again. A worker that dies mid-job holds its job's lock no longer; BullMQ's
 * stalled-job check then puts the job back for another worker (after about `lockMs`).
 */
import { join } from 'node:path';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { type Corpus, readCorpus } from '../encoders/corpus.js';
import { writeShard } from '../encoders/extract.js';
import { loadEncoder } from '../encoders/registry.js';
import type { Encoder } from '../encoders/types.js';
import { completeShardMask } from '../io/feature-shards.js';
import type { CorpusSpec, EncoderSpec, ShardJobData, ShardJobResult } from './jobs.js';
import { EXTRACT_QUEUE, redisConnection } from './redis.js';

export interface WorkerOptions {
  /** redis://HOST:PORT[/DB] */
  url: string;
  /** Jobs run at once in this process (default 1). */
  concurrency?: number;
  /** A job whose worker stops renewing its lock for this long is given to another worker (default 30000). */
  lockMs?: number;
  /** A job whose worker died this many times fails (default 3). */
  maxStalls?: number;
  /** One line per event (job started, done, failed); default none. */
  log?: (line: string) => void;
}

export interface ExtractionWorker {
  /** Finishes the jobs in progress, then disconnects and releases the encoders. */
  close(): Promise<void>;
}

export async function startExtractionWorker(o: WorkerOptions): Promise<ExtractionWorker> {
  const log = o.log ?? (() => undefined);
  const encoders = new Map<string, Promise<Encoder>>();
  const corpora = new Map<string, Promise<Corpus>>();

  const encoderFor = (spec: EncoderSpec): Promise<Encoder> => {
    const key = JSON.stringify([spec.dir, spec.maxLength ?? null, spec.device]);
    let e = encoders.get(key);
    if (!e) {
      e = loadEncoder(spec.dir, { device: spec.device, ...(spec.maxLength !== undefined ? { maxLength: spec.maxLength } : {}) });
      e.catch(() => encoders.delete(key)); // a failed load is retried by the next job
      encoders.set(key, e);
    }
    return e;
  };
  const corpusFor = async (spec: CorpusSpec): Promise<Corpus> => {
    const key = JSON.stringify([spec.path, spec.column, spec.modality, spec.audioRoot ?? null, spec.limit ?? null]);
    let c = corpora.get(key);
    if (!c) {
      if (corpora.size >= 4) corpora.delete(corpora.keys().next().value!); // a few corpora at a time
      c = readCorpus(spec.path, {
        column: spec.column,
        modality: spec.modality,
        ...(spec.audioRoot !== undefined ? { audioRoot: spec.audioRoot } : {}),
        ...(spec.limit !== undefined ? { limit: spec.limit } : {}),
      });
      c.catch(() => corpora.delete(key));
      corpora.set(key, c);
    }
    const corpus = await c;
    if (corpus.digest !== spec.digest) {
      corpora.delete(key);
      throw new UnrecoverableError(
        `corpus ${spec.path} on this machine differs from the one the extraction was planned on (digest ${corpus.digest.slice(0, 12)} vs ${spec.digest.slice(0, 12)}); every worker must see the same file`,
      );
    }
    return corpus;
  };

  const runJob = async (job: Job<ShardJobData, ShardJobResult>): Promise<ShardJobResult> => {
    const d = job.data;
    if (d?.version !== 1)
      throw new UnrecoverableError(`job ${job.id} has data version ${String(d?.version)}; this worker understands version 1 (update gluegen on this machine)`);
    const path = join(d.outDir, d.shard.file);
    const existing = await completeShardMask(path, d.shard.rows, d.tokens, d.dim, d.dtype);
    if (existing !== null) {
      log(`shard ${d.shard.index}: already complete on disk`);
      return { hasMask: existing, skipped: true };
    }
    const [encoder, corpus] = await Promise.all([encoderFor(d.encoder), corpusFor(d.corpus)]);
    if (encoder.info.tokens !== d.tokens || encoder.info.dim !== d.dim) {
      throw new UnrecoverableError(
        `encoder ${d.encoder.dir} on this machine gives ${encoder.info.tokens}x${encoder.info.dim} features, the extraction expects ${d.tokens}x${d.dim}; every worker must load the same model`,
      );
    }
    log(`shard ${d.shard.index}: rows ${d.shard.start}..${d.shard.start + d.shard.rows - 1} (attempt ${job.attemptsMade + 1})`);
    let done = 0;
    let reported = 0;
    const hasMask = await writeShard(path, encoder, corpus, d.shard, d.batchSize, d.dtype, (n) => {
      done += n;
      // Progress is a Redis round trip: report about every 10% of the shard.
      if (done - reported >= Math.max(1, d.shard.rows / 10) || done === d.shard.rows) {
        reported = done;
        job.updateProgress(done).catch(() => undefined);
      }
    });
    log(`shard ${d.shard.index}: written`);
    return { hasMask, skipped: false };
  };

  const lockMs = o.lockMs ?? 30_000;
  const worker = new Worker<ShardJobData, ShardJobResult>(EXTRACT_QUEUE, runJob, {
    connection: redisConnection(o.url),
    concurrency: o.concurrency ?? 1,
    lockDuration: lockMs,
    stalledInterval: Math.max(500, Math.floor(lockMs / 2)),
    maxStalledCount: o.maxStalls ?? 3,
  });
  worker.on('failed', (job, err) => log(`shard ${job?.data?.shard?.index ?? '?'}: failed: ${err.message}`));
  let lastError = '';
  worker.on('error', (err) => {
    // Connection trouble is retried by ioredis; say so once per distinct message, not per retry.
    if (err.message !== lastError) log(`queue error: ${err.message}`);
    lastError = err.message;
  });
  await worker.waitUntilReady();
  return {
    async close() {
      await worker.close();
      for (const e of encoders.values()) await (await e.catch(() => null))?.release();
      encoders.clear();
    },
  };
}
