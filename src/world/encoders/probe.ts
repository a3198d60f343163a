/**
 * Measuring what frozen features carry: a linear probe (ridge regression onto one-hot labels,
 * closed form, on standardised features) and nearest-neighbour retrieval by cosine similarity.
 */

/** A fitted probe: per-feature standardisation, then scores = [x, 1] W. */
export interface LinearProbe {
  dim: number;
  classes: number;
  mean: Float64Array;
  scale: Float64Array;
  /** [(dim + 1), classes]. */
  weights: Float64Array;
}

/** Solves A X = B in place for symmetric positive definite A [n, n] (Cholesky), B [n, m]. */
function solveSpd(a: Float64Array, b: Float64Array, n: number, m: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) throw new Error('internal: ridge normal matrix is not positive definite');
        l[i * n + i] = Math.sqrt(s);
      } else {
        l[i * n + j] = s / l[j * n + j]!;
      }
    }
  }
  const x = Float64Array.from(b);
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < n; i++) {
      let s = x[i * m + c]!;
      for (let k = 0; k < i; k++) s -= l[i * n + k]! * x[k * m + c]!;
      x[i * m + c] = s / l[i * n + i]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = x[i * m + c]!;
      for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * x[k * m + c]!;
      x[i * m + c] = s / l[i * n + i]!;
    }
  }
  return x;
}

/** Ridge probe from rows x [n, dim] with labels in [0, classes); `lambda` penalises the weights (not the bias). */
export function fitLinearProbe(x: Float32Array, labels: readonly number[], dim: number, classes: number, lambda = 1): LinearProbe {
  const n = labels.length;
  if (x.length !== n * dim) throw new Error(`internal: probe features hold ${x.length} values, expected ${n} x ${dim}`);
  if (n === 0) throw new Error('internal: probe fitted on no examples');
  const mean = new Float64Array(dim);
  const scale = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mean[d]! += x[i * dim + d]! / n;
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) scale[d]! += (x[i * dim + d]! - mean[d]!) ** 2 / n;
  for (let d = 0; d < dim; d++) scale[d] = 1 / Math.sqrt(scale[d]! + 1e-8);
  const p = dim + 1;
  const ata = new Float64Array(p * p);
  const aty = new Float64Array(p * classes);
  const row = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dim; d++) row[d] = (x[i * dim + d]! - mean[d]!) * scale[d]!;
    row[dim] = 1;
    for (let r = 0; r < p; r++) {
      for (let c = 0; c <= r; c++) ata[r * p + c]! += row[r]! * row[c]!;
      aty[r * classes + labels[i]!]! += row[r]!;
    }
  }
  for (let r = 0; r < p; r++) for (let c = r + 1; c < p; c++) ata[r * p + c] = ata[c * p + r]!;
  for (let d = 0; d < dim; d++) ata[d * p + d]! += lambda;
  return { dim, classes, mean, scale, weights: solveSpd(ata, aty, p, classes) };
}

/** The probe's class for each row of x [n, dim]. */
export function predictProbe(probe: LinearProbe, x: Float32Array): number[] {
  const { dim, classes, mean, scale, weights } = probe;
  const n = x.length / dim;
  return Array.from({ length: n }, (_, i) => {
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = weights[dim * classes + c]!;
      for (let d = 0; d < dim; d++) s += (x[i * dim + d]! - mean[d]!) * scale[d]! * weights[d * classes + c]!;
      if (s > bestScore) [best, bestScore] = [c, s];
    }
    return best;
  });
}

export function accuracy(predicted: readonly number[], truth: readonly number[]): number {
  if (predicted.length !== truth.length) throw new Error(`internal: ${predicted.length} predictions for ${truth.length} labels`);
  return predicted.filter((p, i) => p === truth[i]).length / Math.max(1, truth.length);
}

/** For each query row (of `queries` [n, dim]), the index of the most cosine-similar row of `keys` [m, dim]. */
export function nearestByCosine(queries: Float32Array, keys: Float32Array, dim: number): number[] {
  const norms = (a: Float32Array): Float64Array =>
    Float64Array.from({ length: a.length / dim }, (_, i) => {
      let s = 0;
      for (let d = 0; d < dim; d++) s += a[i * dim + d]! ** 2;
      return Math.sqrt(s) || 1;
    });
  const qn = norms(queries);
  const kn = norms(keys);
  return Array.from(qn, (q, i) => {
    let best = 0;
    let bestScore = -Infinity;
    kn.forEach((k, j) => {
      let s = 0;
      for (let d = 0; d < dim; d++) s += queries[i * dim + d]! * keys[j * dim + d]!;
      if (s / (q * k) > bestScore) [best, bestScore] = [j, s / (q * k)];
    });
    return best;
  });
}
