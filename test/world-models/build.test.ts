/** A tiny-config build runs end to end in seconds, its generator loss falls, and its folders load. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadTokenizer } from '../../src/encoders/text/tokenizer.js';
import { readSafetensors, tensorToFloat32 } from '../../src/io/safetensors.js';
import { Rng } from '../../src/util/rng.js';
import { loadWorldModels } from '../../src/world/assets.js';
import { buildWorld, TINY_PRESET } from '../../src/world/build.js';
import { finetuneWorldDecoder } from '../../src/world/finetune-decoder.js';
import type { BuildReport } from '../../src/world/models/report.js';

const out = mkdtempSync(join(tmpdir(), 'gluegen-world-build-'));
after(() => rmSync(out, { recursive: true, force: true }));

test('tiny build: writes every folder, the autoencoder and generator losses fall, and the models load and run', async () => {
  const lines: string[] = [];
  const report = await buildWorld({ out, seed: 5, preset: TINY_PRESET, presetName: 'tiny', progress: false, log: (l) => lines.push(l) });
  for (const f of [
    'text-encoder/model.onnx',
    'text-encoder/tokenizer.json',
    'text-encoder/config.json',
    'text-encoder/model.safetensors',
    'generator/model.onnx',
    'generator/scheduler_config.json',
    'generator/model.safetensors',
    'generator/vae_decoder.onnx',
    'generator/vae.safetensors',
    'evaluator/model.onnx',
    'evaluator/config.json',
    'build-report.json',
    'build-report.md',
    'samples.png',
  ]) {
    assert.ok(existsSync(join(out, f)), `missing ${f}`);
  }
  assert.ok(report.generator.loss[1] < 0.5 * report.generator.loss[0], `generator loss ${report.generator.loss.join(' -> ')} did not fall`);
  assert.ok(
    report.autoencoder && report.autoencoder.loss[1] < report.autoencoder.loss[0],
    `autoencoder loss ${report.autoencoder?.loss.join(' -> ')} did not fall`,
  );
  // The evaluator's reading of the autoencoder's reconstructions (the latent generator's ceiling) is reported.
  const ceiling = report.autoencoder.reconstructionAccuracy!;
  assert.deepEqual(Object.keys(ceiling).sort(), ['colour', 'object', 'position', 'size']);
  assert.ok(Object.values(ceiling).every((v) => v >= 0 && v <= 1));
  assert.match(readFileSync(join(out, 'build-report.md'), 'utf8'), /evaluator on reconstructions object \d/);
  assert.deepEqual(
    report.phases.map((p) => p.name),
    ['data', 'evaluator', 'text encoder', 'autoencoder', 'generator', 'evaluation'],
  );
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
    await assert.rejects(
      models.generator.generate({ cond: enc.features, uncond, batch: 2, steps: 2, guidance: 3, scheduler: 'ddim', rng: new Rng(1), width: 64 }),
      /draws only 32x32/,
    );
    await assert.rejects(
      models.generator.generate({ cond: enc.features.subarray(1), uncond, batch: 2, steps: 2, guidance: 3, scheduler: 'ddim', rng: new Rng(1) }),
      /cond has/,
    );
  } finally {
    await models.release();
  }
});

test('decoder fine-tune of the tiny build: only decoder weights change, the report records it, the models still load', async () => {
  const vaePath = join(out, 'generator', 'vae.safetensors');
  const before = await readSafetensors(vaePath);
  const onnxBefore = readFileSync(join(out, 'generator', 'vae_decoder.onnx'));
  const r = await finetuneWorldDecoder(out, { steps: 6, batch: 8, lr: 1e-3 }, 1, false, () => undefined);
  const after = await readSafetensors(vaePath);
  assert.deepEqual([...after.tensors.keys()].sort(), [...before.tensors.keys()].sort());
  let changed = 0;
  for (const [k, t] of after.tensors) {
    const same = Buffer.from(tensorToFloat32(t, k).buffer).equals(Buffer.from(tensorToFloat32(before.tensors.get(k)!, k).buffer));
    if (k.startsWith('encoder.')) assert.ok(same, `encoder weight ${k} changed`);
    else if (!same) changed++;
  }
  assert.ok(changed > 0, 'no decoder weight changed');
  assert.notDeepEqual(readFileSync(join(out, 'generator', 'vae_decoder.onnx')), onnxBefore);
  const report = JSON.parse(readFileSync(join(out, 'build-report.json'), 'utf8')) as BuildReport;
  assert.equal(report.autoencoder?.decoderFinetune?.steps, 6);
  assert.deepEqual(report.autoencoder?.decoderFinetune?.reconstructionAccuracy, r.after);
  assert.match(readFileSync(join(out, 'build-report.md'), 'utf8'), /decoder fine-tune/);
  const models = await loadWorldModels(out, { threads: 1 });
  await models.release();
  await assert.rejects(
    finetuneWorldDecoder(join(out, 'nowhere'), { steps: 1, batch: 8, lr: 1e-3 }, 1, false, () => undefined),
    /cannot read generator config .*world build/,
  );
});
