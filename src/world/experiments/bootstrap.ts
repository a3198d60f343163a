/**
 * Intervals for the world experiments: a row's score is the mean over attributes of the share of
 * inputs read correctly among those that name the attribute. Its 95% interval, and the interval of
 * the difference between two rows scored on the same inputs and seeds (paired), come from the
 * percentile bootstrap over inputs (Efron & Tibshirani 1993): resample the inputs with replacement,
 * recompute the score(s), take the 2.5% and 97.5% quantiles.
 */
import { Rng } from '../../util/rng.js';
import { ATTRIBUTE_NAMES, type AttributeName } from '../data/attributes.js';

/** Per input: 1 / 0 for each attribute it names and the image showed / did not show. */
export type ItemOutcome = Partial<Record<AttributeName, 0 | 1>>;

export interface Interval {
  low: number;
  high: number;
}

/** Mean over the attributes named by any input of the share correct (NaN when none is named). */
export function meanNamedAccuracy(
  items: readonly ItemOutcome[],
  pick: readonly number[] | null = null,
  attrs: readonly AttributeName[] = ATTRIBUTE_NAMES,
): number {
  const correct = new Float64Array(attrs.length);
  const total = new Float64Array(attrs.length);
  const n = pick ? pick.length : items.length;
  for (let k = 0; k < n; k++) {
    const it = items[pick ? pick[k]! : k]!;
    for (let a = 0; a < attrs.length; a++) {
      const v = it[attrs[a]!];
      if (v === undefined) continue;
      total[a]!++;
      correct[a]! += v;
    }
  }
  let s = 0;
  let m = 0;
  for (let a = 0; a < attrs.length; a++) {
    if (total[a]! > 0) {
      s += correct[a]! / total[a]!;
      m++;
    }
  }
  return m ? s / m : NaN;
}

const quantile = (sorted: Float64Array, q: number): number => {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
};

function resamples(n: number, count: number, seed: number): Generator<number[]> {
  const rng = new Rng(seed);
  return (function* () {
    for (let r = 0; r < count; r++) yield Array.from({ length: n }, () => rng.int(n));
  })();
}

/** Percentile-bootstrap 95% interval of a row's score. */
export function bootstrapInterval(items: readonly ItemOutcome[], count = 2000, seed = 12345): Interval {
  const values = new Float64Array(count);
  let i = 0;
  for (const pick of resamples(items.length, count, seed)) values[i++] = meanNamedAccuracy(items, pick);
  values.sort();
  return { low: quantile(values, 0.025), high: quantile(values, 0.975) };
}

export interface PairedDifference extends Interval {
  /** score(a) - score(b) on all inputs. */
  diff: number;
  n: number;
}

/** Score of `a` minus score of `b` on the same inputs, with its paired percentile-bootstrap 95% interval. */
export function pairedBootstrap(a: readonly ItemOutcome[], b: readonly ItemOutcome[], count = 2000, seed = 12345): PairedDifference {
  if (a.length !== b.length) throw new Error(`internal: paired rows of ${a.length} and ${b.length} inputs`);
  const values = new Float64Array(count);
  let i = 0;
  for (const pick of resamples(a.length, count, seed)) values[i++] = meanNamedAccuracy(a, pick) - meanNamedAccuracy(b, pick);
  values.sort();
  return { diff: meanNamedAccuracy(a) - meanNamedAccuracy(b), n: a.length, low: quantile(values, 0.025), high: quantile(values, 0.975) };
}
