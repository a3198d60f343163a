/**
 * Feature extraction: run an encoder over one column of a corpus and store the token features in
 * shards `features-00000.safetensors` (tensor `features` [n, T, D], plus `mask` [n, T] when the
 * encoder reports one) with a `manifest.json`, so GlueNet training reads features instead of
 * re-running a large encoder every epoch.
 *
 * Corpora: TSV with a header line, JSONL objects, or a CSV in the UrbanSound8K layout
 * (slice_file_name, fold, classID, class) whose WAVs live under <audio root>/fold<k>/.
 * Shards are written atomically and skipped when already complete, so an interrupted run resumes.
 */
import { createHash } from 'node:crypto';
import { open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { withAtomicFile, writeFileAtomic } from '../io/atomic.js';
import { float16ToFloat32, float32ToFloat16 } from '../io/half.js';
import { openSafetensors } from '../io/safetensors.js';
import { Progress, type ProgressStream } from '../util/progress.js';
import { decodeWav } from './audio/wav.js';
import { toMono } from './audio/resample.js';
import type { AudioClip, EncodedBatch, Encoder, Modality } from './types.js';

// ---- Corpus -----------------------------------------------------------------------------------

export type CorpusFormat = 'tsv' | 'jsonl' | 'csv';

export interface Corpus {
  path: string;
  format: CorpusFormat;
  /** The column as found in the file (after the new/old aliases). */
  column: string;
  modality: Modality;
  /** Prompts (text) or WAV paths (audio), in corpus order. */
  items: string[];
  /** SHA-256 of the items: a resumed extraction must see the same rows. */
  digest: string;
}

export interface CorpusOptions {
  /** Column (TSV/CSV header name or JSONL key). For TSV, 'new' / 'old' fall back to the first / second column. */
  column: string;
  /** What the encoder takes: text items are the column's strings, audio items are WAV paths. */
  modality: Modality;
  /** Audio: folder the WAV paths are relative to (UrbanSound8K: the folder holding fold1..fold10). */
  audioRoot?: string;
  /** Keep only the first N rows. */
  limit?: number;
}

const FORMATS: Record<string, CorpusFormat> = { '.tsv': 'tsv', '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.csv': 'csv' };

export async function readCorpus(path: string, opts: CorpusOptions): Promise<Corpus> {
  const format = FORMATS[extname(path).toLowerCase()];
  if (format === undefined) throw new Error(`corpus ${path}: unknown format '${extname(path)}'; expected .tsv (with a header line), .jsonl or .csv`);
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new Error(`corpus ${path} cannot be read (${e.code ?? e.message}); check the --input path`);
  });
  const lines = text.replace(/^\uFEFF/, '').split('\n').map((l) => l.replace(/\r$/, ''));
  const { header, rows } = format === 'jsonl' ? parseJsonl(path, lines, opts.column) : parseDelimited(path, lines, format === 'tsv' ? '\t' : ',');
  const limit = opts.limit ?? Infinity;
  const kept = rows.slice(0, limit);
  if (kept.length === 0) throw new Error(`corpus ${path} has no data rows`);
  let column = opts.column;
  let items: string[];
  const urban = format === 'csv' && header.includes('slice_file_name') && header.includes('fold');
  if (opts.modality === 'audio' && urban && (column === 'audio' || column === 'slice_file_name')) {
    const root = opts.audioRoot ?? join(dirname(dirname(resolve(path))), 'audio'); // UrbanSound8K/metadata/*.csv -> UrbanSound8K/audio
    const [fi, ki] = [header.indexOf('slice_file_name'), header.indexOf('fold')];
    column = 'slice_file_name';
    items = kept.map((r) => join(root, `fold${String(r.fields[ki])}`, String(r.fields[fi])));
  } else {
    let index = header.indexOf(column);
    if (index < 0 && format === 'tsv' && (column === 'new' || column === 'old') && header.length >= 2) index = column === 'new' ? 0 : 1;
    if (index < 0) throw new Error(`corpus ${path}: no column '${column}'; it has ${header.map((h) => `'${h}'`).join(', ')}. Pass one of them with --column`);
    column = header[index]!;
    items = kept.map((r) => {
      const v = r.fields[index];
      if (typeof v !== 'string') throw new Error(`corpus ${path}:${r.line}: '${column}' must be a string, got ${v === null ? 'null' : typeof v}`);
      return v;
    });
    if (opts.modality === 'audio') {
      const root = opts.audioRoot ?? dirname(resolve(path));
      items = items.map((p) => (isAbsolute(p) ? p : join(root, p)));
    }
  }
  if (opts.modality === 'audio') {
    for (let i = 0; i < items.length; i++) {
      if (!(await stat(items[i]!).catch(() => null))?.isFile()) {
        throw new Error(`corpus ${path}:${kept[i]!.line}: WAV file ${items[i]} does not exist; check --audio-root`);
      }
    }
  }
  const digest = createHash('sha256').update(items.join('\0')).digest('hex');
  return { path: resolve(path), format, column, modality: opts.modality, items, digest };
}

interface Row {
  line: number;
  fields: unknown[];
}

function parseDelimited(path: string, lines: string[], sep: '\t' | ','): { header: string[]; rows: Row[] } {
  const split = (line: string, n: number) => (sep === '\t' ? line.split('\t') : splitCsvLine(line, `${path}:${n}`));
  if (lines.length === 0 || lines[0] === '') throw new Error(`corpus ${path}: the first line must be a header naming the columns`);
  const header = split(lines[0]!, 1);
  const rows: Row[] = [];
  lines.forEach((line, i) => {
    if (i === 0 || line === '') return;
    const fields = split(line, i + 1);
    if (fields.length !== header.length) {
      throw new Error(`corpus ${path}:${i + 1}: expected ${header.length} ${sep === '\t' ? 'tab-separated' : 'comma-separated'} fields like the header, got ${fields.length}`);
    }
    rows.push({ line: i + 1, fields });
  });
  return { header, rows };
}

/** One CSV record on one line; "quoted, fields" with "" for a quote. */
function splitCsvLine(line: string, where: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c !== '"') cur += c;
      else if (line[i + 1] === '"') (cur += '"'), i++;
      else quoted = false;
    } else if (c === '"' && cur === '') quoted = true;
    else if (c === ',') out.push(cur), (cur = '');
    else cur += c;
  }
  if (quoted) throw new Error(`corpus ${where}: unterminated quoted field`);
  out.push(cur);
  return out;
}

function parseJsonl(path: string, lines: string[], column: string): { header: string[]; rows: Row[] } {
  const rows: Row[] = [];
  let keys: string[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new Error(`corpus ${path}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`corpus ${path}:${i + 1}: each line must be a JSON object, got ${Array.isArray(v) ? 'an array' : typeof v}`);
    const obj = v as Record<string, unknown>;
    if (rows.length === 0) keys = Object.keys(obj);
    if (!(column in obj)) throw new Error(`corpus ${path}:${i + 1}: no key '${column}' (this line has ${Object.keys(obj).map((k) => `'${k}'`).join(', ')})`);
    rows.push({ line: i + 1, fields: [obj[column]] });
  });
  return { header: keys.includes(column) ? [column] : keys, rows };
}

/** Loads WAV files as mono clips; a file that cannot be read or decoded is a one-line error naming it. */
export async function loadWavClips(paths: string[]): Promise<AudioClip[]> {
  return Promise.all(
    paths.map(async (path) => {
      const bytes = await readFile(path).catch((e: NodeJS.ErrnoException) => {
        throw new Error(`${path}: cannot read the WAV file (${e.code ?? e.message})`);
      });
      const wav = decodeWav(bytes, path);
      return { samples: toMono(wav.channels), sampleRate: wav.sampleRate, source: path };
    }),
  );
}

// ---- Writing ----------------------------------------------------------------------------------

export type FeatureDType = 'fp16' | 'fp32';

export interface FeatureManifest {
  format: 'gluegen-features';
  version: 1;
  encoder: { name: string; modality: Modality; tokens: number; dim: number; source?: string };
  source: { corpus: string; format: CorpusFormat; column: string; digest: string };
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

export const shardFileName = (i: number): string => `features-${String(i).padStart(5, '0')}.safetensors`;

export async function extractFeatures(opts: ExtractOptions): Promise<ExtractResult> {
  const { encoder, corpus, outDir } = opts;
  const batchSize = opts.batchSize ?? 32;
  const shardSize = opts.shardSize ?? 4096;
  const dtype = opts.dtype ?? 'fp32';
  for (const [name, v] of [['batch size', batchSize], ['shard size', shardSize]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`extract: ${name} must be a positive integer, got ${v}`);
  }
  if (dtype !== 'fp16' && dtype !== 'fp32') throw new Error(`extract: dtype must be 'fp16' or 'fp32', got ${JSON.stringify(dtype)}`);
  if (encoder.info.modality !== corpus.modality) throw new Error(`extract: the encoder takes ${encoder.info.modality} but the corpus was read as ${corpus.modality}`);
  const { tokens, dim } = encoder.info;
  const rows = corpus.items.length;
  const fresh: FeatureManifest = {
    format: 'gluegen-features',
    version: 1,
    encoder: { ...encoder.info, ...(opts.encoderSource ? { source: resolve(opts.encoderSource) } : {}) },
    source: { corpus: corpus.path, format: corpus.format, column: corpus.column, digest: corpus.digest },
    rows,
    tokens,
    dim,
    dtype,
    shardSize,
    mask: null,
    shards: Array.from({ length: Math.ceil(rows / shardSize) }, (_, i) => ({ file: shardFileName(i), start: i * shardSize, rows: Math.min(shardSize, rows - i * shardSize), complete: false })),
    complete: false,
  };
  const manifestPath = join(outDir, 'manifest.json');
  const manifest = await resumableManifest(manifestPath, fresh);
  await removeStaleTemps(outDir);
  await writeFileAtomic(manifestPath, JSON.stringify(manifest, null, 2) + '\n');

  const bar = opts.progress === false ? null : new Progress({ total: rows, label: `extract ${encoder.info.name}`, ...(opts.progress ? { stream: opts.progress } : {}) });
  const written: number[] = [];
  const skipped: number[] = [];
  for (const [i, shard] of manifest.shards.entries()) {
    const path = join(outDir, shard.file);
    const existing = await shardHasMask(path, shard.rows, tokens, dim, dtype);
    if (existing !== null) {
      shard.complete = true;
      manifest.mask ??= existing;
      skipped.push(i);
      bar?.tick(shard.rows);
      continue;
    }
    const hasMask = await writeShard(path, encoder, corpus, shard, batchSize, dtype, (n) => bar?.tick(n));
    if (manifest.mask !== null && manifest.mask !== hasMask) throw new Error(`internal: ${encoder.info.name} reported a mask for some batches only`);
    manifest.mask = hasMask;
    shard.complete = true;
    written.push(i);
    await writeFileAtomic(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
    await opts.onShard?.(i);
  }
  manifest.complete = true;
  await writeFileAtomic(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  bar?.done();
  return { manifest, written, skipped };
}

/** The manifest to continue from: the existing one when it describes the same extraction. */
async function resumableManifest(path: string, fresh: FeatureManifest): Promise<FeatureManifest> {
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) return fresh;
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
    if (was !== now) throw new Error(`${path} belongs to a different extraction (${name}: was ${String(was)}, now ${String(now)}); use a new --out folder or delete this one`);
  }
  return { ...fresh, mask: old.mask ?? null };
}

/** Temporary files left by a killed run (the atomic writer names them .<target>.tmp-<pid>-<hex>). */
async function removeStaleTemps(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const n of names) if (/^\.(features-\d+\.safetensors|manifest\.json)\.tmp-/.test(n)) await unlink(join(dir, n)).catch(() => undefined);
}

/** null unless `path` is a complete shard of the expected shape (then: whether it has a mask). */
async function shardHasMask(path: string, rows: number, tokens: number, dim: number, dtype: FeatureDType): Promise<boolean | null> {
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

async function encodeRows(encoder: Encoder, corpus: Corpus, start: number, end: number): Promise<EncodedBatch> {
  const items = corpus.items.slice(start, end);
  const batch = corpus.modality === 'text' ? await (encoder as Encoder<'text'>).encode(items) : await (encoder as Encoder<'audio'>).encode(await loadWavClips(items));
  const { tokens, dim } = encoder.info;
  if (batch.batch !== items.length || batch.tokens !== tokens || batch.dim !== dim) {
    throw new Error(`internal: ${encoder.info.name} returned [${batch.batch}, ${batch.tokens}, ${batch.dim}] for ${items.length} rows, expected [${items.length}, ${tokens}, ${dim}]`);
  }
  const bad = batch.features.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new Error(`${encoder.info.name} produced ${batch.features[bad]} for row ${start + Math.floor(bad / (tokens * dim))} (${corpus.items[start + Math.floor(bad / (tokens * dim))]}); check the input and the model`);
  return batch;
}

/** Streams one shard to disk batch by batch: header, features, then the mask (if any). */
async function writeShard(
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

// ---- Reading ----------------------------------------------------------------------------------

export interface FeatureRows {
  /** [count, T, D] row-major. */
  features: Float32Array;
  /** [count, T] when the store has masks. */
  mask?: Uint8Array;
}

interface ShardLayout {
  path: string;
  start: number;
  rows: number;
  tokens: number;
  dim: number;
  dataStart: number;
  features: { dtype: 'F32' | 'F16'; begin: number };
  mask: { begin: number } | null;
}

export interface FeatureStore {
  rows: number;
  tokens: number;
  dim: number;
  hasMask: boolean;
  /** Present for a shard folder. */
  manifest: FeatureManifest | null;
  /** Rows [start, start + count) as float32. */
  readRows(start: number, count: number): Promise<FeatureRows>;
  /** Every row, in batches of batchSize, read lazily. */
  batches(batchSize: number): AsyncGenerator<FeatureRows & { start: number; count: number }>;
  /** All rows concatenated. */
  readAll(): Promise<FeatureRows>;
}

/** Opens a feature shard folder (with manifest.json) or a single .safetensors holding `features`. */
export async function readFeatureStore(pathOrFile: string): Promise<FeatureStore> {
  const info = await stat(pathOrFile).catch(() => null);
  if (info === null) throw new Error(`features ${JSON.stringify(pathOrFile)} do not exist; run gluegen extract first`);
  let manifest: FeatureManifest | null = null;
  const shards: ShardLayout[] = [];
  if (info.isDirectory()) {
    const manifestPath = join(pathOrFile, 'manifest.json');
    const text = await readFile(manifestPath, 'utf8').catch(() => null);
    if (text === null) throw new Error(`${pathOrFile} has no manifest.json; pass a folder written by gluegen extract or a .safetensors file`);
    manifest = JSON.parse(text) as FeatureManifest;
    if (!manifest.complete) {
      const done = manifest.shards.filter((s) => s.complete).length;
      throw new Error(`${pathOrFile}: the extraction is incomplete (${done} of ${manifest.shards.length} shards); rerun gluegen extract with the same arguments to finish it`);
    }
    for (const s of manifest.shards) {
      const layout = await shardLayout(join(pathOrFile, s.file), s.start);
      if (layout.rows !== s.rows) throw new Error(`${layout.path} holds ${layout.rows} rows but manifest.json says ${s.rows}; rerun gluegen extract into a new folder`);
      shards.push(layout);
    }
  } else {
    shards.push(await shardLayout(pathOrFile, 0));
  }
  const [tokens, dim] = shards[0] ? [shards[0].tokens, shards[0].dim] : [manifest?.tokens ?? 0, manifest?.dim ?? 0];
  for (const s of shards) {
    if (s.tokens !== tokens || s.dim !== dim) throw new Error(`${s.path}: features are [${s.rows}, ${s.tokens}, ${s.dim}] but the first shard has ${tokens} x ${dim}`);
  }
  const rows = shards.reduce((n, s) => n + s.rows, 0);
  const hasMask = shards.length > 0 && shards.every((s) => s.mask !== null);
  const rowSize = tokens * dim;

  const readRows = async (start: number, count: number): Promise<FeatureRows> => {
    if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > rows) {
      throw new Error(`readRows: rows [${start}, ${start + count}) are outside the ${rows} stored rows`);
    }
    const features = new Float32Array(count * rowSize);
    const mask = hasMask ? new Uint8Array(count * tokens) : undefined;
    for (const s of shards) {
      const lo = Math.max(start, s.start);
      const hi = Math.min(start + count, s.start + s.rows);
      if (lo >= hi) continue;
      const handle = await open(s.path, 'r');
      try {
        const item = s.features.dtype === 'F16' ? 2 : 4;
        const bytes = new Uint8Array((hi - lo) * rowSize * item);
        await handle.read(bytes, 0, bytes.length, s.dataStart + s.features.begin + (lo - s.start) * rowSize * item);
        const values = item === 2 ? float16ToFloat32(new Uint16Array(bytes.buffer)) : new Float32Array(bytes.buffer);
        features.set(values, (lo - start) * rowSize);
        if (mask && s.mask) {
          const m = new Uint8Array((hi - lo) * tokens);
          await handle.read(m, 0, m.length, s.dataStart + s.mask.begin + (lo - s.start) * tokens);
          mask.set(m, (lo - start) * tokens);
        }
      } finally {
        await handle.close();
      }
    }
    return mask ? { features, mask } : { features };
  };
  return {
    rows,
    tokens,
    dim,
    hasMask,
    manifest,
    readRows,
    async *batches(batchSize: number) {
      if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`batches: batch size must be a positive integer, got ${batchSize}`);
      for (let start = 0; start < rows; start += batchSize) {
        const count = Math.min(batchSize, rows - start);
        yield { start, count, ...(await readRows(start, count)) };
      }
    },
    readAll: () => readRows(0, rows),
  };
}

async function shardLayout(path: string, start: number): Promise<ShardLayout> {
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
    // Offsets come from the (already validated) header itself.
    const handle = await open(path, 'r');
    const prefix = Buffer.alloc(8);
    let n = 0;
    let headerBytes = Buffer.alloc(0);
    try {
      await handle.read(prefix, 0, 8, 0);
      n = Number(prefix.readBigUInt64LE(0));
      headerBytes = Buffer.alloc(n);
      await handle.read(headerBytes, 0, n, 8);
    } finally {
      await handle.close();
    }
    const header = JSON.parse(headerBytes.toString('utf8')) as Record<string, { data_offsets: [number, number] }>;
    return {
      path: resolve(path),
      start,
      rows,
      tokens,
      dim,
      dataStart: 8 + n,
      features: { dtype: f.dtype, begin: header.features!.data_offsets[0] },
      mask: m ? { begin: header.mask!.data_offsets[0] } : null,
    };
  } finally {
    await file.close();
  }
}
