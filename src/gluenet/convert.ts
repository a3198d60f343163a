/**
 * Importing released GlueGen checkpoints: a PyTorch `torch.save` state dict (read by the restricted
 * unpickler in src/io/torch-pickle.ts — nothing in the file is ever executed) or a safetensors state
 * dict. Release files hold the aligner's own keys (`blocks.0.net_sen.0.weight`, ...), sometimes
 * wrapped (`module.` from DataParallel, a `state_dict` entry); keys that already carry the
 * `aligner.` / `decoder.` / `discriminator.` prefixes are taken as they are.
 */
import { existsSync } from 'node:fs';
import { type NamedTensor, readSafetensors, tensorToFloat32 } from '../io/safetensors.js';
import { loadTorchCheckpoint } from '../io/torch-pickle.js';
import { CheckpointError } from './checkpoint.js';
import type { GlueNetConfig } from './config.js';
import { PARTS, partSpecs } from './specs.js';

export interface Converted {
  weights: Map<string, Float32Array>;
  /** Keys in the file that the config does not use (reported, not fatal). */
  unused: string[];
}

async function readStateDict(path: string): Promise<Map<string, NamedTensor>> {
  if (!existsSync(path)) throw new CheckpointError(`checkpoint '${path}' does not exist`);
  if (path.endsWith('.safetensors')) return (await readSafetensors(path)).tensors;
  return loadTorchCheckpoint(path);
}

function canonicalName(key: string): string {
  let k = key;
  for (const wrapper of ['state_dict.', 'model.', 'module.']) if (k.startsWith(wrapper)) k = k.slice(wrapper.length);
  if (k.startsWith('module.')) k = k.slice('module.'.length);
  return PARTS.some((p) => k.startsWith(`${p}.`)) ? k : `aligner.${k}`;
}

export async function convertCheckpoint(path: string, cfg: GlueNetConfig): Promise<Converted> {
  const raw = await readStateDict(path);
  const byName = new Map<string, { key: string; t: NamedTensor }>();
  for (const [key, t] of raw) byName.set(canonicalName(key), { key, t });
  const weights = new Map<string, Float32Array>();
  const used = new Set<string>();
  for (const part of PARTS) {
    const specs = partSpecs(cfg, part);
    const present = specs.filter((s) => byName.has(s.name));
    if (part !== 'aligner' && present.length === 0) continue;
    for (const s of specs) {
      const hit = byName.get(s.name);
      if (!hit) {
        throw new CheckpointError(
          `'${path}' has no tensor for ${s.name} [${s.shape}] (looked for '${s.name.replace(/^aligner\./, '')}'); ` +
            `check that --config matches the checkpoint (arch ${cfg.arch}, depth ${cfg.depth}, mult ${cfg.mult}, ${cfg.tokens_in}x${cfg.dim_in} -> ${cfg.tokens_out}x${cfg.dim_out})`,
        );
      }
      const shape = hit.t.shape;
      const expectScalar = s.shape.length === 0;
      if (!(expectScalar && shape.length <= 1) && JSON.stringify(shape) !== JSON.stringify(s.shape)) {
        throw new CheckpointError(`'${path}': '${hit.key}' has shape [${shape}], the config expects [${s.shape}] for ${s.name}`);
      }
      used.add(s.name);
      weights.set(s.name, hit.t.dtype === 'I64' ? Float32Array.of(Number((hit.t.data as BigInt64Array)[0] ?? 0n)) : tensorToFloat32(hit.t, hit.key));
    }
  }
  return { weights, unused: [...byName.keys()].filter((k) => !used.has(k)).map((k) => byName.get(k)!.key) };
}
