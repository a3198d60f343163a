/**
 * The simple alternatives GlueNet is measured against:
 * - the naive plug-in: new features zero-padded/truncated into the generator's shape, no learning;
 * - a linear least-squares map from flattened new features to flattened generator features
 *   (ridge regression solved in closed form), the "linear map" of the paper's ablation.
 */
import { compileInference } from '../engine/compile.js';
import { Graph } from '../engine/ir.js';
import { Session } from '../engine/runtime.js';

export function naivePlugIn(x: Float32Array, n: number, tIn: number, dIn: number, tOut: number, dOut: number): Float32Array {
  const out = new Float32Array(n * tOut * dOut);
  for (let r = 0; r < n; r++)
    for (let t = 0; t < Math.min(tIn, tOut); t++) for (let d = 0; d < Math.min(dIn, dOut); d++) out[(r * tOut + t) * dOut + d] = x[(r * tIn + t) * dIn + d]!;
  return out;
}

/** y = [x, 1] W, W: [(din + 1), dout]. */
export class LinearMap {
  constructor(
    readonly din: number,
    readonly dout: number,
    readonly weights: Float64Array,
  ) {}

  apply(x: Float32Array, n: number): Float32Array {
    const { din, dout, weights: w } = this;
    const out = new Float32Array(n * dout);
    const row = new Float64Array(dout);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < dout; j++) row[j] = w[din * dout + j]!;
      for (let i = 0; i < din; i++) {
        const v = x[r * din + i]!;
        if (v === 0) continue;
        const o = i * dout;
        for (let j = 0; j < dout; j++) row[j]! += v * w[o + j]!;
      }
      for (let j = 0; j < dout; j++) out[r * dout + j] = row[j]!;
    }
    return out;
  }
}

/** Gram matrices [X 1]^T [X 1] and [X 1]^T Y, with onnxruntime doing the big products. */
async function gram(x: Float32Array, y: Float32Array, n: number, din: number, dout: number): Promise<{ xtx: Float32Array; xty: Float32Array }> {
  const g = new Graph();
  const xi = g.input('x', [n, din]);
  const yi = g.input('y', [n, dout]);
  const ones = g.input('ones', [n, 1]);
  const xa = g.apply('Concat', [xi, ones], { axis: 1 });
  const s = await Session.create(compileInference(g, { xtx: xa.T.matmul(xa), xty: xa.T.matmul(yi) }, new Map()));
  const out = await s.run({ x: { data: x, dims: [n, din] }, y: { data: y, dims: [n, dout] }, ones: { data: new Float32Array(n).fill(1), dims: [n, 1] } });
  await s.release();
  return { xtx: out.xtx!.data as Float32Array, xty: out.xty!.data as Float32Array };
}

/**
 * Ridge regression: W = (X^T X + lambda I)^-1 X^T Y over rows x [n, din] -> y [n, dout], solved by
 * Cholesky in float64. lambda is relative to the mean diagonal of X^T X (the bias is not penalised).
 */
export async function fitLinearMap(x: Float32Array, y: Float32Array, n: number, din: number, dout: number, lambda = 1e-3): Promise<LinearMap> {
  return (await fitLinearMaps(x, y, n, din, dout, [lambda]))[0]!;
}

/**
 * One ridge fit per lambda, sharing the Gram matrices (the expensive part for many rows). With fewer
 * rows than input features the same solution is found in the dual, (n x n) instead of (din x din):
 * W = Xc^T (Xc Xc^T + l I)^-1 Yc on centred rows, the bias from the means — what the primal with an
 * unpenalised bias column gives, at O(n^3) instead of O(din^3).
 */
export async function fitLinearMaps(
  x: Float32Array,
  y: Float32Array,
  n: number,
  din: number,
  dout: number,
  lambdas: number[],
  form: 'auto' | 'primal' | 'dual' = 'auto',
): Promise<LinearMap[]> {
  if (form === 'dual' || (form === 'auto' && n < din)) return fitDual(x, y, n, din, dout, lambdas);
  const { xtx, xty } = await gram(x, y, n, din, dout);
  return lambdas.map((lambda) => solveRidge(xtx, xty, din, dout, lambda));
}

/** In-place Cholesky A = L L^T of a symmetric positive definite [m, m] float64 matrix (lower triangle). */
function cholesky(a: Float64Array, m: number): void {
  for (let j = 0; j < m; j++) {
    let d = a[j * m + j]!;
    for (let k = 0; k < j; k++) d -= a[j * m + k]! * a[j * m + k]!;
    if (!(d > 0)) throw new Error(`linear map: the normal equations are singular at column ${j}; use more rows or a larger ridge`);
    const l = Math.sqrt(d);
    a[j * m + j] = l;
    for (let i = j + 1; i < m; i++) {
      let s = a[i * m + j]!;
      for (let k = 0; k < j; k++) s -= a[i * m + k]! * a[j * m + k]!;
      a[i * m + j] = s / l;
    }
  }
}

/** Solves L L^T W = B in place for all `cols` columns of B [m, cols], given the Cholesky factor L. */
function choleskySolve(l: Float64Array, m: number, w: Float64Array, cols: number): void {
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < i; k++) {
      const lik = l[i * m + k]!;
      if (lik === 0) continue;
      for (let c = 0; c < cols; c++) w[i * cols + c]! -= lik * w[k * cols + c]!;
    }
    const lii = l[i * m + i]!;
    for (let c = 0; c < cols; c++) w[i * cols + c]! /= lii;
  }
  for (let i = m - 1; i >= 0; i--) {
    for (let k = i + 1; k < m; k++) {
      const lki = l[k * m + i]!;
      if (lki === 0) continue;
      for (let c = 0; c < cols; c++) w[i * cols + c]! -= lki * w[k * cols + c]!;
    }
    const lii = l[i * m + i]!;
    for (let c = 0; c < cols; c++) w[i * cols + c]! /= lii;
  }
}

async function fitDual(x: Float32Array, y: Float32Array, n: number, din: number, dout: number, lambdas: number[]): Promise<LinearMap[]> {
  const xMean = new Float64Array(din);
  const yMean = new Float64Array(dout);
  let meanDiag = 0; // of the uncentred [X 1]^T [X 1], as the primal scales lambda
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < din; i++) {
      const v = x[r * din + i]!;
      xMean[i]! += v / n;
      meanDiag += (v * v) / din;
    }
    for (let j = 0; j < dout; j++) yMean[j]! += y[r * dout + j]! / n;
  }
  const xc = Float32Array.from(x, (v, k) => v - xMean[k % din]!);
  const g = new Graph();
  const xi = g.input('x', [n, din]);
  const s = await Session.create(compileInference(g, { k: xi.matmul(xi.T) }, new Map()));
  const k = (await s.run({ x: { data: xc, dims: [n, din] } })).k!.data as Float32Array;
  await s.release();
  const back = new Graph();
  const xt = back.input('x', [n, din]);
  const alpha = back.input('alpha', [n, dout]);
  const project = await Session.create(compileInference(back, { w: xt.T.matmul(alpha) }, new Map()));
  try {
    const maps: LinearMap[] = [];
    for (const lambda of lambdas) {
      const a = Float64Array.from(k);
      for (let i = 0; i < n; i++) a[i * n + i]! += lambda * meanDiag + 1e-8;
      cholesky(a, n);
      const coef = Float64Array.from({ length: n * dout }, (_, q) => y[q]! - yMean[q % dout]!);
      choleskySolve(a, n, coef, dout);
      const w = (await project.run({ x: { data: xc, dims: [n, din] }, alpha: { data: Float32Array.from(coef), dims: [n, dout] } })).w!.data as Float32Array;
      const weights = new Float64Array((din + 1) * dout);
      weights.set(w);
      for (let j = 0; j < dout; j++) {
        let b = yMean[j]!;
        for (let i = 0; i < din; i++) b -= xMean[i]! * w[i * dout + j]!;
        weights[din * dout + j] = b;
      }
      maps.push(new LinearMap(din, dout, weights));
    }
    return maps;
  } finally {
    await project.release();
  }
}

function solveRidge(xtx: Float32Array, xty: Float32Array, din: number, dout: number, lambda: number): LinearMap {
  const m = din + 1;
  const a = Float64Array.from(xtx);
  let meanDiag = 0;
  for (let i = 0; i < din; i++) meanDiag += a[i * m + i]! / din;
  for (let i = 0; i < din; i++) a[i * m + i]! += lambda * meanDiag + 1e-8;
  cholesky(a, m);
  const w = Float64Array.from(xty);
  choleskySolve(a, m, w, dout);
  return new LinearMap(din, dout, w);
}
