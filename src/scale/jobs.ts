/**
 * Feature extraction as BullMQ jobs: one job per shard. The coordinator (`gluegen extract --queue`)
 * plans the shards exactly as the single-process extraction does, queues a job for every shard not
 * yet on disk, shows progress until all are done, then checks each shard and completes the
 * manifest. Workers (src/scale/worker.ts) write the shards into the shared output folder.
 *
 * A job's id is derived from the extraction and the shard, so queuing the same extraction again
 * (a rerun, or two coordinators) never adds a second job for a shard; a job that ended as failed is
 * retried by the rerun.
 */
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Job, Queue } from 'bullmq';
import type { Corpus } from '../encoders/corpus.js';
import { type ExtractionPlan, openExtraction, recordShard, removeStaleTemps, saveManifest } from '../encoders/extract.js';
import type { Modality } from '../encoders/types.js';
import { completeShardMask, type FeatureDType, type FeatureManifest } from '../io/feature-shards.js';
import { Progress, type ProgressStream } from '../util/progress.js';

/** How a worker finds the corpus again: read it the same way and check the digest. */
export interface CorpusSpec {
  path: string;
  column: string;
  modality: Modality;
  audioRoot?: string;
  limit?: number;
  digest: string;
}

/** How a worker loads the encoder: a folder (absolute: workers share the path) or a world-encoder name. */
export interface EncoderSpec {
  dir: string;
  maxLength?: number;
  device: 'cpu' | 'cuda';
}

export interface ShardJobData {
  version: 1;
  encoder: EncoderSpec;
  corpus: CorpusSpec;
  outDir: string;
  shard: { index: number; file: string; start: number; rows: number };
  batchSize: number;
  dtype: FeatureDType;
  tokens: number;
  dim: number;
}

export interface ShardJobResult {
  hasMask: boolean;
  /** The shard was already complete on disk (a duplicate delivery), nothing was encoded. */
  skipped: boolean;
}

export interface QueuedExtractOptions {
  queue: Queue;
  plan: ExtractionPlan;
  encoder: EncoderSpec;
  corpus: CorpusSpec;
  /** Return once the jobs are queued. */
  detach?: boolean;
  /** Progress bar stream (default stderr); false for none. */
  progress?: ProgressStream | false;
  /** How often to poll the jobs, ms (default 500). */
  pollMs?: number;
  /** Failed jobs are retried this many times in all (default 3). */
  attempts?: number;
}

export interface QueuedExtractResult {
  manifest: FeatureManifest;
  /** Shards found complete on disk before queuing. */
  skipped: number[];
  /** Shards queued (or already queued) in this call. */
  queued: number[];
  /** True when detached before the shards were done. */
  detached: boolean;
}

/** A stable id per (extraction, shard): the same extraction queued twice maps onto the same jobs. */
export function shardJobId(manifest: FeatureManifest, plan: ExtractionPlan, index: number): string {
  const key = JSON.stringify([
    resolve(plan.outDir),
    manifest.encoder.name,
    manifest.encoder.source ?? null,
    manifest.source.digest,
    manifest.dtype,
    manifest.shardSize,
    plan.batchSize,
  ]);
  return `extract-${createHash('sha256').update(key).digest('hex').slice(0, 20)}-${index}`;
}

export async function extractOnQueue(o: QueuedExtractOptions): Promise<QueuedExtractResult> {
  const { queue, plan } = o;
  const manifest = await openExtraction(plan);
  const skipped: number[] = [];
  const pending: number[] = [];
  for (const [i, shard] of manifest.shards.entries()) {
    const existing = await completeShardMask(join(plan.outDir, shard.file), shard.rows, manifest.tokens, manifest.dim, plan.dtype);
    if (existing === null) pending.push(i);
    else {
      recordShard(manifest, i, existing);
      skipped.push(i);
    }
  }
  await saveManifest(plan.outDir, manifest);

  const ids = new Map(pending.map((i) => [i, shardJobId(manifest, plan, i)]));
  for (const i of pending) {
    const id = ids.get(i)!;
    const job = await queue.getJob(id);
    const state = job ? await job.getState() : 'unknown';
    if (job && state === 'failed') await job.retry('failed');
    else if (job && state === 'completed') await job.remove(); // its shard is gone from disk (deleted?): redo it
    if (job && state !== 'completed' && state !== 'unknown') continue;
    const shard = manifest.shards[i]!;
    const data: ShardJobData = {
      version: 1,
      encoder: o.encoder,
      corpus: o.corpus,
      outDir: resolve(plan.outDir),
      shard: { index: i, file: shard.file, start: shard.start, rows: shard.rows },
      batchSize: plan.batchSize,
      dtype: plan.dtype,
      tokens: manifest.tokens,
      dim: manifest.dim,
    };
    await queue.add('shard', data, {
      jobId: id,
      attempts: o.attempts ?? 3,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: 7 * 24 * 3600 },
      removeOnFail: false,
    });
  }
  if (o.detach) return { manifest, skipped, queued: pending, detached: true };

  const bar =
    o.progress === false
      ? null
      : new Progress({ total: manifest.rows, label: `extract ${manifest.encoder.name} (queue)`, ...(o.progress ? { stream: o.progress } : {}) });
  const doneRows = skipped.reduce((n, i) => n + manifest.shards[i]!.rows, 0);
  let shown = doneRows;
  bar?.tick(doneRows);
  const results = new Map<number, ShardJobResult>();
  try {
    while (results.size < pending.length) {
      let rows = doneRows;
      const failures: string[] = [];
      for (const i of pending) {
        if (results.has(i)) {
          rows += manifest.shards[i]!.rows;
          continue;
        }
        const job: Job<ShardJobData, ShardJobResult> | undefined = await queue.getJob(ids.get(i)!);
        if (!job)
          throw new Error(
            `shard job ${ids.get(i)} (shard ${i}) vanished from the queue (Redis flushed or evicting keys?); rerun the command to queue it again`,
          );
        const state = await job.getState();
        if (state === 'completed') {
          results.set(i, job.returnvalue);
          rows += manifest.shards[i]!.rows;
        } else if (state === 'failed') {
          failures.push(
            `shard ${i} (${manifest.shards[i]!.file}, rows ${manifest.shards[i]!.start}..${manifest.shards[i]!.start + manifest.shards[i]!.rows - 1}) failed after ${Math.max(job.attemptsMade, job.attemptsStarted ?? 0)} attempt(s): ${job.failedReason}`,
          );
        } else if (typeof job.progress === 'number') {
          rows += Math.min(job.progress, manifest.shards[i]!.rows);
        }
      }
      if (failures.length > 0)
        throw new Error(
          `${failures.length} shard job(s) failed; ${failures[0]}${failures.length > 1 ? ` (and ${failures.length - 1} more)` : ''}. Fix the cause and rerun the same command to retry them`,
        );
      if (rows > shown) bar?.tick(rows - shown);
      shown = Math.max(shown, rows);
      if (results.size < pending.length) await new Promise((r) => setTimeout(r, o.pollMs ?? 500));
    }
  } finally {
    bar?.done();
  }

  // Trust the files, not the messages: every shard must be on disk, complete, with the right shape.
  for (const i of pending) {
    const shard = manifest.shards[i]!;
    const hasMask = await completeShardMask(join(plan.outDir, shard.file), shard.rows, manifest.tokens, manifest.dim, plan.dtype);
    if (hasMask === null)
      throw new Error(
        `shard ${i}: its job completed but ${join(plan.outDir, shard.file)} is missing or incomplete (do the workers write to the same folder as this machine reads?); rerun to redo it`,
      );
    recordShard(manifest, i, hasMask);
  }
  // All writers of this extraction are done: temporary files left here were orphaned by killed workers.
  await removeStaleTemps(plan.outDir);
  manifest.complete = true;
  await saveManifest(plan.outDir, manifest);
  return { manifest, skipped, queued: pending, detached: false };
}

/** The spec a worker uses to read `corpus` again (paths made absolute: the corpus is on shared storage). */
export function corpusSpec(corpus: Corpus, opts: { audioRoot?: string; limit?: number }): CorpusSpec {
  return {
    path: corpus.path,
    column: corpus.column,
    modality: corpus.modality,
    ...(opts.audioRoot !== undefined ? { audioRoot: resolve(opts.audioRoot) } : {}),
    ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
    digest: corpus.digest,
  };
}
