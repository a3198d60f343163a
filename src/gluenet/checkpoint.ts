/**
 * The GlueNet directory — the unit users pass around:
 *   config.json          GlueNetConfig
 *   model.safetensors    weights with PyTorch state-dict names: aligner.*, decoder.*, discriminator.*
 * and, for training runs, metrics.jsonl, loss.png and checkpoints/step-N/ sets (checkpoint-set.ts) that
 * `--resume` continues from. Every file is written atomically (temp file + rename).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { openSafetensors, type TensorToWrite, writeSafetensors } from '../io/safetensors.js';
import { type GlueNetConfig, parseConfig } from './config.js';
import { PARTS, type Part, partSpecs } from './specs.js';

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

export interface GlueNet {
  config: GlueNetConfig;
  /** Parameters and buffers by state-dict name. */
  weights: Map<string, Float32Array>;
  /** The parts present in the file (a converted release checkpoint may hold only the aligner). */
  parts: Part[];
}

const isCounter = (name: string): boolean => name.endsWith('num_batches_tracked');

function toWrite(weights: ReadonlyMap<string, Float32Array>, shapes: Map<string, number[]>, dtype: 'F32' | 'F16'): Record<string, TensorToWrite> {
  const out: Record<string, TensorToWrite> = {};
  for (const [name, v] of weights) {
    const shape = shapes.get(name) ?? [v.length];
    // PyTorch keeps BatchNorm's batch counter as int64.
    out[name] = isCounter(name) ? { dtype: 'I64', shape, data: BigInt64Array.of(BigInt(Math.round(v[0] ?? 0))) } : { dtype, shape, data: v };
  }
  return out;
}

function expectedShapes(cfg: GlueNetConfig): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const part of PARTS) for (const p of partSpecs(cfg, part)) m.set(p.name, p.shape);
  return m;
}

/**
 * Writes config.json and model.safetensors. `dtype` 'F16' stores the weights in half precision (half
 * the bytes; loading widens them to float32 again): for shipping an inference-only aligner, never
 * for checkpoints a run resumes from.
 */
export async function saveGlueNet(
  dir: string,
  cfg: GlueNetConfig,
  weights: ReadonlyMap<string, Float32Array>,
  metadata: Record<string, string> = {},
  dtype: 'F32' | 'F16' = 'F32',
): Promise<void> {
  await writeFileAtomic(join(dir, 'config.json'), `${JSON.stringify(cfg, null, 2)}\n`);
  await writeSafetensors(join(dir, 'model.safetensors'), toWrite(weights, expectedShapes(cfg), dtype), { format: 'pt', producer: 'gluegen', ...metadata });
}

export function readConfigFile(path: string): GlueNetConfig {
  if (!existsSync(path)) throw new CheckpointError(`no GlueNet config at '${path}'`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CheckpointError(`'${path}' is not valid JSON: ${(e as Error).message}`);
  }
  return parseConfig(raw, path);
}

/**
 * Loads a GlueNet directory, checking every tensor's shape against the config. The aligner must be
 * complete; decoder and discriminator are optional but, when present, complete.
 */
export async function loadGlueNet(dir: string): Promise<GlueNet> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new CheckpointError(`GlueNet directory '${dir}' does not exist (expected a folder with config.json and model.safetensors)`);
  }
  const config = readConfigFile(join(dir, 'config.json'));
  const modelPath = join(dir, 'model.safetensors');
  if (!existsSync(modelPath)) throw new CheckpointError(`'${dir}' has no model.safetensors`);
  const file = await openSafetensors(modelPath);
  try {
    const weights = new Map<string, Float32Array>();
    const parts: Part[] = [];
    for (const part of PARTS) {
      const specs = partSpecs(config, part);
      const present = specs.filter((s) => file.has(s.name));
      if (present.length === 0 && part !== 'aligner') continue;
      const missing = specs.filter((s) => !file.has(s.name)).map((s) => s.name);
      if (missing.length) {
        throw new CheckpointError(
          `${modelPath}: ${part} is incomplete: missing ${missing.length} tensor(s), e.g. ${missing.slice(0, 3).join(', ')} — ` +
            `does config.json (arch ${config.arch}, ${config.tokens_in}x${config.dim_in} -> ${config.tokens_out}x${config.dim_out}, depth ${config.depth}, mult ${config.mult}) match the weights?`,
        );
      }
      for (const s of specs) {
        const info = file.info(s.name);
        const shape = isCounter(s.name) && info.shape.length === 0 ? [] : info.shape;
        if (JSON.stringify(shape) !== JSON.stringify(s.shape)) {
          throw new CheckpointError(`${modelPath}: '${s.name}' has shape [${info.shape}], the config expects [${s.shape}]`);
        }
        if (isCounter(s.name)) {
          const raw = await file.read(s.name);
          weights.set(s.name, Float32Array.of(Number(raw.data[0] ?? 0)));
        } else {
          const v = await file.readFloat32(s.name);
          const bad = v.findIndex((x) => !Number.isFinite(x));
          if (bad >= 0) throw new CheckpointError(`${modelPath}: '${s.name}' contains ${v[bad]} at index ${bad}: the checkpoint is corrupt`);
          weights.set(s.name, v);
        }
      }
      parts.push(part);
    }
    return { config, weights, parts };
  } finally {
    await file.close();
  }
}
