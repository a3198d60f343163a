// Writes feature shard folders (manifest.json + features-NNNNN.safetensors) directly, in the
// on-disk format `gluegen extract` produces, for tests that need sets of a chosen size and layout.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type FeatureManifest, shardFileName } from '../../src/io/feature-shards.js';
import { writeSafetensors } from '../../src/io/safetensors.js';

/** `rows` rows of [tokens, dim] produced shard by shard by `fill(start, count)` (so no whole-set buffer). */
export async function writeShardFolder(
  dir: string,
  o: { rows: number; tokens: number; dim: number; shardSize: number; dtype: 'fp16' | 'fp32' },
  fill: (start: number, count: number) => Float32Array,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const shards: FeatureManifest['shards'] = [];
  for (let i = 0, start = 0; start < o.rows; i++, start += o.shardSize) {
    const count = Math.min(o.shardSize, o.rows - start);
    const data = fill(start, count);
    await writeSafetensors(join(dir, shardFileName(i)), { features: { dtype: o.dtype === 'fp16' ? 'F16' : 'F32', shape: [count, o.tokens, o.dim], data } });
    shards.push({ file: shardFileName(i), start, rows: count, complete: true });
  }
  const manifest: FeatureManifest = {
    format: 'gluegen-features',
    version: 1,
    encoder: { name: 'synthetic', modality: 'text', tokens: o.tokens, dim: o.dim },
    source: { corpus: 'synthetic', format: 'tsv', column: 'x', digest: '0' },
    rows: o.rows,
    tokens: o.tokens,
    dim: o.dim,
    dtype: o.dtype,
    shardSize: o.shardSize,
    mask: false,
    shards,
    complete: true,
  };
  await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}
