/**
 * Alignment quality of aligned features A against the generator's own features C for the same
 * items ([N, T, D] each): MSE, token-wise cosine, cosine of token-mean ("pooled") vectors, and
 * retrieval recall (does item i's aligned vector find C_i among all N by pooled cosine?).
 */
export interface AlignmentMetrics {
  mse: number;
  tokenCosine: number;
  pooledCosine: number;
  recallAt1: number;
  recallAt5: number;
}

function cosine(a: Float32Array, ao: number, b: Float32Array, bo: number, d: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < d; i++) {
    dot += a[ao + i]! * b[bo + i]!;
    na += a[ao + i]! * a[ao + i]!;
    nb += b[bo + i]! * b[bo + i]!;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

export function pooled(x: Float32Array, n: number, t: number, d: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let r = 0; r < n; r++) for (let k = 0; k < t; k++) for (let j = 0; j < d; j++) out[r * d + j]! += x[(r * t + k) * d + j]! / t;
  return out;
}

/** Mean over all values of (a - b)^2. */
export function meanSquaredError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`internal: mean squared error of ${a.length} against ${b.length} values`);
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2;
  return se / a.length;
}

export function alignmentMetrics(aligned: Float32Array, cond: Float32Array, n: number, t: number, d: number): AlignmentMetrics {
  if (aligned.length !== n * t * d || cond.length !== n * t * d)
    throw new Error(`internal: metrics on ${aligned.length}/${cond.length} values for [${n}, ${t}, ${d}]`);
  let tok = 0;
  for (let r = 0; r < n * t; r++) tok += cosine(aligned, r * d, cond, r * d, d);
  const pa = pooled(aligned, n, t, d);
  const pc = pooled(cond, n, t, d);
  let pool = 0;
  let r1 = 0;
  let r5 = 0;
  for (let i = 0; i < n; i++) {
    const own = cosine(pa, i * d, pc, i * d, d);
    pool += own;
    // Rank of the true partner among all candidates (ties count against us).
    let better = 0;
    for (let j = 0; j < n; j++) if (j !== i && cosine(pa, i * d, pc, j * d, d) >= own) better++;
    if (better < 1) r1++;
    if (better < 5) r5++;
  }
  return { mse: meanSquaredError(aligned, cond), tokenCosine: tok / (n * t), pooledCosine: pool / n, recallAt1: r1 / n, recallAt5: r5 / n };
}

/** Top-2 principal components of rows [N, D] (power iteration on the covariance), for plots. */
export function pca2(rows: Float32Array, n: number, d: number, seed = 1): { project: (v: Float32Array, o: number) => [number, number]; mean: Float64Array } {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += rows[i * d + j]! / n;
  const cov = (v: Float64Array): Float64Array => {
    const out = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += (rows[i * d + j]! - mean[j]!) * v[j]!;
      for (let j = 0; j < d; j++) out[j]! += dot * (rows[i * d + j]! - mean[j]!);
    }
    return out;
  };
  const comps: Float64Array[] = [];
  let s = seed;
  for (let c = 0; c < 2; c++) {
    let v = new Float64Array(d).map(() => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5);
    for (let it = 0; it < 60; it++) {
      let w = cov(v);
      for (const p of comps) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += w[j]! * p[j]!;
        w = w.map((x, j) => x - dot * p[j]!);
      }
      const norm = Math.hypot(...w) || 1;
      v = w.map((x) => x / norm);
    }
    comps.push(v);
  }
  return {
    mean,
    project: (v, o) =>
      comps.map((p) => {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += (v[o + j]! - mean[j]!) * p[j]!;
        return dot;
      }) as [number, number],
  };
}
