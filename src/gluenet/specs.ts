/**
 * Which parameters a GlueNet has: names and shapes per part, found by building the networks in a
 * scratch graph (so the list can never drift from the model code).
 */
import { Graph, type ParamInfo } from '../engine/ir.js';
import type { GlueNetConfig } from './config.js';
import { aligner, decoder, discriminator } from './model.js';

export type Part = 'aligner' | 'decoder' | 'discriminator';
export const PARTS: readonly Part[] = ['aligner', 'decoder', 'discriminator'];

/** Parameters and buffers of one part (buffers: BatchNorm running statistics). */
export function partSpecs(cfg: GlueNetConfig, part: Part): ParamInfo[] {
  const g = new Graph(false);
  if (part === 'aligner') aligner(cfg, g.input('x', [1, cfg.tokens_in, cfg.dim_in]));
  else if (part === 'decoder') decoder(cfg, g.input('y', [1, cfg.tokens_out, cfg.dim_out]));
  else discriminator(cfg, g.input('t', [1, cfg.dim_out]));
  return [...g.params.values(), ...g.buffers.values()];
}

export function countParams(cfg: GlueNetConfig, part: Part): number {
  return partSpecs(cfg, part)
    .filter((p) => !p.name.includes('running_') && !p.name.endsWith('num_batches_tracked'))
    .reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
}

/** The parts a training run uses: the decoder and discriminator are dropped when their loss weight is 0. */
export function trainedParts(cfg: GlueNetConfig): Part[] {
  return PARTS.filter((p) => p === 'aligner' || (p === 'decoder' ? cfg.loss_weights.rec > 0 : cfg.loss_weights.adv > 0));
}
