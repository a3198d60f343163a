/**
 * Export variants of the same tiny SD weights: int64 timestep (tiny-sd), float32 timestep with
 * external data and a symbolic token dim (tiny-sd-external), float16 storage and I/O (tiny-sd-fp16).
 * All must load from their folders and give (nearly) the same images.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeModel } from '../../src/engine/onnx/model.js';
import { SdOnnxGenerator } from '../../src/generators/sd/index.js';
import type { GeneratedImages } from '../../src/generators/types.js';
import { Rng } from '../../src/util/rng.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/sd/', import.meta.url));
const T = 77;
const D = 768;
const gens = new Map<string, SdOnnxGenerator>();

before(async () => {
  for (const v of ['tiny-sd', 'tiny-sd-external', 'tiny-sd-fp16']) gens.set(v, await SdOnnxGenerator.load(path.join(FIXTURES, v)));
});
after(async () => {
  for (const g of gens.values()) await g.release();
});

async function generate(variant: string, scheduler = 'pndm'): Promise<GeneratedImages> {
  const rng = new Rng(11);
  const cond = rng.fillNormal(new Float32Array(2 * T * D));
  const uncond = rng.fillNormal(new Float32Array(T * D), 0.5);
  return gens.get(variant)!.generate({ cond, uncond, batch: 2, steps: 6, guidance: 7.5, scheduler, rng: new Rng(5) });
}

function diffStats(a: Uint8Array, b: Uint8Array): { max: number; mean: number } {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

test('each variant declares the dtypes its export has', () => {
  const s = (v: string) => gens.get(v)!.unetSignature;
  assert.deepEqual([s('tiny-sd').sample, s('tiny-sd').timestep, s('tiny-sd').condition], ['float32', 'int64', 'float32']);
  assert.deepEqual([s('tiny-sd-external').timestep, s('tiny-sd-external').tokens], ['float32', null]);
  assert.deepEqual(
    [s('tiny-sd-fp16').sample, s('tiny-sd-fp16').timestep, s('tiny-sd-fp16').condition, s('tiny-sd-fp16').output],
    ['float16', 'float16', 'float16', 'float16'],
  );
  // A symbolic token dim falls back to 77 (CLIP's positions); the width is declared.
  assert.deepEqual(gens.get('tiny-sd-external')!.condition, { tokens: 77, dim: 768 });
});

test('the external-data variant keeps its weights in weights.pb, loaded through the model path', () => {
  const dir = path.join(FIXTURES, 'tiny-sd-external', 'unet');
  const model = decodeModel(fs.readFileSync(path.join(dir, 'model.onnx')));
  const external = (model.graph.initializer as { external_data?: { key: string; value: string }[]; data_location?: number }[]).filter(
    (i) => i.data_location === 1,
  );
  assert.ok(external.length >= 3);
  for (const init of external) assert.equal(init.external_data!.find((e) => e.key === 'location')!.value, 'weights.pb');
  assert.ok(fs.statSync(path.join(dir, 'weights.pb')).size > 4 * fs.statSync(path.join(dir, 'model.onnx')).size);
});

test('external data + float32 timestep gives the images of the int64 export', async () => {
  const a = await generate('tiny-sd');
  const b = await generate('tiny-sd-external');
  for (let i = 0; i < 2; i++) assert.ok(diffStats(a.images[i]!, b.images[i]!).max <= 1);
});

test('the float16 export gives nearly the same images', async () => {
  for (const scheduler of ['pndm', 'euler']) {
    const a = await generate('tiny-sd', scheduler);
    const b = await generate('tiny-sd-fp16', scheduler);
    for (let i = 0; i < 2; i++) {
      const d = diffStats(a.images[i]!, b.images[i]!);
      assert.ok(d.mean < 0.5 && d.max <= 4, `${scheduler} image ${i}: mean ${d.mean.toFixed(2)}, max ${d.max}`);
    }
  }
});
