/**
 * GlueNet with a loss term composed above it (the denoiser distillation of src/pipeline), the
 * validation / early-stopping hook and the cosine schedule of the trainer, the head without the
 * release's GELU floor, and the linear-aligner ablation.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Graph } from '../../src/engine/ir.js';
import { loadGlueNet } from '../../src/gluenet/checkpoint.js';
import { type GlueNetConfig, parseConfig } from '../../src/gluenet/config.js';
import type { FeatureSource } from '../../src/gluenet/data.js';
import { Aligner } from '../../src/gluenet/inference.js';
import { aligner } from '../../src/gluenet/model.js';
import { countParams } from '../../src/gluenet/specs.js';
import { suggestedScales } from '../../src/gluenet/stats.js';
import { TrainingStopped, trainGlueNet } from '../../src/gluenet/train.js';
import { denoiserDistillation } from '../../src/pipeline/denoiser-terms.js';
import { Rng } from '../../src/util/rng.js';

import { C, DG, DN, H, pairs, T, toyDenoiser, W } from '../helpers/toy-denoiser.js';

async function config(f: { x: FeatureSource; cond: FeatureSource }, over: Record<string, unknown> = {}): Promise<GlueNetConfig> {
  const s = await suggestedScales(f.x, f.cond);
  return parseConfig({
    arch: 'translator_noln',
    tokens_in: T,
    tokens_out: T,
    dim_in: DN,
    dim_out: DG,
    mult: 2,
    depth: 2,
    x_scale: s.x_scale,
    cond_norm: s.cond_norm,
    loss_weights: { distill: 1e-6, rec: 0, adv: 0 },
    ...over,
  });
}

test('the denoiser distillation trains only GlueNet: its term falls, the denoiser weights stay frozen and are not saved', async () => {
  const f = pairs(256, 1);
  const den = toyDenoiser(2);
  const frozenBefore = new Map([...den.weights].map(([k, v]) => [k, Float32Array.from(v)]));
  const out = join(mkdtempSync(join(tmpdir(), 'gluenet-den-')), 'g');
  // Distillation weight ~0: what aligns the features here is the term through the denoiser alone.
  const r = await trainGlueNet({
    x: f.x,
    cond: f.cond,
    config: await config(f),
    out,
    steps: 150,
    batchSize: 32,
    lr: 3e-3,
    progress: null,
    extraLoss: denoiserDistillation(den, { weight: 1, seed: 0, rows: 8 }),
  });
  const first = r.history.slice(0, 10).reduce((s, h) => s + h.extra!, 0) / 10;
  const last = r.history.slice(-10).reduce((s, h) => s + h.extra!, 0) / 10;
  assert.ok(last < 0.75 * first, `denoise term ${first} -> ${last}`);
  for (const [k, v] of den.weights) assert.deepEqual(v, frozenBefore.get(k), `${k} unchanged`);
  const saved = await loadGlueNet(out);
  assert.ok(
    [...saved.weights.keys()].every((k) => k.startsWith('aligner.')),
    'only GlueNet weights are saved',
  );
  // Resuming with another term (weight) is refused instead of mixing two runs.
  await assert.rejects(
    trainGlueNet({
      x: f.x,
      cond: f.cond,
      config: await config(f),
      out,
      steps: 200,
      batchSize: 32,
      lr: 3e-3,
      progress: null,
      resume: true,
      extraLoss: denoiserDistillation(den, { weight: 2, seed: 0, rows: 8 }),
    }),
    TrainingStopped,
  );
});

test('the denoiser term matches its definition: mean squared difference of the two predictions on the drawn latents', async () => {
  const den = toyDenoiser(3);
  const term = denoiserDistillation(den, { weight: 2, seed: 5, rows: 3 });
  const f = pairs(3, 4);
  const cfg = await config(f);
  // The term's graph with the aligner replaced by the identity padding (no GlueNet weights needed).
  const g = new Graph(false);
  const value = term.build(g, (x) => x.pad(2, 0, DG - DN), { tokensIn: T, dimIn: DN, tokensOut: T, dimOut: DG });
  void cfg;
  const xs = await f.x.allRows();
  const cs = await f.cond.allRows();
  const feeds = term.inputs(0, { x: xs, cond: cs, rows: 3, indices: [0, 1, 2] });
  // Reference in plain TypeScript.
  const wCtx = den.weights.get('den.ctx.weight')!;
  const bCtx = den.weights.get('den.ctx.bias')!;
  const predict = (ctx: (r: number, t: number, d: number) => number, r: number, o: number): number => {
    let s = bCtx[o]!;
    for (let d = 0; d < DG; d++) {
      let m = 0;
      for (let t = 0; t < T; t++) m += ctx(r, t, d) / T;
      s += m * wCtx[o * DG + d]!;
    }
    const sample = feeds.distill_sample!.data[r * C * H * W + o]!;
    return 0.5 * sample + Math.tanh(s) + 1e-3 * feeds.distill_timestep!.data[r]!;
  };
  let ref = 0;
  for (let r = 0; r < 3; r++)
    for (let o = 0; o < C * H * W; o++) {
      const student = predict((rr, t, d) => (d < DN ? xs[(rr * T + t) * DN + d]! : 0), r, o);
      const teacher = predict((rr, t, d) => cs[(rr * T + t) * DG + d]!, r, o);
      ref += (student - teacher) ** 2;
    }
  ref = (2 * ref) / (3 * C * H * W);
  const { compileInference } = await import('../../src/engine/compile.js');
  const { Session } = await import('../../src/engine/runtime.js');
  const s = await Session.create(compileInference(g, { value }, den.weights));
  const got = Number((await s.run(feeds)).value!.data[0]!);
  await s.release();
  assert.ok(Math.abs(got - ref) < 1e-4 * Math.max(1, Math.abs(ref)), `${got} vs ${ref}`);
  // Timesteps index the schedule; a step's draw is a pure function of (seed, step).
  assert.deepEqual(
    term.inputs(7, { x: xs, cond: cs, rows: 3, indices: [0, 1, 2] }).distill_sample!.data,
    term.inputs(7, { x: xs, cond: cs, rows: 3, indices: [0, 1, 2] }).distill_sample!.data,
  );
  assert.notDeepEqual(term.inputs(7, { x: xs, cond: cs, rows: 3, indices: [0, 1, 2] }).distill_sample!.data, feeds.distill_sample!.data);
});

test('validation keeps the best step (early stopping) and the cosine schedule decays the rate to ~0', async () => {
  const f = pairs(200, 7);
  const val = pairs(64, 8); // a different map: validation error rises as training fits the training map
  const cfg = await config(f, { loss_weights: { distill: 1, rec: 0, adv: 0 } });
  const seen: number[] = [];
  const r = await trainGlueNet({
    x: f.x,
    cond: f.cond,
    config: cfg,
    out: join(mkdtempSync(join(tmpdir(), 'gluenet-val-')), 'g'),
    steps: 60,
    batchSize: 32,
    lr: 5e-3,
    lrSchedule: 'cosine',
    progress: null,
    validation: {
      every: 10,
      loss: async (w) => {
        const a = await Aligner.create(cfg, w);
        const y = await a.alignAll(await val.x.allRows(), val.x.rows);
        await a.release();
        const c = await val.cond.allRows();
        let s = 0;
        for (let i = 0; i < c.length; i++) s += (y[i]! - c[i]!) ** 2;
        seen.push(s / c.length);
        return s / c.length;
      },
    },
  });
  assert.equal(seen.length, 6);
  const vals = r.history.filter((h) => h.val !== undefined);
  assert.deepEqual(
    vals.map((h) => h.step),
    [10, 20, 30, 40, 50, 60],
  );
  const best = Math.min(...seen);
  assert.equal(r.best!.loss, best);
  assert.equal(r.best!.step, vals.find((h) => h.val === best)!.step);
  assert.ok([...r.best!.weights.keys()].every((k) => k.startsWith('aligner.')));
  assert.ok(Math.abs(r.history[0]!.lr - 5e-3) < 1e-6);
  assert.ok(r.history.at(-1)!.lr < 1e-5, `last lr ${r.history.at(-1)!.lr}`);
});

test("without the release's final GELU the head can output values below -0.17; by default (release) it cannot", async () => {
  const base = { arch: 'translator_w_head', tokens_in: 3, tokens_out: 4, dim_in: 5, dim_out: 6, mult: 2, depth: 3, cond_norm: [2, 2, 2, 2] };
  const outputs = async (cfg: GlueNetConfig): Promise<Float32Array> => {
    const g = new Graph(false);
    aligner(cfg, g.input('x', [1, 3, 5]));
    const rng = new Rng(11);
    const w = new Map([...g.params.values()].map((p) => [p.name, rng.fillNormal(new Float32Array(p.shape.reduce((a, b) => a * b, 1)), 1)]));
    const a = await Aligner.create(cfg, w);
    const y = await a.align(new Rng(12).fillNormal(new Float32Array(64 * 15)), 64);
    await a.release();
    return y; // x cond_norm / 2 = 1: aligner units
  };
  const release = await outputs(parseConfig(base));
  assert.ok(Math.min(...release) >= -0.1701, `min ${Math.min(...release)}`);
  const free = await outputs(parseConfig({ ...base, final_gelu: false }));
  assert.ok(Math.min(...free) < -0.5, `min ${Math.min(...free)}`);
  assert.throws(() => parseConfig({ ...base, final_gelu: 'no' }), /'final_gelu' must be true or false/);
});

test('the linear-aligner ablation is a token map then a width map, with their parameters only', () => {
  const cfg = parseConfig({ arch: 'linear', tokens_in: 24, tokens_out: 16, dim_in: 96, dim_out: 128, cond_norm: Array(16).fill(2) });
  assert.equal(countParams(cfg, 'aligner'), 24 * 16 + 16 + 96 * 128 + 128);
});

test('suggested scales: loss weights are 1 / variance of each target and the GELU-floor share is measured', async () => {
  const f = pairs(128, 3);
  const s = await suggestedScales(f.x, f.cond);
  const c = await f.cond.allRows();
  let below = 0;
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < c.length; i++) {
    const v = c[i]! / (s.cond_norm[Math.floor(i / DG) % T]! / 2);
    if (v < -0.17) below++;
    sum += v;
    sq += v * v;
  }
  const variance = sq / c.length - (sum / c.length) ** 2;
  assert.ok(Math.abs(s.loss_weights.distill - 1 / variance) < 1e-3 / variance);
  assert.equal(s.belowGeluFloor, below / c.length);
  assert.ok(s.belowGeluFloor > 0.1, 'tanh features of both signs fall below the floor');
});
