/**
 * Composite ops written from primitives. They need no gradient rule: autodiff differentiates the
 * primitives they expand to (onnxruntime fuses MatMul+Add into Gemm). LayerNorm and GELU are
 * primitives instead: in a training graph every intermediate of a composite is kept for the
 * backward pass, which costs memory and blocks onnxruntime's fused kernels.
 */
import type { Tensor } from './ir.js';
import { fmt, ShapeError } from './shape.js';

/** Exact (erf) GELU, as PyTorch's nn.GELU(): x/2 (1 + erf(x/sqrt 2)). */
export function gelu(x: Tensor): Tensor {
  return x.graph.apply('Gelu', [x], {});
}

/** y = x W^T + b with W stored [out, in] (PyTorch layout). */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const y = x.matmul(weight.T);
  return bias ? y.add(bias) : y;
}

/** LayerNorm over the last axis (biased variance, as PyTorch). */
export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  if (weight && bias) return x.graph.apply('LayerNorm', [x, weight, bias], { eps });
  const mean = x.mean([-1], true);
  const centred = x.sub(mean);
  const variance = centred.mul(centred).mean([-1], true);
  let y = centred.div(variance.add(eps).sqrt());
  if (weight) y = y.mul(weight);
  if (bias) y = y.add(bias);
  return y;
}

/**
 * Batch statistics of x over all axes but `channelAxis` (BatchNorm in training mode).
 * Returns the mean and the biased variance, both keeping dims.
 */
export function batchMoments(x: Tensor, channelAxis: number): { mean: Tensor; variance: Tensor; count: Tensor } {
  const axes = x.shape.map((_, i) => i).filter((i) => i !== channelAxis);
  const mean = x.mean(axes, true);
  const centred = x.sub(mean);
  const variance = centred.mul(centred).mean(axes, true);
  const count = axes.reduce((acc, a) => acc.mul(x.graph.dimValue(x.shape[a]!)), x.graph.scalar(1));
  return { mean, variance, count };
}

/** GroupNorm over [N, C, ...]: statistics per (sample, group). */
export function groupNorm(x: Tensor, groups: number, weight: Tensor, bias: Tensor, eps = 1e-5): Tensor {
  const c = x.size(1);
  if (c % groups !== 0) throw new ShapeError(`groupNorm: ${c} channels do not split into ${groups} groups (${fmt(x.shape)})`);
  const spatial = x.shape.slice(2);
  const g = x.reshape([x.shape[0]!, groups, -1]);
  const mean = g.mean([2], true);
  const centred = g.sub(mean);
  const variance = centred.mul(centred).mean([2], true);
  const y = centred.div(variance.add(eps).sqrt()).reshape([x.shape[0]!, c, ...spatial]);
  const bshape = [c, ...spatial.map(() => 1)];
  return y.mul(weight.reshape(bshape)).add(bias.reshape(bshape));
}

/** Mean squared error over all elements. */
export function mse(a: Tensor, b: Tensor): Tensor {
  const d = a.sub(b);
  const axes = d.shape.map((_, i) => i);
  return d.mul(d).mean(axes);
}

/** Mean over all elements. */
export function meanAll(x: Tensor): Tensor {
  return x.rank === 0 ? x : x.mean(x.shape.map((_, i) => i));
}

/** Negative log-likelihood of log-probabilities [N, K] against one-hot targets [N, K], averaged over N. */
export function nllOneHot(logProbs: Tensor, oneHot: Tensor): Tensor {
  return logProbs.mul(oneHot).sum([-1]).mean([0]).neg();
}

/** Cross-entropy of logits [N, K] against one-hot (or soft) targets [N, K], averaged over N. */
export function crossEntropy(logits: Tensor, target: Tensor): Tensor {
  return nllOneHot(logits.logSoftmax(-1), target);
}

/** Elementwise max(x, y) written with Where (for clipping). */
export function maximum(x: Tensor, y: Tensor): Tensor {
  return x.graph.apply('Where', [x.greater(y), x, y], {});
}

export function minimum(x: Tensor, y: Tensor): Tensor {
  return x.graph.apply('Where', [x.greater(y), y, x], {});
}

/** Nearest-neighbour upsampling of [N, C, H, W] by an integer factor, from reshape + expand. */
export function upsampleNearest2d(x: Tensor, factor: number): Tensor {
  const [n, c, h, w] = x.shape as [number | string, number, number, number];
  return x
    .reshape([n, c, h, 1, w, 1])
    .expand([n, c, h, factor, w, factor])
    .reshape([n, c, h * factor, w * factor]);
}

export function concat(xs: Tensor[], axis: number): Tensor {
  return xs[0]!.graph.apply('Concat', xs, { axis });
}

export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  return cond.graph.apply('Where', [cond, a, b], {});
}

/** Embedding lookup: table [V, D], int64 ids [...] -> [..., D]. */
export function embedding(table: Tensor, ids: Tensor): Tensor {
  return table.graph.apply('Gather', [table, ids], {});
}

export interface ConvOptions {
  stride?: number;
  padding?: number;
  dilation?: number;
}

/** 1-D or 2-D convolution with PyTorch-style symmetric padding; weight [O, C, ...kernel]. */
export function conv(x: Tensor, weight: Tensor, bias: Tensor | null, opts: ConvOptions = {}): Tensor {
  const nsp = x.rank - 2;
  const s = opts.stride ?? 1;
  const p = opts.padding ?? 0;
  const d = opts.dilation ?? 1;
  let y = x.graph.apply('Conv', [x, weight], {
    strides: new Array(nsp).fill(s),
    pads: new Array(2 * nsp).fill(p),
    dilations: new Array(nsp).fill(d),
  });
  if (bias) y = y.add(bias.reshape([weight.size(0), ...new Array(nsp).fill(1)]));
  return y;
}
