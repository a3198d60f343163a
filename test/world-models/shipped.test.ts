/**
 * The shipped world models (assets/world) load, and images the shipped generator draws for prompts
 * naming every attribute are read back correctly by the shipped evaluator well above chance
 * (chance: object 10%, colour 12.5%, position 11%). Size is not asserted: the shipped generator
 * gets it right only 62-66% of the time (chance 50%; see assets/world/build-report.md), a known gap.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/util/rng.js';
import { loadWorldModels } from '../../src/world/assets.js';
import { ALL_NAMED, ATTRIBUTE_NAMES, type Attributes } from '../../src/world/data/attributes.js';
import { captionEn } from '../../src/world/data/captions-en.js';
import { sampleAttributes } from '../../src/world/data/dataset.js';
import { bytesToPixels } from '../../src/world/models/data.js';

/** Minimum accuracy over 24 prompts (held-out figures over 200 prompts: object 92%, colour 92%, position 99%). */
const FLOOR: Record<string, number> = { object: 0.6, colour: 0.6, position: 0.75 };

test('shipped generator + native encoder: generations are classified correctly well above chance', async () => {
  const models = await loadWorldModels();
  try {
    assert.equal(models.generator.condition.tokens, models.encoder.info.tokens);
    assert.equal(models.generator.condition.dim, models.encoder.info.dim);
    const rng = new Rng(2024);
    const attrs: Attributes[] = Array.from({ length: 24 }, () => sampleAttributes(rng));
    const texts = attrs.map((a) => captionEn(a, rng, ALL_NAMED).text);
    const cond = await models.encoder.encode(texts);
    const uncond = (await models.encoder.encode([''])).features;
    const out = await models.generator.generate({
      cond: cond.features,
      uncond,
      batch: attrs.length,
      steps: 10,
      guidance: 3,
      scheduler: 'ddim',
      rng: new Rng(7),
    });
    const pixels = new Float32Array(attrs.length * 3 * 32 * 32);
    out.images.forEach((img, i) => bytesToPixels(img, pixels, i * 3 * 32 * 32));
    const cls = await models.evaluator.classify(pixels, attrs.length);
    for (const name of Object.keys(FLOOR) as (keyof Attributes)[]) {
      const acc = cls.attributes.filter((p, i) => p[name] === attrs[i]![name]).length / attrs.length;
      assert.ok(acc >= FLOOR[name]!, `${name} accuracy ${(100 * acc).toFixed(0)}% is below ${(100 * FLOOR[name]!).toFixed(0)}%`);
    }
  } finally {
    await models.release();
  }
});

test('the shipped evaluator reads real world images correctly', async () => {
  const models = await loadWorldModels();
  try {
    const rng = new Rng(5);
    const { renderImage } = await import('../../src/world/data/render.js');
    const attrs = Array.from({ length: 40 }, () => sampleAttributes(rng));
    const pixels = new Float32Array(attrs.length * 3 * 32 * 32);
    attrs.forEach((a, i) => bytesToPixels(renderImage(a, rng), pixels, i * 3 * 32 * 32));
    const cls = await models.evaluator.classify(pixels, attrs.length);
    for (const name of ATTRIBUTE_NAMES) {
      const acc = cls.attributes.filter((p, i) => p[name] === attrs[i]![name]).length / attrs.length;
      assert.ok(acc >= 0.8, `${name}: ${(100 * acc).toFixed(0)}% of real images read correctly`);
    }
  } finally {
    await models.release();
  }
});
