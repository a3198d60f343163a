/**
 * Statistics of a generator's condition features: the per-token mean L2 norm ("tensor_norm" in the
 * release), which sets GlueNet's working units (features / (norm / 2)).
 */
import { DataError, type FeatureSource } from './data.js';

/** Mean over rows of the L2 norm of each token vector: [T]. Streams in chunks of rows. */
export async function perTokenNorm(src: FeatureSource, chunk = 256): Promise<number[]> {
  // A header may declare [1e15, 0, 96]: zero values per row, so the size check passes, yet a loop over rows never ends.
  if (src.tokens === 0 || src.dim === 0) {
    throw new DataError(`'${src.path}': features [${src.rows}, ${src.tokens}, ${src.dim}] hold no values per row; expected [N, T, D] with T and D > 0`);
  }
  const sums = new Float64Array(src.tokens);
  for (let start = 0; start < src.rows; start += chunk) {
    const idx = Array.from({ length: Math.min(chunk, src.rows - start) }, (_, i) => start + i);
    const data = await src.batch(idx);
    for (let r = 0; r < idx.length; r++) {
      for (let t = 0; t < src.tokens; t++) {
        let s = 0;
        const o = (r * src.tokens + t) * src.dim;
        for (let d = 0; d < src.dim; d++) s += data[o + d]! * data[o + d]!;
        sums[t]! += Math.sqrt(s);
      }
    }
  }
  return Array.from(sums, (v) => Number((v / src.rows).toPrecision(6)));
}

/** Mean over rows and tokens of each token's L2 norm. */
async function meanTokenNorm(src: FeatureSource): Promise<number> {
  const n = await perTokenNorm(src);
  return n.reduce((a, b) => a + b, 0) / n.length;
}

/** Variance of all values of a source divided by a per-token scale, and the share below `floor` (one pass). */
async function scaledValueStats(
  src: FeatureSource,
  scale: (t: number) => number,
  floor = -Infinity,
  chunk = 256,
): Promise<{ variance: number; below: number }> {
  let s = 0;
  let s2 = 0;
  let n = 0;
  let below = 0;
  for (let start = 0; start < src.rows; start += chunk) {
    const idx = Array.from({ length: Math.min(chunk, src.rows - start) }, (_, i) => start + i);
    const data = await src.batch(idx);
    for (let i = 0; i < data.length; i++) {
      const v = data[i]! / scale(Math.floor(i / src.dim) % src.tokens);
      s += v;
      s2 += v * v;
      if (v < floor) below++;
      n++;
    }
  }
  return { variance: s2 / n - (s / n) ** 2, below: below / n };
}

/** GELU's minimum, about -0.17 (at x = -0.75): the lowest value the release's GELU-ended head can output. */
const GELU_MIN = -0.17;

export interface SuggestedScales {
  /** The new features' divisor: their mean token norm / 2, so they enter at the targets' magnitude. */
  x_scale: number;
  cond_norm: number[];
  /**
   * 1 / variance of each term's target (distill: the features in units of cond_norm / 2;
   * rec: the scaled new features), so both terms start near 1 whatever the encoders' scales; adv
   * keeps the release's ratio to the distillation weight on CLIP-L (0.1 : 1e4 x 4/768).
   */
  loss_weights: { distill: number; rec: number; adv: number };
  /** Share of target values below the release head's GELU floor (-0.17 in units of cond_norm / 2). */
  belowGeluFloor: number;
}

/** Scales and loss weights for a GlueNet config, measured on paired features (see `gluegen stats`). */
export async function suggestedScales(x: FeatureSource, cond: FeatureSource): Promise<SuggestedScales> {
  const condNorm = await perTokenNorm(cond);
  const xScale = Number(((await meanTokenNorm(x)) / 2).toPrecision(4));
  const target = await scaledValueStats(cond, (t) => condNorm[t]! / 2, GELU_MIN);
  const xVar = (await scaledValueStats(x, () => xScale)).variance;
  const distill = Number((1 / target.variance).toPrecision(4));
  const releaseAdvRatio = 0.1 / (1e4 * (4 / 768));
  return {
    x_scale: xScale,
    cond_norm: condNorm,
    loss_weights: { distill, rec: Number((1 / xVar).toPrecision(4)), adv: Number(releaseAdvRatio.toPrecision(3)) },
    belowGeluFloor: target.below,
  };
}
