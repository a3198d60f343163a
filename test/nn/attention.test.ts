/**
 * Multi-head attention against an independent float64 implementation (forward, through
 * onnxruntime) and its gradients against central finite differences of that implementation.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gradients } from '../../src/engine/autodiff.js';
import { compileInference } from '../../src/engine/compile.js';
import { initWeights } from '../../src/engine/init.js';
import { Graph } from '../../src/engine/ir.js';
import { Session } from '../../src/engine/runtime.js';
import { causalBias, MultiHeadAttention } from '../../src/nn/attention.js';
import { Rng } from '../../src/util/rng.js';

const B = 2,
  N = 3,
  M = 4,
  D = 8,
  C = 6,
  H = 2;

/** y = x W^T (+ b), W [out, in], rows of x [rows, in]. */
function lin(x: number[][], w: Float64Array, out: number, bias?: Float64Array): number[][] {
  return x.map((row) => Array.from({ length: out }, (_, o) => row.reduce((s, v, i) => s + v * w[o * row.length + i]!, bias ? bias[o]! : 0)));
}

/** Reference attention for one batch item: x [N, D], ctx [M, C]. */
function reference(x: number[][], ctx: number[][], w: Record<string, Float64Array>, causal: boolean): number[][] {
  const q = lin(x, w['a.to_q.weight']!, D);
  const k = lin(ctx, w['a.to_k.weight']!, D);
  const v = lin(ctx, w['a.to_v.weight']!, D);
  const dh = D / H;
  const mixed = x.map(() => new Array<number>(D).fill(0));
  for (let h = 0; h < H; h++) {
    for (let i = 0; i < q.length; i++) {
      const scores = k.map((kr, j) =>
        causal && j > i ? -Infinity : kr.slice(h * dh, (h + 1) * dh).reduce((s, kv, d) => s + kv * q[i]![h * dh + d]!, 0) / Math.sqrt(dh),
      );
      const mx = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - mx));
      const z = e.reduce((a, b) => a + b, 0);
      for (let d = 0; d < dh; d++) mixed[i]![h * dh + d] = e.reduce((s, p, j) => s + (p / z) * v[j]![h * dh + d]!, 0);
    }
  }
  return lin(mixed, w['a.to_out.weight']!, D, w['a.to_out.bias']);
}

function rows(data: Float64Array | Float32Array, b: number, n: number, d: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from(data.subarray((b * n + i) * d, (b * n + i + 1) * d)));
}

function setup(causal: boolean) {
  const g = new Graph(true);
  const x = g.input('x', [B, N, D]);
  const ctx = causal ? x : g.input('ctx', [B, M, C]);
  const attn = new MultiHeadAttention('a', { dim: D, heads: H, contextDim: causal ? D : C });
  const out = attn.forward(x, causal ? undefined : ctx, causal ? causalBias(x, N) : undefined);
  const weights = initWeights(g, 7);
  const rng = new Rng(3);
  const xv = rng.fillNormal(new Float32Array(B * N * D));
  const cv = rng.fillNormal(new Float32Array(B * M * C));
  const lossW = rng.fillNormal(new Float32Array(B * N * D));
  return { g, x, out, weights, xv, cv, lossW };
}

test('cross-attention forward matches a float64 reference and its gradients match finite differences', async () => {
  const { g, x, out, weights, xv, cv, lossW } = setup(false);
  // loss = sum(out * W): gradients w.r.t. the input and one weight matrix.
  const loss = out.mul(g.constant(lossW, [B, N, D])).sum([0, 1, 2]);
  const wq = g.params.get('a.to_q.weight')!.tensor;
  const [gx, gwq] = gradients(loss, [x, wq]);
  const model = compileInference(g, { out, gx: gx!, gwq: gwq! }, weights);
  const session = await Session.create(model, { threads: 1 });
  const res = await session.run({ x: { data: xv, dims: [B, N, D] }, ctx: { data: cv, dims: [B, M, C] } });
  await session.release();

  const w64: Record<string, Float64Array> = Object.fromEntries([...weights].map(([k, v]) => [k, Float64Array.from(v)]));
  const refLoss = (xs: Float64Array, ws: Record<string, Float64Array>): number => {
    let s = 0;
    for (let b = 0; b < B; b++) {
      reference(rows(xs, b, N, D), rows(Float64Array.from(cv), b, M, C), ws, false).forEach((r, i) =>
        r.forEach((v, d) => (s += v * lossW[(b * N + i) * D + d]!)),
      );
    }
    return s;
  };
  const got = res.out!.data as Float32Array;
  for (let b = 0; b < B; b++) {
    const ref = reference(rows(Float64Array.from(xv), b, N, D), rows(Float64Array.from(cv), b, M, C), w64, false);
    ref.forEach((r, i) =>
      r.forEach((v, d) => assert.ok(Math.abs(got[(b * N + i) * D + d]! - v) < 1e-5, `out[${b},${i},${d}]: ${got[(b * N + i) * D + d]} vs ${v}`)),
    );
  }
  const h = 1e-5;
  const x64 = Float64Array.from(xv);
  const gxv = res.gx!.data as Float32Array;
  for (let i = 0; i < x64.length; i += 5) {
    const p = Float64Array.from(x64);
    const m = Float64Array.from(x64);
    p[i]! += h;
    m[i]! -= h;
    const numeric = (refLoss(p, w64) - refLoss(m, w64)) / (2 * h);
    assert.ok(Math.abs(gxv[i]! - numeric) < 1e-3 * Math.max(1, Math.abs(numeric)), `d/dx[${i}]: autodiff ${gxv[i]}, finite difference ${numeric}`);
  }
  const gq = res.gwq!.data as Float32Array;
  for (let i = 0; i < gq.length; i += 7) {
    const p = { ...w64, 'a.to_q.weight': Float64Array.from(w64['a.to_q.weight']!) };
    const m = { ...w64, 'a.to_q.weight': Float64Array.from(w64['a.to_q.weight']!) };
    p['a.to_q.weight'][i]! += h;
    m['a.to_q.weight'][i]! -= h;
    const numeric = (refLoss(x64, p) - refLoss(x64, m)) / (2 * h);
    assert.ok(Math.abs(gq[i]! - numeric) < 1e-3 * Math.max(1, Math.abs(numeric)), `d/dWq[${i}]: autodiff ${gq[i]}, finite difference ${numeric}`);
  }
});

test('causal self-attention matches the reference and ignores later tokens', async () => {
  const { g, out, weights, xv } = setup(true);
  const session = await Session.create(compileInference(g, { out }, weights), { threads: 1 });
  const run = async (xs: Float32Array): Promise<Float32Array> => (await session.run({ x: { data: xs, dims: [B, N, D] } })).out!.data as Float32Array;
  const base = Float32Array.from(await run(xv));
  const w64: Record<string, Float64Array> = Object.fromEntries([...weights].map(([k, v]) => [k, Float64Array.from(v)]));
  const ref = reference(rows(Float64Array.from(xv), 0, N, D), rows(Float64Array.from(xv), 0, N, D), w64, true);
  ref.forEach((r, i) => r.forEach((v, d) => assert.ok(Math.abs(base[i * D + d]! - v) < 1e-5, `causal out[0,${i},${d}]`)));
  // Changing the last token of item 0 leaves its earlier outputs unchanged, and changes the last.
  const changed = Float32Array.from(xv);
  for (let d = 0; d < D; d++) changed[(N - 1) * D + d]! += 1;
  const after = await run(changed);
  for (let i = 0; i < (N - 1) * D; i++) assert.equal(after[i], base[i]);
  assert.notEqual(after[(N - 1) * D], base[(N - 1) * D]);
  await session.release();
});

test('attention rejects a width that does not split into heads', () => {
  assert.throws(() => new MultiHeadAttention('bad', { dim: 10, heads: 4 }), /does not split into 4 heads/);
});
