/** A tiny-config build runs end to end in seconds, its generator loss falls, and its folders load. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadTokenizer } from '../../src/encoders/text/tokenizer.js';
import { Rng } from '../../src/util/rng.js';
import { loadWorldModels } from '../../src/world/assets.js';
import { buildWorld, TINY_PRESET } from '../../src/world/build.js';

const out = mkdtempSync(join(tmpdir(), 'gluegen-world-build-'));
after(() => rmSync(out, { recursive: true, force: true }));

test('tiny build: writes every folder, the autoencoder and generator losses fall, and the models load and run', async () => {
  const lines: string[] = [];
  const report = await buildWorld({ out, seed: 5, preset: TINY_PRESET, presetName: 'tiny', progress: false, log: (l) => lines.push(l) });
  for (const f of ['text-encoder/model.onnx', 'text-encoder/tokenizer.json', 'text-encoder/config.json', 'text-encoder/model.safetensors', 'generator/model.onnx', 'generator/scheduler_config.json', 'generator/model.safetensors', 'generator/vae_decoder.onnx', 'generator/vae.safetensors', 'evaluator/model.onnx', 'evaluator/config.json', 'build-report.json', 'build-report.md', 'samples.png']) {
    assert.ok(existsSync(join(out, f)), `missing ${f}`);
  }
  assert.ok(report.generator.loss[1] < 0.5 * report.generator.loss[0], `generator loss ${report.generator.loss.join(' -> ')} did not fall`);
  assert.ok(report.autoencoder && report.autoencoder.loss[1] < report.autoencoder.loss[0], `autoencoder loss ${report.autoencoder?.loss.join(' -> ')} did not fall`);
  assert.deepEqual(report.phases.map((p) => p.name), ['data', 'evaluator', 'text encoder', 'autoencoder', 'generator', 'evaluation']);
  const json = JSON.parse(readFileSync(join(out, 'build-report.json'), 'utf8')) as typeof report;
  assert.equal(json.evaluation.prompts, TINY_PRESET.testPrompts);
  assert.ok(lines.some((l) => l.startsWith('generator:')));

  const tok = await loadTokenizer(join(out, 'text-encoder'));
  assert.equal(tok.family, 'wordlevel');
  const models = await loadWorldModels(out, { threads: 1 });
  try {
    const enc = await models.encoder.encode(['a red bell in the top left', '']);
    assert.deepEqual([enc.batch, enc.tokens, enc.dim], [2, 16, TINY_PRESET.textEncoder.dim]);
    assert.equal(enc.features.length, 2 * 16 * TINY_PRESET.textEncoder.dim);
    const uncond = enc.features.subarray(16 * enc.dim);
    const gen = await models.generator.generate({ cond: enc.features, uncond, batch: 2, steps: 2, guidance: 3, scheduler: 'ddim', rng: new Rng(1) });
    assert.equal(gen.images.length, 2);
    assert.equal(gen.images[0]!.length, 32 * 32 * 3);
    const again = await models.generator.generate({ cond: enc.features, uncond, batch: 2, steps: 2, guidance: 3, scheduler: 'ddim', rng: new Rng(1) });
    assert.deepEqual([...again.images[1]!], [...gen.images[1]!], 'same seed, same images');
    await assert.rejects(models.generator.generate({ cond: enc.features, uncond, batch: 2, steps: 2, guidance: 3, scheduler: 'ddim', rng: new Rng(1), width: 64 }), /draws only 32x32/);
    await assert.rejects(models.generator.generate({ cond: enc.features.subarray(1), uncond, batch: 2, steps: 2, guidance: 3, scheduler: 'ddim', rng: new Rng(1) }), /cond has/);
  } finally {
    await models.release();
  }
});
