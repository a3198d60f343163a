/** Pre-LN transformer blocks: residual structure and a float64 check of the MLP path. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileInference } from '../../src/engine/compile.js';
import { initWeights } from '../../src/engine/init.js';
import { Graph } from '../../src/engine/ir.js';
import { Session } from '../../src/engine/runtime.js';
import { transformerStack } from '../../src/nn/transformer.js';
import { Rng } from '../../src/util/rng.js';

const cfg = { dim: 8, heads: 2, layers: 2, mlpRatio: 2 };

async function run(weights: Map<string, Float32Array>, g: Graph, out: ReturnType<typeof transformerStack>, x: Float32Array): Promise<Float32Array> {
  const s = await Session.create(compileInference(g, { out }, weights), { threads: 1 });
  const r = (await s.run({ x: { data: x, dims: [1, 3, 8] } })).out!.data as Float32Array;
  await s.release();
  return r;
}

test('with zero output projections every block is the identity (pure residual path)', async () => {
  const g = new Graph(false);
  const out = transformerStack('enc', g.input('x', [1, 3, 8]), cfg);
  const w = initWeights(g, 1);
  for (const [k, v] of w) if (/to_out|fc2/.test(k)) v.fill(0);
  const x = new Rng(2).fillNormal(new Float32Array(24));
  assert.deepEqual([...(await run(w, g, out, x))], [...x]);
});

test('one block with zero attention output adds exactly the GELU MLP of the LayerNorm', async () => {
  const g = new Graph(false);
  const out = transformerStack('enc', g.input('x', [1, 3, 8]), { ...cfg, layers: 1 });
  const w = initWeights(g, 3);
  w.get('enc.layers.0.attn.to_out.weight')!.fill(0);
  w.get('enc.layers.0.attn.to_out.bias')!.fill(0);
  const x = new Rng(4).fillNormal(new Float32Array(24));
  const got = await run(w, g, out, x);
  const erf = (z: number): number => {
    // Abramowitz-Stegun 7.1.26 is too coarse; integrate exp(-t^2) by Simpson's rule instead.
    const n = 2000;
    const h = z / n;
    let s = 1 + Math.exp(-z * z);
    for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(-((i * h) ** 2));
    return (2 / Math.sqrt(Math.PI)) * (h / 3) * s;
  };
  const f1 = w.get('enc.layers.0.mlp.fc1.weight')!,
    b1 = w.get('enc.layers.0.mlp.fc1.bias')!;
  const f2 = w.get('enc.layers.0.mlp.fc2.weight')!,
    b2 = w.get('enc.layers.0.mlp.fc2.bias')!;
  for (let t = 0; t < 3; t++) {
    const row = Array.from(x.subarray(t * 8, t * 8 + 8));
    const mean = row.reduce((a, b) => a + b, 0) / 8;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / 8;
    const ln = row.map((v) => (v - mean) / Math.sqrt(variance + 1e-5)); // LayerNorm weights start at 1, 0
    const hidden = Array.from({ length: 16 }, (_, o) => {
      const z = ln.reduce((s, v, i) => s + v * f1[o * 8 + i]!, b1[o]!);
      return 0.5 * z * (1 + erf(z / Math.SQRT2));
    });
    for (let o = 0; o < 8; o++) {
      const expected = row[o]! + hidden.reduce((s, v, i) => s + v * f2[o * 16 + i]!, b2[o]!);
      assert.ok(Math.abs(got[t * 8 + o]! - expected) < 1e-5, `token ${t} dim ${o}: ${got[t * 8 + o]} vs ${expected}`);
    }
  }
});
