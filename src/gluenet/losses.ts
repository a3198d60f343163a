/**
 * GlueNet's training objective (METHOD.md, "Losses"), as one graph:
 *   L = w_distill * mean((Y - S/(n/2))^2 * w[t]) + w_rec * mean((R(Y) - N/x_scale)^2)
 *     + w_adv * (NLL(D(GRL(S/(n/2))), old) + NLL(D(GRL(Y)), aligned))
 * with Y = A(N / x_scale), n the per-token norm of the generator's features and w[t] the token weights.
 */

import { concat } from '../engine/functional.js';
import type { Graph, Tensor } from '../engine/ir.js';
import { condNormValues, type GlueNetConfig } from './config.js';
import { aligner, decoder, discriminator } from './model.js';

/**
 * Token weights from the raw generator features of the batch S [B, T, D]:
 * m[t] = mean_d |mean_b S[b,t] - mean_b S[b,T-1]|, w = m / mean(m), then w[T-1] = (w[T-2] + w[T-3]) / 2.
 * Returns [1, T, 1]. Needs T >= 3.
 */
export function tokenWeights(s: Tensor): Tensor {
  const t = s.size(1);
  const mean = s.mean([0], true); // [1, T, D]
  const last = mean.slice(1, t - 1, t); // [1, 1, D]
  const m = mean.sub(last).abs().mean([2], true); // [1, T, 1]
  const w = m.div(m.mean([1], true));
  const fixedLast = w
    .slice(1, t - 2, t - 1)
    .add(w.slice(1, t - 3, t - 2))
    .mul(0.5);
  return concat([w.slice(1, 0, t - 1), fixedLast], 1).stopGradient();
}

/**
 * A loss term composed above GlueNet (e.g. through a frozen generator's denoiser, which GlueNet must
 * not know). It gets the aligner as a function (raw new features -> condition in the generator's
 * units, sharing GlueNet's weights) and declares its own graph inputs — fed each step by `inputs`
 * from that step's batch — and its own parameters, held frozen at `frozen` (only GlueNet trains).
 */
export interface ExtraLossTerm {
  /** Metric name in the training log ("denoise"). */
  name: string;
  /** Everything that changes the term (weight, model), so a resume with another term is refused. */
  identity: Record<string, unknown>;
  /** The weighted term, a scalar. */
  build(g: Graph, align: (x: Tensor) => Tensor, shape: { tokensIn: number; dimIn: number; tokensOut: number; dimOut: number }): Tensor;
  /**
   * Values of the inputs `build` declared, from this step's batch: x [rows, Tn, Dn], cond [rows, Tg, Dg],
   * and the pairs' row numbers in the training set (for data the term holds per pair, e.g. an image).
   */
  inputs(
    step: number,
    batch: { x: Float32Array; cond: Float32Array; rows: number; indices: readonly number[] },
  ): Record<string, { data: Float32Array; dims: number[] }>;
  /** Values of the parameters `build` declared; they are frozen. */
  frozen: ReadonlyMap<string, Float32Array>;
}

export interface GlueNetLossTerms {
  total: Tensor;
  distill: Tensor;
  rec: Tensor | null;
  adv: Tensor | null;
  extra: Tensor | null;
  /** Discriminator accuracy over both token sets (a diagnostic). */
  discAccuracy: Tensor | null;
}

/** Declares the batch inputs `x` [batch, Tn, Dn] and `cond` [batch, Tg, Dg] and builds the loss. */
export function glueNetLoss(g: Graph, cfg: GlueNetConfig, extraTerm?: ExtraLossTerm): GlueNetLossTerms {
  const x = g.input('x', ['batch', cfg.tokens_in, cfg.dim_in]);
  const cond = g.input('cond', ['batch', cfg.tokens_out, cfg.dim_out]);
  const halfNorm = g.constant(
    condNormValues(cfg).map((v) => v / 2),
    [1, cfg.tokens_out, 1],
  );
  const target = cond.div(halfNorm);
  const xScaled = x.div(cfg.x_scale);
  const y = aligner(cfg, xScaled);
  const lw = cfg.loss_weights;

  const w = cfg.tokens_out >= 3 ? tokenWeights(cond) : g.scalar(1);
  const d = y.sub(target);
  const distill = d.mul(d).mul(w).mean([0, 1, 2]).mul(lw.distill);
  let total = distill;

  let rec: Tensor | null = null;
  if (lw.rec > 0) {
    const r = decoder(cfg, y).sub(xScaled);
    rec = r.mul(r).mean([0, 1, 2]).mul(lw.rec);
    total = total.add(rec);
  }

  let adv: Tensor | null = null;
  let discAccuracy: Tensor | null = null;
  if (lw.adv > 0) {
    const tokens = (t: Tensor): Tensor => t.reshape([-1, cfg.dim_out]).gradReverse(cfg.eta);
    const pOld = discriminator(cfg, tokens(target)); // [B*T, 2], label 0
    const pAligned = discriminator(cfg, tokens(y)); // label 1
    const nllOld = pOld.slice(1, 0, 1).mean([0, 1]).neg();
    const nllAligned = pAligned.slice(1, 1, 2).mean([0, 1]).neg();
    adv = nllOld.add(nllAligned).mul(lw.adv);
    total = total.add(adv);
    const correct = (p: Tensor, label: 0 | 1): Tensor => {
      const diff = p.slice(1, label, label + 1).sub(p.slice(1, 1 - label, 2 - label));
      return diff.greater(0).cast('float32').mean([0, 1]);
    };
    discAccuracy = correct(pOld, 0).add(correct(pAligned, 1)).mul(0.5);
  }
  let extra: Tensor | null = null;
  if (extraTerm) {
    const before = new Set(g.params.keys());
    const align = (raw: Tensor): Tensor => aligner(cfg, raw.div(cfg.x_scale)).mul(halfNorm);
    extra = extraTerm.build(g, align, { tokensIn: cfg.tokens_in, dimIn: cfg.dim_in, tokensOut: cfg.tokens_out, dimOut: cfg.dim_out });
    const declared = [...g.params.keys()].filter((k) => !before.has(k));
    const missing = declared.filter((k) => !extraTerm.frozen.has(k));
    if (missing.length) throw new Error(`internal: loss term '${extraTerm.name}' declared parameters without values: ${missing.slice(0, 3).join(', ')}`);
    g.freeze(declared);
    total = total.add(extra);
  }
  return { total, distill, rec, adv, extra, discAccuracy };
}
