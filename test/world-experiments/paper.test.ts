/**
 * The rest of the paper on the world at CI size: the shipped bigger-English and point-cloud GlueNets
 * keep the effects the committed runs measured (on small fixed sets, paired with the baselines, so
 * the test fails if an effect vanishes), and the three experiment runners produce every row and
 * comparison the committed results carry (`gluegen world eval --experiment NAME --quick` is the same
 * code with larger numbers).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadEncoder } from '../../src/encoders/registry.js';
import type { Encoder } from '../../src/encoders/types.js';
import { type LoadedAligner, loadAligner } from '../../src/gluenet/load.js';
import { loadWorldModels, type WorldModels, worldModelDir } from '../../src/world/assets.js';
import { pointCloudPairs } from '../../src/world/data/pointclouds.js';
import { englishPromptSets, runBiggerEnglish } from '../../src/world/experiments/bigger-english.js';
import { glueNetSource, naiveSource, nativeSource } from '../../src/world/experiments/conditions.js';
import { worldDenoiser } from '../../src/world/experiments/denoiser.js';
import { runImageFinetune } from '../../src/world/experiments/finetune-run.js';
import { cloudInputs, runPointCloud } from '../../src/world/experiments/pointcloud-run.js';
import { compare, textInputs } from '../../src/world/experiments/run.js';
import { type Sampling, scoreSource } from '../../src/world/experiments/score.js';

let world: WorldModels;
let large: Encoder<'text'>;
let multilingual: Encoder<'text'>;
let pointcloud: Encoder<'pointcloud'>;
const aligners: LoadedAligner[] = [];
const sampling: Sampling = { steps: 8, guidance: 3, scheduler: 'ddim', seed: 11, batch: 64 };

before(async () => {
  world = await loadWorldModels();
  large = (await loadEncoder(worldModelDir('english-large-encoder'))) as Encoder<'text'>;
  multilingual = (await loadEncoder(worldModelDir('multilingual-encoder'))) as Encoder<'text'>;
  pointcloud = (await loadEncoder(worldModelDir('pointcloud-encoder'))) as Encoder<'pointcloud'>;
});

after(async () => {
  for (const a of aligners) await a.release();
  await world.release();
  await large.release();
  await multilingual.release();
  await pointcloud.release();
});

async function shipped(name: string): Promise<LoadedAligner> {
  const a = await loadAligner(worldModelDir(name));
  aligners.push(a);
  return a;
}

test('rich prompts: the shipped GlueNet (bigger encoder) draws them clearly better than the native encoder reads them', async () => {
  // 60 held-out rich prompts of another seed than the committed run's (fresh, none in training).
  const { test: t } = englishPromptSets(400, 1, 60, 7);
  const { inputs, expected } = textInputs(t.rich);
  const g = await scoreSource(
    glueNetSource('GlueNet', large, await shipped('gluenet-english-large')),
    inputs,
    expected,
    world.generator,
    world.evaluator,
    sampling,
  );
  const n = await scoreSource(nativeSource(world.encoder), inputs, expected, world.generator, world.evaluator, sampling);
  const d = compare('rich', g, n);
  assert.ok(d.ci_low > 0 && d.diff >= 10, `GlueNet(bigger) - native on rich prompts: ${d.diff} [${d.ci_low}, ${d.ci_high}] points`);
});

test('point clouds: the shipped GlueNet draws the cloud’s object, colour and size far better than the naive plug-in', async () => {
  const { inputs, expected } = cloudInputs(pointCloudPairs(40, 'test', 9));
  const uncond = nativeSource(world.encoder);
  const g = await scoreSource(
    glueNetSource('GlueNet', pointcloud, await shipped('gluenet-pointcloud'), uncond),
    inputs,
    expected,
    world.generator,
    world.evaluator,
    sampling,
  );
  const n = await scoreSource(
    naiveSource('naive', pointcloud, world.generator.condition, uncond),
    inputs,
    expected,
    world.generator,
    world.evaluator,
    sampling,
  );
  const d = compare('pointcloud', g, n);
  assert.ok(d.ci_low > 0 && d.diff >= 20, `GlueNet - naive on point clouds: ${d.diff} [${d.ci_low}, ${d.ci_high}] points`);
  assert.ok(g.accuracy.object! > 0.5, `object accuracy ${g.accuracy.object}`);
});

test('the three experiment runners at CI size give every row and the comparisons the issue names', async () => {
  const out = mkdtempSync(join(tmpdir(), 'world-paper-'));
  const common = { outDir: out, seed: 2, sampling: { ...sampling, steps: 4 }, progress: null };
  const base = { native: world.encoder, generator: world.generator, evaluator: world.evaluator };
  const b = await runBiggerEnglish({ ...base, large }, { ...common, pairs: 200, steps: 6, prompts: 6, valPrompts: 3, ridges: [1] });
  const p = await runPointCloud({ ...base, pointcloud }, { ...common, pairs: 100, steps: 6, clouds: 6, ridges: [1] });
  const f = await runImageFinetune(
    {
      ...base,
      large,
      multilingual,
      denoiser: await worldDenoiser(worldModelDir('generator')),
      generatorDir: worldModelDir('generator'),
    },
    {
      ...common,
      englishGlueNet: worldModelDir('gluenet-english-large'),
      multilingualGlueNet: worldModelDir('gluenet-multilingual'),
      imagePairs: [8, 16],
      multilingualImagePairs: 8,
      steps: 2,
      rows: 4,
      lr: 1e-4,
      checks: 1,
      english: { pairs: 200, valPrompts: 3, prompts: 6 },
      multilingual: { pairs: 100, valPerLanguage: 1, perLanguage: 1 },
    },
  );
  const names = [...b.comparisons, ...p.comparisons, ...f.comparisons].map((c) => c.name);
  for (const n of [
    'bigger-vs-native/rich',
    'bigger-vs-native/canonical',
    'finetuned-vs-gluenet/rich',
    'finetuned-vs-gluenet/canonical',
    'finetuned-vs-gluenet/multilingual',
    'finetuned-vs-control/rich',
    'finetuned-vs-control/multilingual',
    'pointcloud-gluenet-vs-linear',
    'pointcloud-gluenet-vs-naive',
  ]) {
    assert.ok(names.includes(n), `comparison ${n} in ${names.join(', ')}`);
  }
  for (const r of [...b.sections, ...p.sections, ...f.sections].flatMap((s) => s.rows)) {
    assert.ok(r.n > 0 && r.interval.low <= r.mean && r.mean <= r.interval.high, `${r.name}: ${r.mean} in [${r.interval.low}, ${r.interval.high}]`);
  }
  // Finetuning keeps the starting GlueNet when no step beats it on validation, and says which step it kept.
  for (const c of Object.values(f.choices) as { kept_step: number; validation_curve: { step: number }[] }[]) {
    assert.ok(c.validation_curve[0]!.step === 0 && c.kept_step >= 0);
  }
});
