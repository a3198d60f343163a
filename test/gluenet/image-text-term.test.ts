/**
 * The image-text denoising term (src/pipeline/denoiser-terms.ts imageTextDenoising): its value is the
 * generator's weighted training loss on the pairs' own images, row i's image follows row i of the
 * training set through any shuffle, and finetuning with it trains GlueNet only.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { compileInference } from '../../src/engine/compile.js';
import { Graph } from '../../src/engine/ir.js';
import { Session } from '../../src/engine/runtime.js';
import { loadGlueNet } from '../../src/gluenet/checkpoint.js';
import { parseConfig } from '../../src/gluenet/config.js';
import { suggestedScales } from '../../src/gluenet/stats.js';
import { trainGlueNet } from '../../src/gluenet/train.js';
import { imageTextDenoising } from '../../src/pipeline/denoiser-terms.js';
import { Rng } from '../../src/util/rng.js';
import { C, DG, DN, H, pairs, T, toyDenoiser, W } from '../helpers/toy-denoiser.js';

const PER = C * H * W;

test('the image-text term is the weighted denoising loss on each pair’s own image, whatever rows the batch holds', async () => {
  const den = { ...toyDenoiser(3), lossWeight: Float32Array.from({ length: 10 }, (_, t) => 1 + t) };
  const n = 5;
  const latents = new Rng(4).fillNormal(new Float32Array(n * PER));
  const term = imageTextDenoising(den, { latents, weight: 2, seed: 9, rows: 3 });
  const g = new Graph(false);
  const value = term.build(g, (x) => x.pad(2, 0, DG - DN), { tokensIn: T, dimIn: DN, tokensOut: T, dimOut: DG });
  const f = pairs(3, 6);
  const xs = await f.x.allRows();
  const cs = await f.cond.allRows();
  const indices = [4, 0, 2]; // batch row k is training row indices[k]
  const feeds = term.inputs(3, { x: xs, cond: cs, rows: 3, indices });
  // The targets are the clean latents of rows 4, 0, 2 (the toy predicts the sample).
  for (const [k, i] of indices.entries()) {
    assert.deepEqual(feeds.images_target!.data.subarray(k * PER, (k + 1) * PER), latents.subarray(i * PER, (i + 1) * PER));
  }
  // Reference in plain TypeScript: x_t = a x0 + b eps is what the denoiser saw; recover eps from it.
  const wCtx = den.weights.get('den.ctx.weight')!;
  const bCtx = den.weights.get('den.ctx.bias')!;
  let ref = 0;
  for (let r = 0; r < 3; r++) {
    const t = feeds.images_timestep!.data[r]!;
    assert.equal(feeds.images_weight!.data[r], 1 + t);
    let rowLoss = 0;
    for (let o = 0; o < PER; o++) {
      let s = bCtx[o]!;
      for (let d = 0; d < DG; d++) {
        let m = 0;
        for (let tt = 0; tt < T; tt++) m += (d < DN ? xs[(r * T + tt) * DN + d]! : 0) / T;
        s += m * wCtx[o * DG + d]!;
      }
      const sample = feeds.images_sample!.data[r * PER + o]!;
      const pred = 0.5 * sample + Math.tanh(s) + 1e-3 * t;
      rowLoss += (pred - latents[indices[r]! * PER + o]!) ** 2 / PER;
    }
    ref += ((1 + t) * rowLoss) / 3;
  }
  ref *= 2;
  const s = await Session.create(compileInference(g, { value }, den.weights));
  const got = Number((await s.run(feeds)).value!.data[0]!);
  await s.release();
  assert.ok(Math.abs(got - ref) < 1e-4 * Math.max(1, Math.abs(ref)), `${got} vs ${ref}`);
  // A noise-predicting denoiser is scored against the noise instead: x_t - a x0 = b eps.
  const eps = imageTextDenoising({ ...den, prediction: 'epsilon' }, { latents, weight: 1, seed: 9, rows: 3 });
  eps.build(new Graph(false), (x) => x.pad(2, 0, DG - DN), { tokensIn: T, dimIn: DN, tokensOut: T, dimOut: DG });
  const ef = eps.inputs(3, { x: xs, cond: cs, rows: 3, indices });
  const t0 = ef.images_timestep!.data[0]!;
  const a = den.sqrtAlphaBar[t0]!;
  const b = den.sqrtOneMinusAlphaBar[t0]!;
  for (let o = 0; o < PER; o++) {
    const expected = (ef.images_sample!.data[o]! - a * latents[4 * PER + o]!) / b;
    assert.ok(Math.abs(ef.images_target!.data[o]! - expected) < 1e-4, `eps ${o}`);
  }
});

test('the image-text term refuses rows without an image and latents of the wrong size', () => {
  const den = toyDenoiser(1);
  assert.throws(() => imageTextDenoising(den, { latents: new Float32Array(PER + 1), weight: 1, seed: 0 }), /not a whole number/);
  const term = imageTextDenoising(den, { latents: new Float32Array(2 * PER), weight: 1, seed: 0, rows: 2 });
  term.build(new Graph(false), (x) => x.pad(2, 0, DG - DN), { tokensIn: T, dimIn: DN, tokensOut: T, dimOut: DG });
  const x = new Float32Array(2 * T * DN);
  const cond = new Float32Array(2 * T * DG);
  assert.throws(() => term.inputs(0, { x, cond, rows: 2, indices: [0, 5] }), /training row 5 has no image \(2 latents given\)/);
});

test('finetuning with image-text pairs lowers the denoising loss, trains GlueNet only and saves only GlueNet', async () => {
  const n = 128;
  const f = pairs(n, 2);
  const den = toyDenoiser(5);
  const frozen = new Map([...den.weights].map(([k, v]) => [k, Float32Array.from(v)]));
  // Each pair's image: what the toy denoiser would predict at t = 0 from the pair's native condition,
  // so the aligner that matches the native condition also fits the images.
  const cs = await f.cond.allRows();
  const wCtx = den.weights.get('den.ctx.weight')!;
  const bCtx = den.weights.get('den.ctx.bias')!;
  const latents = new Float32Array(n * PER);
  for (let r = 0; r < n; r++)
    for (let o = 0; o < PER; o++) {
      let s = bCtx[o]!;
      for (let d = 0; d < DG; d++) {
        let m = 0;
        for (let t = 0; t < T; t++) m += cs[(r * T + t) * DG + d]! / T;
        s += m * wCtx[o * DG + d]!;
      }
      latents[r * PER + o] = 2 * Math.tanh(s);
    }
  const sc = await suggestedScales(f.x, f.cond);
  const config = parseConfig({
    arch: 'translator_noln',
    tokens_in: T,
    tokens_out: T,
    dim_in: DN,
    dim_out: DG,
    mult: 2,
    depth: 2,
    x_scale: sc.x_scale,
    cond_norm: sc.cond_norm,
    loss_weights: { distill: 1e-6, rec: 0, adv: 0 },
  });
  const out = join(mkdtempSync(join(tmpdir(), 'gluenet-images-')), 'g');
  const r = await trainGlueNet({
    x: f.x,
    cond: f.cond,
    config,
    out,
    steps: 200,
    batchSize: 16,
    lr: 3e-3,
    progress: null,
    extraLoss: imageTextDenoising(den, { latents, weight: 1, seed: 0, rows: 16 }),
  });
  const first = r.history.slice(0, 20).reduce((s, h) => s + h.extra!, 0) / 20;
  const last = r.history.slice(-20).reduce((s, h) => s + h.extra!, 0) / 20;
  assert.ok(last < 0.8 * first, `image-text term ${first} -> ${last}`);
  for (const [k, v] of den.weights) assert.deepEqual(v, frozen.get(k), `${k} unchanged`);
  assert.ok([...(await loadGlueNet(out)).weights.keys()].every((k) => k.startsWith('aligner.')));
});
