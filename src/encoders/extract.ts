/**
 * Feature extraction: run an encoder over one column of a corpus (src/encoders/corpus.ts) and store
 * the token features in shards `features-00000.safetensors` (tensor `features` [n, T, D], plus
 * `mask` [n, T] when the encoder reports one) with a `manifest.json`, so GlueNet training reads
 * features instead of re-running a large encoder every epoch. The format and its reader live in
 * src/io/feature-shards.ts.
 *
 * Shards are written atomically and skipped when already complete, so an interrupted run resumes.
 * A shard's bytes depend only on (encoder, rows, batch size, dtype): whichever process writes it —
 * this loop or a queue worker (src/scale/) — writes the same file.
 */
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { withAtomicFile, writeFileAtomic } from '../io/atomic.js';
import { completeShardMask, type FeatureDType, type FeatureManifest, shardFileName } from '../io/feature-shards.js';
import { float32ToFloat16 } from '../io/half.js';
import { Progress, type ProgressStream } from '../util/progress.js';
import { type Corpus, loadWavClips } from './corpus.js';
import type { EncodedBatch, Encoder, EncoderInfo } from './types.js';

export interface ExtractOptions {
  encoder: Encoder;
  corpus: Corpus;
  outDir: string;
  batchSize?: number; // 32
  dtype?: FeatureDType; // 'fp32'
  shardSize?: number; // 4096
  /** Recorded in the manifest (e.g. the encoder folder). */
  encoderSource?: string;
  /** Progress bar stream (default stderr); false for none. */
  progress?: ProgressStream | false;
  /** Called after each shard is safely written. */
  onShard?: (index: number) => void | Promise<void>;
}

export interface ExtractResult {
  manifest: FeatureManifest;
  written: number[];
  skipped: number[];
}

/** What an extraction is, before any shard is written: the settings every writer must agree on. */
export interface ExtractionPlan {
  info: EncoderInfo;
  corpus: Corpus;
  outDir: string;
  batchSize: number;
  dtype: FeatureDType;
  shardSize: number;
  encoderSource?: string;
}

/** Validates the settings and lays out the shards; nothing is read or written. */
export function planManifest(plan: ExtractionPlan): FeatureManifest {
  const { info, corpus, batchSize, shardSize, dtype } = plan;
  for (const [name, v] of [
    ['batch size', batchSize],
    ['shard size', shardSize],
  ] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`extract: ${name} must be a positive integer, got ${v}`);
  }
  if (dtype !== 'fp16' && dtype !== 'fp32') throw new Error(`extract: dtype must be 'fp16' or 'fp32', got ${JSON.stringify(dtype)}`);
  if (info.modality !== corpus.modality) throw new Error(`extract: the encoder takes ${info.modality} but the corpus was read as ${corpus.modality}`);
  const rows = corpus.items.length;
  return {
    format: 'gluegen-features',
    version: 1,
    encoder: { ...info, ...(plan.encoderSource ? { source: resolve(plan.encoderSource) } : {}) },
    source: { corpus: corpus.path, format: corpus.format, column: corpus.column, digest: corpus.digest },
    rows,
    tokens: info.tokens,
    dim: info.dim,
    dtype,
    shardSize,
    mask: null,
    shards: Array.from({ length: Math.ceil(rows / shardSize) }, (_, i) => ({
      file: shardFileName(i),
      start: i * shardSize,
      rows: Math.min(shardSize, rows - i * shardSize),
      complete: false,
    })),
    complete: false,
  };
}

export async function extractFeatures(opts: ExtractOptions): Promise<ExtractResult> {
  const { encoder, corpus, outDir } = opts;
  const plan: ExtractionPlan = {
    info: encoder.info,
    corpus,
    outDir,
    batchSize: opts.batchSize ?? 32,
    dtype: opts.dtype ?? 'fp32',
    shardSize: opts.shardSize ?? 4096,
    ...(opts.encoderSource ? { encoderSource: opts.encoderSource } : {}),
  };
  const manifest = await openExtraction(plan);
  await removeStaleTemps(outDir);

  const bar =
    opts.progress === false
      ? null
      : new Progress({ total: manifest.rows, label: `extract ${encoder.info.name}`, ...(opts.progress ? { stream: opts.progress } : {}) });
  const written: number[] = [];
  const skipped: number[] = [];
  for (const [i, shard] of manifest.shards.entries()) {
    const existing = await completeShardMask(join(outDir, shard.file), shard.rows, manifest.tokens, manifest.dim, plan.dtype);
    if (existing !== null) {
      recordShard(manifest, i, existing);
      skipped.push(i);
      bar?.tick(shard.rows);
      continue;
    }
    const hasMask = await writeShard(join(outDir, shard.file), encoder, corpus, shard, plan.batchSize, plan.dtype, (n) => bar?.tick(n));
    recordShard(manifest, i, hasMask);
    written.push(i);
    await saveManifest(outDir, manifest);
    await opts.onShard?.(i);
  }
  manifest.complete = true;
  await saveManifest(outDir, manifest);
  bar?.done();
  return { manifest, written, skipped };
}

/** Marks shard i written; every shard of one extraction must agree on having a mask. */
export function recordShard(manifest: FeatureManifest, i: number, hasMask: boolean): void {
  if (manifest.mask !== null && manifest.mask !== hasMask) throw new Error(`internal: ${manifest.encoder.name} reported a mask for some shards only`);
  manifest.mask = hasMask;
  manifest.shards[i]!.complete = true;
}

export async function saveManifest(outDir: string, manifest: FeatureManifest): Promise<void> {
  await writeFileAtomic(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * The manifest to continue from, written to `outDir`: the existing one when it describes the same
 * extraction (a folder of another extraction is refused), else a fresh one.
 */
export async function openExtraction(plan: ExtractionPlan): Promise<FeatureManifest> {
  const fresh = planManifest(plan);
  const path = join(plan.outDir, 'manifest.json');
  const text = await readFile(path, 'utf8').catch(() => null);
  let manifest = fresh;
  if (text !== null) {
    let old: FeatureManifest;
    try {
      old = JSON.parse(text) as FeatureManifest;
    } catch (e) {
      throw new Error(`${path} is not valid JSON (${(e as Error).message}); delete the output folder or use a new --out`);
    }
    const fields: [string, unknown, unknown][] = [
      ['encoder', `${old.encoder?.name} ${old.encoder?.tokens}x${old.encoder?.dim}`, `${fresh.encoder.name} ${fresh.encoder.tokens}x${fresh.encoder.dim}`],
      ['corpus', old.source?.corpus, fresh.source.corpus],
      ['column', old.source?.column, fresh.source.column],
      ['corpus rows (digest)', old.source?.digest, fresh.source.digest],
      ['dtype', old.dtype, fresh.dtype],
      ['shard size', old.shardSize, fresh.shardSize],
    ];
    for (const [name, was, now] of fields) {
      if (was !== now)
        throw new Error(
          `${path} belongs to a different extraction (${name}: was ${String(was)}, now ${String(now)}); use a new --out folder or delete this one`,
        );
    }
    manifest = { ...fresh, mask: old.mask ?? null };
  }
  await saveManifest(plan.outDir, manifest);
  return manifest;
}

/**
 * Temporary files left by a killed writer (the atomic writer names them .<target>.tmp-<pid>-<hex>).
 * Only call it when no writer of this folder can be running.
 */
export async function removeStaleTemps(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const n of names) if (/^\.(features-\d+\.safetensors|manifest\.json)\.tmp-/.test(n)) await unlink(join(dir, n)).catch(() => undefined);
}

async function encodeRows(encoder: Encoder, corpus: Corpus, start: number, end: number): Promise<EncodedBatch> {
  const items = corpus.items.slice(start, end);
  const batch =
    corpus.modality === 'text' ? await (encoder as Encoder<'text'>).encode(items) : await (encoder as Encoder<'audio'>).encode(await loadWavClips(items));
  const { tokens, dim } = encoder.info;
  if (batch.batch !== items.length || batch.tokens !== tokens || batch.dim !== dim) {
    throw new Error(
      `internal: ${encoder.info.name} returned [${batch.batch}, ${batch.tokens}, ${batch.dim}] for ${items.length} rows, expected [${items.length}, ${tokens}, ${dim}]`,
    );
  }
  const bad = batch.features.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0)
    throw new Error(
      `${encoder.info.name} produced ${batch.features[bad]} for row ${start + Math.floor(bad / (tokens * dim))} (${corpus.items[start + Math.floor(bad / (tokens * dim))]}); check the input and the model`,
    );
  return batch;
}

/**
 * Streams one shard to disk batch by batch: header, features, then the mask (if any); atomic, so
 * a reader or a second writer of the same shard sees the old file or the complete new one.
 * Returns whether the shard has a mask.
 */
export async function writeShard(
  path: string,
  encoder: Encoder,
  corpus: Corpus,
  shard: { start: number; rows: number },
  batchSize: number,
  dtype: FeatureDType,
  tick: (n: number) => void,
): Promise<boolean> {
  const { tokens, dim } = encoder.info;
  const end = shard.start + shard.rows;
  const first = await encodeRows(encoder, corpus, shard.start, Math.min(end, shard.start + batchSize));
  const hasMask = first.mask !== undefined;
  const featureBytes = shard.rows * tokens * dim * (dtype === 'fp16' ? 2 : 4);
  const header: Record<string, unknown> = {
    __metadata__: { format: 'gluegen-features', encoder: encoder.info.name },
    features: { dtype: dtype === 'fp16' ? 'F16' : 'F32', shape: [shard.rows, tokens, dim], data_offsets: [0, featureBytes] },
  };
  if (hasMask) header.mask = { dtype: 'U8', shape: [shard.rows, tokens], data_offsets: [featureBytes, featureBytes + shard.rows * tokens] };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const head = Buffer.alloc(8 + Math.ceil(json.length / 8) * 8, 0x20);
  head.writeBigUInt64LE(BigInt(head.length - 8), 0);
  json.copy(head, 8);
  const mask = new Uint8Array(shard.rows * tokens);
  await withAtomicFile(path, async (handle) => {
    await handle.write(head);
    let batch: EncodedBatch | null = first;
    for (let at = shard.start; at < end; at += batchSize) {
      batch ??= await encodeRows(encoder, corpus, at, Math.min(end, at + batchSize));
      if ((batch.mask !== undefined) !== hasMask) throw new Error(`internal: ${encoder.info.name} reported a mask for some batches only`);
      if (batch.mask) mask.set(batch.mask, (at - shard.start) * tokens);
      const data = dtype === 'fp16' ? float32ToFloat16(batch.features) : batch.features;
      await handle.write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      tick(batch.batch);
      batch = null;
    }
    if (hasMask) await handle.write(mask);
  });
  return hasMask;
}
