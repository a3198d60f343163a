/**
 * Reading the feature sets `gluegen extract` writes: a folder of shards `features-00000.safetensors`
 * (tensor `features` [n, T, D] F32 or F16, plus `mask` [n, T] U8 when the encoder reports one) with
 * a `manifest.json`, or a single safetensors file holding `features`. Everything goes through
 * src/io/safetensors.ts, which validates each header once; rows are then read by positional reads,
 * so a set far larger than memory can be walked in any order.
 *
 * This module knows the on-disk format only: no encoder, no GlueNet.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { float16BitsToFloat32Bits, float16ToFloat32 } from './half.js';
import { openSafetensors, type SafetensorsFile } from './safetensors.js';

export type FeatureDType = 'fp16' | 'fp32';

export interface FeatureManifest {
  format: 'gluegen-features';
  version: 1;
  encoder: { name: string; modality: 'text' | 'audio' | 'pointcloud'; tokens: number; dim: number; source?: string };
  source: { corpus: string; format: 'tsv' | 'jsonl' | 'csv'; column: string; digest: string };
  rows: number;
  tokens: number;
  dim: number;
  dtype: FeatureDType;
  shardSize: number;
  /** Whether shards hold a `mask` tensor (null until the first shard is written). */
  mask: boolean | null;
  shards: { file: string; start: number; rows: number; complete: boolean }[];
  complete: boolean;
}

export const shardFileName = (i: number): string => `features-${String(i).padStart(5, '0')}.safetensors`;

/**
 * Whether `path` is a complete shard of the expected shape: null when it is missing, unreadable or
 * of another shape, else whether it holds a mask. Extraction uses it to skip finished shards.
 */
export async function completeShardMask(path: string, rows: number, tokens: number, dim: number, dtype: FeatureDType): Promise<boolean | null> {
  const file = await openSafetensors(path).catch(() => null);
  if (file === null) return null;
  try {
    if (!file.has('features')) return null;
    const f = file.info('features');
    if (f.dtype !== (dtype === 'fp16' ? 'F16' : 'F32') || f.shape.join() !== [rows, tokens, dim].join()) return null;
    return file.has('mask');
  } finally {
    await file.close();
  }
}

export interface FeatureRows {
  /** [count, T, D] row-major. */
  features: Float32Array;
  /** [count, T] when the store has masks. */
  mask?: Uint8Array;
}

export interface FeatureStore {
  rows: number;
  tokens: number;
  dim: number;
  hasMask: boolean;
  /** Present for a shard folder. */
  manifest: FeatureManifest | null;
  /** Where each shard's rows begin, and how many it holds (one entry for a single file). */
  shards: readonly { path: string; start: number; rows: number }[];
  /** Bytes of the stored features (what loading everything as float32 would take is rows*T*D*4). */
  storedBytes: number;
  /** Rows [start, start + count) as float32. */
  readRows(start: number, count: number): Promise<FeatureRows>;
  /** Rows at arbitrary indices, gathered in the given order, as float32 [indices.length, T, D]. */
  gather(indices: readonly number[]): Promise<Float32Array>;
  /** Every row, in batches of batchSize, read lazily. */
  batches(batchSize: number): AsyncGenerator<FeatureRows & { start: number; count: number }>;
  /** All rows concatenated. */
  readAll(): Promise<FeatureRows>;
  close(): Promise<void>;
}

interface Shard {
  path: string;
  start: number;
  rows: number;
  tokens: number;
  dim: number;
  dtype: 'F32' | 'F16';
  hasMask: boolean;
}

/** Open files beyond this many are closed (least recently used first): folders may hold thousands of shards. */
const MAX_OPEN_SHARDS = 32;

/** Opens a feature shard folder (with manifest.json) or a single .safetensors holding `features`. */
export async function readFeatureStore(pathOrFile: string): Promise<FeatureStore> {
  const info = await stat(pathOrFile).catch(() => null);
  if (info === null) throw new Error(`features ${JSON.stringify(pathOrFile)} do not exist; run gluegen extract first`);
  let manifest: FeatureManifest | null = null;
  const shards: Shard[] = [];
  if (info.isDirectory()) {
    manifest = await readManifest(pathOrFile);
    for (const s of manifest.shards) {
      const shard = await describeShard(join(pathOrFile, s.file), s.start);
      if (shard.rows !== s.rows)
        throw new Error(`${shard.path} holds ${shard.rows} rows but manifest.json says ${s.rows}; rerun gluegen extract into a new folder`);
      shards.push(shard);
    }
  } else {
    shards.push(await describeShard(pathOrFile, 0));
  }
  const [tokens, dim] = shards[0] ? [shards[0].tokens, shards[0].dim] : [manifest?.tokens ?? 0, manifest?.dim ?? 0];
  for (const s of shards) {
    if (s.tokens !== tokens || s.dim !== dim)
      throw new Error(`${s.path}: features are [${s.rows}, ${s.tokens}, ${s.dim}] but the first shard has ${tokens} x ${dim}`);
  }
  const rows = shards.reduce((n, s) => n + s.rows, 0);
  const hasMask = shards.length > 0 && shards.every((s) => s.hasMask);
  const rowSize = tokens * dim;
  const files = new ShardFiles(MAX_OPEN_SHARDS);

  /** The shard holding row r (binary search over the shard starts). */
  const shardOf = (r: number): Shard => {
    let lo = 0;
    let hi = shards.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (shards[mid]!.start <= r) lo = mid;
      else hi = mid - 1;
    }
    return shards[lo]!;
  };

  /** Rows [lo, hi) of one shard as float32, written into `out` at row `at`. */
  const readRun = async (s: Shard, lo: number, hi: number, out: Float32Array, at: number, mask?: Uint8Array): Promise<void> => {
    await files.use(s.path, async (file) => {
      const raw = await file.readRowRange('features', lo - s.start, hi - lo);
      out.set(s.dtype === 'F16' ? float16ToFloat32(raw.data as Uint16Array) : (raw.data as Float32Array), at * rowSize);
      if (mask) mask.set((await file.readRowRange('mask', lo - s.start, hi - lo)).data as Uint8Array, at * tokens);
    });
  };

  const readRows = async (start: number, count: number): Promise<FeatureRows> => {
    if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > rows) {
      throw new Error(`readRows: rows [${start}, ${start + count}) are outside the ${rows} stored rows`);
    }
    const features = new Float32Array(count * rowSize);
    const mask = hasMask ? new Uint8Array(count * tokens) : undefined;
    for (const s of shards) {
      const lo = Math.max(start, s.start);
      const hi = Math.min(start + count, s.start + s.rows);
      if (lo < hi) await readRun(s, lo, hi, features, lo - start, mask);
    }
    return mask ? { features, mask } : { features };
  };

  // One scratch buffer for gather's reads, grown to the largest run; rows are decoded straight into the batch.
  let scratch = new Uint8Array(0);
  const gather = async (indices: readonly number[]): Promise<Float32Array> => {
    const out = new Float32Array(indices.length * rowSize);
    const outBits = new Uint32Array(out.buffer);
    // Consecutive indices within one shard become one read (sequential batches cost one read each).
    for (let i = 0; i < indices.length; ) {
      const r = indices[i]!;
      if (!(Number.isInteger(r) && r >= 0 && r < rows)) throw new Error(`gather: row ${r} is outside the ${rows} stored rows`);
      const s = shardOf(r);
      let j = i + 1;
      while (j < indices.length && indices[j] === r + (j - i) && r + (j - i) < s.start + s.rows) j++;
      const count = j - i;
      const bytes = count * rowSize * (s.dtype === 'F16' ? 2 : 4);
      if (scratch.length < bytes) scratch = new Uint8Array(bytes);
      await files.use(s.path, async (file) => file.readRowRangeInto('features', r - s.start, count, scratch));
      if (s.dtype === 'F32') out.set(new Float32Array(scratch.buffer, 0, count * rowSize), i * rowSize);
      else {
        const halves = new Uint16Array(scratch.buffer, 0, count * rowSize);
        const at = i * rowSize;
        for (let k = 0; k < halves.length; k++) outBits[at + k] = float16BitsToFloat32Bits(halves[k]!);
      }
      i = j;
    }
    return out;
  };

  return {
    rows,
    tokens,
    dim,
    hasMask,
    manifest,
    shards: shards.map(({ path, start, rows }) => ({ path, start, rows })),
    storedBytes: shards.reduce((n, s) => n + s.rows * rowSize * (s.dtype === 'F16' ? 2 : 4), 0),
    readRows,
    gather,
    async *batches(batchSize: number) {
      if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`batches: batch size must be a positive integer, got ${batchSize}`);
      for (let start = 0; start < rows; start += batchSize) {
        const count = Math.min(batchSize, rows - start);
        yield { start, count, ...(await readRows(start, count)) };
      }
    },
    readAll: () => readRows(0, rows),
    close: () => files.closeAll(),
  };
}

async function readManifest(dir: string): Promise<FeatureManifest> {
  const manifestPath = join(dir, 'manifest.json');
  const text = await readFile(manifestPath, 'utf8').catch(() => null);
  if (text === null) throw new Error(`${dir} has no manifest.json; pass a folder written by gluegen extract or a .safetensors file`);
  let manifest: FeatureManifest;
  try {
    manifest = JSON.parse(text) as FeatureManifest;
  } catch (e) {
    throw new Error(`${manifestPath} is not valid JSON (${(e as Error).message}); rerun gluegen extract into a new folder`);
  }
  if (manifest?.format !== 'gluegen-features' || !Array.isArray(manifest.shards)) {
    throw new Error(`${manifestPath} is not a gluegen feature manifest (format ${JSON.stringify(manifest?.format)}); pass a folder written by gluegen extract`);
  }
  if (!manifest.complete) {
    const done = manifest.shards.filter((s) => s.complete).length;
    throw new Error(
      `${dir}: the extraction is incomplete (${done} of ${manifest.shards.length} shards); rerun gluegen extract with the same arguments to finish it`,
    );
  }
  return manifest;
}

async function describeShard(path: string, start: number): Promise<Shard> {
  const file = await openSafetensors(path); // validates the whole header against the file size
  try {
    if (!file.has('features')) throw new Error(`${path} has no 'features' tensor (it has ${file.names().join(', ')})`);
    const f = file.info('features');
    if ((f.dtype !== 'F32' && f.dtype !== 'F16') || f.shape.length !== 3) {
      throw new Error(`${path}: 'features' is ${f.dtype} [${f.shape.join(', ')}], expected F32 or F16 [rows, tokens, dim]`);
    }
    const [rows, tokens, dim] = f.shape as [number, number, number];
    const m = file.has('mask') ? file.info('mask') : null;
    if (m && ((m.dtype !== 'U8' && m.dtype !== 'BOOL') || m.shape.join() !== [rows, tokens].join())) {
      throw new Error(`${path}: 'mask' is ${m.dtype} [${m.shape.join(', ')}], expected U8 [${rows}, ${tokens}]`);
    }
    return { path: resolve(path), start, rows, tokens, dim, dtype: f.dtype, hasMask: m !== null };
  } finally {
    await file.close();
  }
}

/**
 * Open shard files, at most about `limit` at once: the least recently used idle one is closed when
 * another is needed. A file in use (a read in flight, e.g. a prefetch) is never closed under it.
 */
class ShardFiles {
  private readonly open = new Map<string, { file: Promise<SafetensorsFile>; users: number }>();
  constructor(private readonly limit: number) {}

  async use<T>(path: string, fn: (file: SafetensorsFile) => Promise<T>): Promise<T> {
    let entry = this.open.get(path);
    if (entry)
      this.open.delete(path); // re-inserted below: Map order is recency order
    else {
      entry = { file: openSafetensors(path), users: 0 };
      await this.evict();
    }
    this.open.set(path, entry);
    entry.users++;
    try {
      return await fn(await entry.file);
    } finally {
      entry.users--;
    }
  }

  private async evict(): Promise<void> {
    for (const [path, entry] of this.open) {
      if (this.open.size < this.limit) return;
      if (entry.users > 0) continue;
      this.open.delete(path);
      await (await entry.file).close();
    }
  }

  async closeAll(): Promise<void> {
    const entries = [...this.open.values()];
    this.open.clear();
    for (const e of entries) await (await e.file).close();
  }
}
