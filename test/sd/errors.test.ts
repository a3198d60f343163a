/**
 * Bad folders, missing files, bad configs and bad generate() arguments give errors that name the
 * thing, the value and what to do.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { writeTinySd } from '../../scripts/fixtures/sd.js';
import { SdOnnxGenerator } from '../../src/generators/sd/index.js';
import type { GenerateOptions } from '../../src/generators/types.js';
import { Rng } from '../../src/util/rng.js';

const ROW = 77 * 768;
let base: string;
let good: string;
let gen: SdOnnxGenerator;

before(async () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'gluegen-sd-errors-'));
  good = path.join(base, 'good');
  writeTinySd(good);
  gen = await SdOnnxGenerator.load(good);
});
after(async () => {
  await gen.release();
  fs.rmSync(base, { recursive: true, force: true });
});

/** A copy of the good folder, changed by `edit`. */
function variant(name: string, edit: (dir: string) => void): string {
  const dir = path.join(base, name);
  fs.cpSync(good, dir, { recursive: true });
  edit(dir);
  return dir;
}

test('folders that are not SD ONNX exports', async () => {
  await assert.rejects(SdOnnxGenerator.load(path.join(base, 'nope')), /generator folder '.*nope' does not exist/);
  await assert.rejects(SdOnnxGenerator.load(path.join(good, 'model_index.json')), /is a file; pass the folder/);
  const noUnet = variant('no-unet', (d) => fs.rmSync(path.join(d, 'unet', 'model.onnx')));
  await assert.rejects(
    SdOnnxGenerator.load(noUnet),
    /unet\/model\.onnx is missing; expected unet\/model\.onnx, vae_decoder\/model\.onnx.*optimum-cli export onnx/,
  );
  const noSched = variant('no-sched', (d) => fs.rmSync(path.join(d, 'scheduler'), { recursive: true }));
  await assert.rejects(SdOnnxGenerator.load(noSched), /scheduler\/scheduler_config\.json is missing/);
  const torch = variant('torch', (d) => {
    fs.rmSync(path.join(d, 'unet', 'model.onnx'));
    fs.writeFileSync(path.join(d, 'unet', 'diffusion_pytorch_model.safetensors'), '');
  });
  await assert.rejects(SdOnnxGenerator.load(torch), /is a PyTorch diffusers folder .* not an ONNX export; export one with `optimum-cli/);
  await assert.rejects(SdOnnxGenerator.load(path.join(good, 'unet')), /is one component of an SD folder; pass its parent folder/);
});

test('broken or unsupported configs', async () => {
  const badJson = variant('bad-json', (d) => fs.writeFileSync(path.join(d, 'scheduler', 'scheduler_config.json'), '{"beta_start": '));
  await assert.rejects(SdOnnxGenerator.load(badJson), /scheduler config '.*scheduler_config\.json' is not valid JSON/);
  const karras = variant('karras', (d) =>
    fs.writeFileSync(path.join(d, 'scheduler', 'scheduler_config.json'), JSON.stringify({ _class_name: 'EulerDiscreteScheduler', use_karras_sigmas: true })),
  );
  await assert.rejects(SdOnnxGenerator.load(karras), /'use_karras_sigmas' to true, which gluegen does not implement/);
  const scale = variant('scale', (d) => fs.writeFileSync(path.join(d, 'vae_decoder', 'config.json'), JSON.stringify({ scaling_factor: -1 })));
  await assert.rejects(SdOnnxGenerator.load(scale), /'scaling_factor' in '.*config\.json' is -1; expected a positive number/);
  const width = variant('width', (d) => fs.writeFileSync(path.join(d, 'unet', 'config.json'), JSON.stringify({ cross_attention_dim: 1024 })));
  await assert.rejects(SdOnnxGenerator.load(width), /takes conditions of width 768 but unet\/config\.json says cross_attention_dim 1024/);
  const lms = variant('lms', (d) =>
    fs.writeFileSync(path.join(d, 'scheduler', 'scheduler_config.json'), JSON.stringify({ _class_name: 'LMSDiscreteScheduler' })),
  );
  const g = await SdOnnxGenerator.load(lms);
  try {
    assert.throws(() => g.resolveScheduler('default'), /scheduler LMSDiscreteScheduler is not implemented; choose one of ddim, pndm, euler, dpmpp2m/);
    assert.equal(g.resolveScheduler('euler'), 'euler');
  } finally {
    await g.release();
  }
});

test('a model that is not a UNet, and a corrupt one', async () => {
  const swapped = variant('swapped', (d) => fs.copyFileSync(path.join(d, 'vae_decoder', 'model.onnx'), path.join(d, 'unet', 'model.onnx')));
  await assert.rejects(SdOnnxGenerator.load(swapped), /UNet '.*' lacks input\(s\) sample, timestep, encoder_hidden_states \(it has latent_sample\)/);
  const corrupt = variant('corrupt', (d) => fs.writeFileSync(path.join(d, 'unet', 'model.onnx'), 'not onnx'));
  await assert.rejects(SdOnnxGenerator.load(corrupt), /onnxruntime could not load '.*unet\/model\.onnx'/);
});

test('bad generate() arguments', async () => {
  const opts = (over: Partial<GenerateOptions>): GenerateOptions => ({
    cond: new Float32Array(ROW),
    uncond: new Float32Array(ROW),
    batch: 1,
    steps: 2,
    guidance: 7.5,
    scheduler: 'ddim',
    rng: new Rng(1),
    ...over,
  });
  await assert.rejects(
    gen.generate(opts({ cond: new Float32Array(77 * 1024) })),
    /cond has 78848 values; expected batch x tokens x dim = 1 x 77 x 768 = 59136/,
  );
  await assert.rejects(gen.generate(opts({ batch: 2 })), /cond has 59136 values; expected .* = 118272/);
  await assert.rejects(gen.generate(opts({ uncond: new Float32Array(10) })), /uncond has 10 values; expected \[1, 77, 768\]/);
  await assert.rejects(gen.generate(opts({ height: 60 })), /image height 60 must be a positive multiple of 8/);
  await assert.rejects(gen.generate(opts({ scheduler: 'lms' })), /scheduler 'lms' is unknown; expected one of ddim, pndm, euler, dpmpp2m, lcm or 'default'/);
  await assert.rejects(gen.generate(opts({ steps: 0 })), /steps 0 must be a positive integer/);
  await assert.rejects(gen.generate(opts({ guidance: Number.NaN })), /guidance NaN must be a finite number >= 0/);
  // Without guidance the unconditional is not needed, so its shape does not matter.
  await gen.generate(opts({ guidance: 1, uncond: new Float32Array(0) }));
});

test('a fixed-batch UNet refuses a batch it cannot split', async () => {
  const dir = path.join(base, 'fixed2');
  writeTinySd(dir, { unetStaticBatch: 2 });
  const g = await SdOnnxGenerator.load(dir);
  try {
    const cond = new Float32Array(ROW);
    await assert.rejects(
      g.generate({ cond, uncond: cond, batch: 1, steps: 2, guidance: 1, scheduler: 'ddim', rng: new Rng(1) }),
      /fixed to batch 2, which does not divide the 1 rows .*re-export the UNet with a dynamic batch/,
    );
    // With guidance the 2 rows fit one call.
    const out = await g.generate({ cond, uncond: cond, batch: 1, steps: 2, guidance: 7.5, scheduler: 'ddim', rng: new Rng(1) });
    assert.equal(out.images.length, 1);
  } finally {
    await g.release();
  }
});
