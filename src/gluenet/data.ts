/**
 * Paired feature data for GlueNet: X (new-encoder features) and C (generator features), row i of
 * one paired with row i of the other. A feature file is a safetensors file with a tensor `features`
 * [N, T, D] (F32 or F16), or a shard folder as `gluegen extract` writes it (src/io/feature-shards.ts).
 * Sets whose float32 size fits the memory budget are read into memory once; larger ones are read
 * row by row for each batch, so memory stays bounded by the batch, whatever the size of the set.
 */
import { existsSync, statSync } from 'node:fs';
import { type FeatureStore, readFeatureStore } from '../io/feature-shards.js';
import { openSafetensors, type SafetensorsFile } from '../io/safetensors.js';

export class DataError extends Error {
  override name = 'DataError';
}

/** Feature sets above this many bytes (as float32) are streamed row by row instead of loaded. */
export const IN_MEMORY_LIMIT = 1 << 30;

export interface FeatureSourceOptions {
  /** Tensor to read from a single safetensors file (default 'features'). */
  tensor?: string;
  /** Largest set, in float32 bytes, read into memory whole (default 1 GiB); larger ones stream. */
  memoryBytes?: number;
}

export class FeatureSource {
  private constructor(
    readonly path: string,
    readonly rows: number,
    readonly tokens: number,
    readonly dim: number,
    private readonly all: Float32Array | null,
    private readonly file: SafetensorsFile | null,
    private readonly store: FeatureStore | null = null,
  ) {}

  static async open(path: string, options: FeatureSourceOptions | string = {}): Promise<FeatureSource> {
    const opts = typeof options === 'string' ? { tensor: options } : options;
    const tensor = opts.tensor ?? 'features';
    const limit = opts.memoryBytes ?? IN_MEMORY_LIMIT;
    if (!(limit >= 0)) throw new DataError(`memory budget for '${path}' must be >= 0 bytes, got ${limit}`);
    if (!existsSync(path)) throw new DataError(`feature file '${path}' does not exist`);
    if (statSync(path).isDirectory()) {
      // A shard folder written by `gluegen extract` (manifest.json + features-NNNNN.safetensors).
      const store = await readFeatureStore(path).catch((e: Error) => {
        throw new DataError(e.message);
      });
      if (store.rows === 0) {
        await store.close();
        throw new DataError(`'${path}' holds no rows`);
      }
      if (store.rows * store.tokens * store.dim * 4 > limit) return new FeatureSource(path, store.rows, store.tokens, store.dim, null, null, store);
      const all = (await store.readAll()).features;
      await store.close();
      return FeatureSource.fromArray(path, all, store.rows, store.tokens, store.dim);
    }
    const file = await openSafetensors(path);
    if (!file.has(tensor)) {
      const names = file.names();
      await file.close();
      throw new DataError(
        `'${path}' has no tensor '${tensor}' (it has: ${names.slice(0, 6).join(', ') || 'nothing'}); feature files hold 'features' [N, T, D]`,
      );
    }
    const info = file.info(tensor);
    if (info.shape.length !== 3 || !['F32', 'F16', 'BF16'].includes(info.dtype)) {
      await file.close();
      throw new DataError(`'${path}': '${tensor}' must be a float [N, T, D] tensor, got ${info.dtype} [${info.shape}]`);
    }
    const [rows, tokens, dim] = info.shape as [number, number, number];
    if (rows === 0) {
      await file.close();
      throw new DataError(`'${path}' holds no rows`);
    }
    if (info.byteLength / (info.dtype === 'F32' ? 1 : 0.5) <= limit) {
      const all = await file.readFloat32(tensor);
      await file.close();
      const bad = all.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        const row = Math.floor(bad / (tokens * dim));
        throw new DataError(`'${path}': row ${row} (token ${Math.floor(bad / dim) % tokens}) contains ${all[bad]}: remove or re-extract that row`);
      }
      return new FeatureSource(path, rows, tokens, dim, all, null);
    }
    return new FeatureSource(path, rows, tokens, dim, null, file);
  }

  /** An in-memory source (features computed in this process, e.g. by an encoder). */
  static fromArray(name: string, data: Float32Array, rows: number, tokens: number, dim: number): FeatureSource {
    if (data.length !== rows * tokens * dim) throw new DataError(`${name}: ${data.length} values do not make [${rows}, ${tokens}, ${dim}]`);
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new DataError(`${name}: row ${Math.floor(bad / (tokens * dim))} contains ${data[bad]}`);
    if (rows === 0) throw new DataError(`${name} holds no rows`);
    return new FeatureSource(name, rows, tokens, dim, data, null);
  }

  /** Rows gathered into one [indices.length, T, D] array. */
  async batch(indices: readonly number[]): Promise<Float32Array> {
    const size = this.tokens * this.dim;
    if (this.all) {
      const out = new Float32Array(indices.length * size);
      indices.forEach((r, i) => out.set(this.all!.subarray(r * size, (r + 1) * size), i * size));
      return out;
    }
    const out = this.store ? await this.store.gather(indices) : await this.file!.readRowsFloat32('features', indices);
    const bad = out.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new DataError(`'${this.path}': row ${indices[Math.floor(bad / size)]} contains ${out[bad]}: remove or re-extract that row`);
    return out;
  }

  /** Whether rows are read from disk for each batch (the set is larger than the memory budget). */
  get streaming(): boolean {
    return this.all === null;
  }

  /** Every row (only for sources that fit in memory). */
  async allRows(): Promise<Float32Array> {
    return this.all ?? this.batch(Array.from({ length: this.rows }, (_, i) => i));
  }

  async close(): Promise<void> {
    await this.file?.close();
    await this.store?.close();
  }
}

/** Checks two sources pair up and match a GlueNet's shapes; errors name both files and the fix. */
export function checkPairing(x: FeatureSource, c: FeatureSource, cfg: { tokens_in: number; dim_in: number; tokens_out: number; dim_out: number }): void {
  if (x.rows !== c.rows) {
    throw new DataError(`'${x.path}' has ${x.rows} rows but '${c.path}' has ${c.rows}: X and C must be paired row by row (same corpus, same order)`);
  }
  if (x.tokens !== cfg.tokens_in || x.dim !== cfg.dim_in) {
    throw new DataError(
      `'${x.path}' holds [${x.rows}, ${x.tokens}, ${x.dim}] features but the config expects new-encoder features [N, ${cfg.tokens_in}, ${cfg.dim_in}] (tokens_in, dim_in)`,
    );
  }
  if (c.tokens !== cfg.tokens_out || c.dim !== cfg.dim_out) {
    throw new DataError(
      `'${c.path}' holds [${c.rows}, ${c.tokens}, ${c.dim}] features but the config expects generator features [N, ${cfg.tokens_out}, ${cfg.dim_out}] (tokens_out, dim_out)`,
    );
  }
}
