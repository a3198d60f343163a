/**
 * SdOnnxGenerator on the tiny SD fixture (diffusers ONNX layout, random weights): the whole
 * denoising loop against a reference written here from the formulas (raw sessions + DDIM by hand),
 * guidance batching, seeds, schedulers, sizes, progress and timings.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { writeTinySd } from '../../scripts/fixtures/sd.js';
import { Session } from '../../src/engine/runtime.js';
import { chwToRgbBytes, SdOnnxGenerator } from '../../src/generators/sd/index.js';
import type { GenerateOptions } from '../../src/generators/types.js';
import { Rng } from '../../src/util/rng.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/sd/', import.meta.url));
const TINY = path.join(FIXTURES, 'tiny-sd');
const T = 77;
const D = 768;

let gen: SdOnnxGenerator;
let cond: Float32Array;
let uncond: Float32Array;
before(async () => {
  gen = await SdOnnxGenerator.load(TINY);
  const rng = new Rng(7);
  cond = rng.fillNormal(new Float32Array(2 * T * D));
  uncond = rng.fillNormal(new Float32Array(T * D), 0.5);
});
after(async () => gen.release());

function options(over: Partial<GenerateOptions> = {}): GenerateOptions {
  return { cond: cond.subarray(0, T * D), uncond, batch: 1, steps: 5, guidance: 7.5, scheduler: 'ddim', rng: new Rng(42), height: 64, width: 64, ...over };
}

function maxDiff(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** DDIM (eta 0) + CFG + VAE written from the formulas, on raw sessions of the fixture. */
async function referenceImage(seed: number, steps: number, guidance: number): Promise<Uint8Array> {
  const betas = Array.from({ length: 1000 }, (_, i) => (Math.sqrt(0.00085) + ((Math.sqrt(0.012) - Math.sqrt(0.00085)) * i) / 999) ** 2);
  const abar: number[] = [];
  betas.reduce((p, b) => (abar.push(p * (1 - b)), p * (1 - b)), 1);
  const ratio = Math.floor(1000 / steps);
  const timesteps = Array.from({ length: steps }, (_, i) => (steps - 1 - i) * ratio + 1); // leading + steps_offset 1
  const unet = await Session.create(path.join(TINY, 'unet', 'model.onnx'));
  const vae = await Session.create(path.join(TINY, 'vae_decoder', 'model.onnx'));
  const n = 4 * 8 * 8;
  let x = new Rng(seed).fillNormal(new Float32Array(n));
  const ehs = new Float32Array(2 * T * D);
  ehs.set(uncond, 0);
  ehs.set(cond.subarray(0, T * D), T * D);
  for (const t of timesteps) {
    const sample = new Float32Array(2 * n);
    sample.set(x, 0);
    sample.set(x, n);
    const out = await unet.run({
      sample: { data: sample, dims: [2, 4, 8, 8] },
      timestep: { data: BigInt64Array.of(BigInt(t), BigInt(t)), dims: [2] },
      encoder_hidden_states: { data: ehs, dims: [2, T, D] },
    });
    const e2 = out.out_sample!.data as Float32Array;
    const a = abar[t]!;
    const ap = t - ratio >= 0 ? abar[t - ratio]! : abar[0]!;
    x = x.map((xi, i) => {
      const eps = e2[i]! + guidance * (e2[n + i]! - e2[i]!);
      const x0 = (xi - Math.sqrt(1 - a) * eps) / Math.sqrt(a);
      return Math.sqrt(ap) * x0 + Math.sqrt(1 - ap) * eps;
    });
  }
  const img = (await vae.run({ latent_sample: { data: x.map((v) => v / 0.18215), dims: [1, 4, 8, 8] } })).sample!;
  assert.deepEqual(img.dims, [1, 3, 64, 64]);
  const chw = img.data as Float32Array;
  const rgb = new Uint8Array(3 * 64 * 64);
  for (let p = 0; p < 64 * 64; p++) for (let c = 0; c < 3; c++) rgb[p * 3 + c] = Math.round(Math.min(1, Math.max(0, chw[c * 4096 + p]! / 2 + 0.5)) * 255);
  await unet.release();
  await vae.release();
  return rgb;
}

test('reads the condition shape, default size and layout of the export', () => {
  assert.deepEqual(gen.condition, { tokens: 77, dim: 768 });
  assert.deepEqual(gen.defaultSize, { width: 64, height: 64 }); // unet sample_size 8 x VAE factor 8
  assert.equal(gen.unetSignature.timestep, 'int64');
  assert.equal(gen.unetSignature.fixedBatch, null);
  assert.equal(gen.folder.vaeScalingFactor, 0.18215);
  assert.equal(gen.resolveScheduler('default'), 'pndm'); // scheduler_config.json's PNDMScheduler
});

test('generates the image the reference loop computes (DDIM, guidance 7.5)', async () => {
  const out = await gen.generate(options());
  assert.equal(out.images.length, 1);
  assert.equal(out.width, 64);
  assert.equal(out.height, 64);
  const ref = await referenceImage(42, 5, 7.5);
  assert.ok(maxDiff(out.images[0]!, ref) <= 1, `max pixel difference ${maxDiff(out.images[0]!, ref)}`);
  // The image is not flat: the fixture's random weights give texture.
  assert.ok(new Set(out.images[0]).size > 10);
});

test('guidance batching: one call of batch 2B and two calls give the same images', async () => {
  const separate = await SdOnnxGenerator.load(TINY, { guidanceBatching: 'separate' });
  try {
    const opts = { batch: 2, cond, steps: 4 };
    const a = await gen.generate(options(opts));
    assert.equal(gen.lastTimings!.unetCallsPerStep, 1);
    const b = await separate.generate(options(opts));
    assert.equal(separate.lastTimings!.unetCallsPerStep, 2);
    for (let i = 0; i < 2; i++) assert.ok(maxDiff(a.images[i]!, b.images[i]!) <= 1);
  } finally {
    await separate.release();
  }
});

test('a UNet exported with a fixed batch of 1 is called once per row', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gluegen-sd-'));
  try {
    writeTinySd(dir, { unetStaticBatch: 1 });
    const fixed = await SdOnnxGenerator.load(dir);
    assert.equal(fixed.unetSignature.fixedBatch, 1);
    const a = await fixed.generate(options({ batch: 2, cond, steps: 3 }));
    assert.equal(fixed.lastTimings!.unetCallsPerStep, 4);
    const b = await gen.generate(options({ batch: 2, cond, steps: 3 }));
    for (let i = 0; i < 2; i++) assert.ok(maxDiff(a.images[i]!, b.images[i]!) <= 1);
    await fixed.release();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('seeds reproduce images; other seeds, conditions and guidance change them', async () => {
  const a = (await gen.generate(options({ rng: new Rng(3) }))).images[0]!;
  const b = (await gen.generate(options({ rng: new Rng(3) }))).images[0]!;
  assert.deepEqual(a, b);
  assert.ok(maxDiff(a, (await gen.generate(options({ rng: new Rng(4) }))).images[0]!) > 5);
  assert.ok(maxDiff(a, (await gen.generate(options({ rng: new Rng(3), cond: cond.subarray(T * D) }))).images[0]!) > 2);
  assert.ok(maxDiff(a, (await gen.generate(options({ rng: new Rng(3), guidance: 1 }))).images[0]!) > 2);
});

test('a [1, T, D] unconditional is shared by every image of a batch', async () => {
  const both = new Float32Array(2 * T * D);
  both.set(uncond, 0);
  both.set(uncond, T * D);
  const a = await gen.generate(options({ batch: 2, cond, rng: new Rng(9) }));
  const b = await gen.generate(options({ batch: 2, cond, uncond: both, rng: new Rng(9) }));
  assert.deepEqual(a.images, b.images);
});

test("every scheduler runs, reports each step, and the default is the folder's PNDM", async () => {
  const images = new Map<string, Uint8Array>();
  for (const scheduler of ['ddim', 'pndm', 'euler', 'dpmpp2m', 'lcm']) {
    const seen: [number, number][] = [];
    const out = await gen.generate(options({ scheduler, steps: 4, onStep: (s, total) => seen.push([s, total]) }));
    const total = scheduler === 'pndm' ? 5 : 4; // PLMS repeats its second timestep
    assert.deepEqual(
      seen,
      Array.from({ length: total }, (_, i) => [i + 1, total]),
      scheduler,
    );
    images.set(scheduler, out.images[0]!);
  }
  assert.equal(new Set([...images.values()].map((im) => im.join(','))).size, 5);
  const byDefault = await gen.generate(options({ scheduler: 'default', steps: 4 }));
  assert.deepEqual(byDefault.images[0], images.get('pndm'));
});

test('other sizes: 32x48 pixels come from 4x6 latents', async () => {
  const out = await gen.generate(options({ height: 32, width: 48 }));
  assert.equal(out.width, 48);
  assert.equal(out.height, 32);
  assert.equal(out.images[0]!.length, 32 * 48 * 3);
});

test('timings split the run into UNet, VAE and the rest', async () => {
  await gen.generate(options({ steps: 3 }));
  const t = gen.lastTimings!;
  assert.equal(t.steps, 3);
  assert.ok(t.unetMs > 0 && t.vaeMs > 0 && t.overheadMs >= 0);
  assert.ok(Math.abs(t.totalMs - t.unetMs - t.vaeMs - t.overheadMs) < 1e-6);
});

test('an aborted signal stops between steps', async () => {
  const ctl = new AbortController();
  await assert.rejects(gen.generate(options({ steps: 10, signal: ctl.signal, onStep: (s) => s === 2 && ctl.abort() })), /aborted at step 2 of 10/);
});

test('VAE output to RGB bytes: clamp((x + 1) / 2, 0, 1) x 255, rounded, HWC', () => {
  // 1 x 2 image: channel planes R = [-1, 1], G = [0, NaN], B = [2, -3].
  const rgb = chwToRgbBytes(Float32Array.of(-1, 1, 0, Number.NaN, 2, -3), 1, 2);
  assert.deepEqual(Array.from(rgb), [0, 128, 255, 255, 0, 0]);
  assert.deepEqual(Array.from(chwToRgbBytes(Float32Array.of(-0.5, 0.25, 0.9), 1, 1)), [64, 159, 242]);
});
