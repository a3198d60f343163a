/**
 * A second, larger validation of the choices of a finished `gluegen world eval` run, on fresh
 * validation prompts and sounds that share no input with the run (training, validation or test):
 * - the GlueNet recipe: the run's two trained GlueNets per modality (parallel pairs only, +
 *   denoiser distillation), scored on the fresh inputs;
 * - the linear map's ridge strength by the same criterion as the recipe (image accuracy), where
 *   the run chose it by feature error;
 * then the chosen GlueNet and linear map scored on the run's test inputs (same seeds, so the same
 * images as the run's rows) with the paired difference. The test inputs are only ever scored.
 */
import { join } from 'node:path';
import type { Encoder, EncoderInput, Modality } from '../../encoders/types.js';
import { fitLinearMaps } from '../../gluenet/baselines.js';
import { loadAligner } from '../../gluenet/load.js';
import { type ConditionSource, glueNetSource, linearSource, nativeSource } from './conditions.js';
import { heldOutTextPairs, multilingualPromptSets, NON_ENGLISH, soundPairs } from './pairs.js';
import { type Comparison, compare, type ExperimentModels, features, type Scored, soundInputs, textInputs } from './run.js';
import { type RowScore, type Sampling, scoreSource } from './score.js';
import type { ExperimentSettings } from './settings.js';

interface Score {
  mean: number;
  low: number;
  high: number;
}

export interface Revalidation {
  modality: 'multilingual' | 'sound';
  /** Fresh validation inputs. */
  n: number;
  recipe: {
    pairs_only: Score;
    with_denoiser_distillation: Score;
    /** + denoiser distillation minus pairs only, on the fresh validation inputs. */
    difference: Comparison;
    chosen: 'parallel pairs only' | 'with denoiser distillation';
  };
  linear: { ridges: Record<string, Score>; chosen_ridge: number };
  /** On the run's test inputs: the chosen GlueNet and the linear map with the chosen ridge. */
  test: { n: number; gluenet: Score; linear: Score; comparison: Comparison };
}

const scoreOf = (r: RowScore): Score => ({ mean: r.mean, low: r.interval.low, high: r.interval.high });

async function revalidateOne<M extends Modality>(
  modality: Revalidation['modality'],
  models: Pick<ExperimentModels, 'native' | 'generator' | 'evaluator'>,
  encoder: Encoder<M>,
  runDir: string,
  trainPairs: { input: EncoderInput<M>; english: string }[],
  val: Scored<EncoderInput<M>>,
  test: Scored<EncoderInput<M>>,
  ridges: number[],
  uncond: ConditionSource<string> | undefined,
  sampling: Sampling,
  log: (l: string) => void,
): Promise<Revalidation> {
  const score = (src: ConditionSource<EncoderInput<M>>, on: Scored<EncoderInput<M>>): Promise<RowScore> =>
    scoreSource(src, on.inputs, on.expected, models.generator, models.evaluator, sampling);
  const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;
  // The recipe.
  const aligners = [];
  const recipeRows: RowScore[] = [];
  for (const name of [modality, `${modality}-denoise`]) {
    const a = await loadAligner(join(runDir, 'gluenets', name));
    aligners.push(a);
    recipeRows.push(await score(glueNetSource(name, encoder, a, uncond), val));
  }
  const [plain, distilled] = recipeRows as [RowScore, RowScore];
  const useDistilled = distilled.mean > plain.mean;
  const difference = compare(`denoiser-distill/${modality}/revalidation`, distilled, plain);
  log(
    `${modality}: ${val.inputs.length} fresh validation inputs: pairs only ${pct(plain.mean)}, + denoiser distillation ${pct(distilled.mean)} -> ${useDistilled ? 'with' : 'without'} it`,
  );
  // The linear map's ridge, fitted on the run's training part of the pairs (its own carve).
  const f = await features(models, encoder, trainPairs, `${modality} pairs`);
  const x = await f.train.x.allRows();
  const c = await f.train.cond.allRows();
  const maps = await fitLinearMaps(x, c, f.train.x.rows, f.train.x.tokens * f.train.x.dim, f.train.cond.tokens * f.train.cond.dim, ridges);
  const ridgeScores: Record<string, Score> = {};
  let best = 0;
  for (const [i, ridge] of ridges.entries()) {
    const r = await score(linearSource(`linear ridge ${ridge}`, encoder, maps[i]!, uncond), val);
    ridgeScores[String(ridge)] = scoreOf(r);
    if (r.mean > ridgeScores[String(ridges[best]!)]!.mean) best = i;
    log(`  linear map, ridge ${ridge}: ${pct(r.mean)}`);
  }
  // Test: only scored, never chosen on.
  const chosenAligner = aligners[useDistilled ? 1 : 0]!;
  const g = await score(glueNetSource(useDistilled ? 'GlueNet + denoiser distillation' : 'GlueNet, parallel pairs only', encoder, chosenAligner, uncond), test);
  const l = await score(linearSource(`linear map (ridge ${ridges[best]}, chosen on validation images)`, encoder, maps[best]!, uncond), test);
  for (const a of aligners) await a.release();
  const comparison = compare(`gluenet-vs-linear/${modality}/revalidated`, g, l);
  log(
    `  test (${g.n}): GlueNet ${pct(g.mean)}, linear map (ridge ${ridges[best]}) ${pct(l.mean)}: difference ${comparison.diff} [${comparison.ci_low}, ${comparison.ci_high}]`,
  );
  return {
    modality,
    n: val.inputs.length,
    recipe: {
      pairs_only: scoreOf(plain),
      with_denoiser_distillation: scoreOf(distilled),
      difference,
      chosen: useDistilled ? 'with denoiser distillation' : 'parallel pairs only',
    },
    linear: { ridges: ridgeScores, chosen_ridge: ridges[best]! },
    test: { n: g.n, gluenet: scoreOf(g), linear: scoreOf(l), comparison },
  };
}

export async function revalidate(
  models: Pick<ExperimentModels, 'native' | 'multilingual' | 'sound' | 'generator' | 'evaluator'>,
  runDir: string,
  s: ExperimentSettings,
  o: { seed: number; promptsPerLanguage: number; sounds: number; sampling: Sampling; log?: (l: string) => void },
): Promise<Revalidation[]> {
  const log = o.log ?? (() => undefined);
  const run = multilingualPromptSets(s.pairs, s.valPromptsPerLanguage, s.promptsPerLanguage, o.seed);
  // Fresh prompts: the validation split under other seeds, unseen in any of the run's inputs.
  const fresh = NON_ENGLISH.flatMap((l, i) => heldOutTextPairs(l, o.promptsPerLanguage, 'val', o.seed + 5000 + i, run.seen));
  const multilingual = await revalidateOne(
    'multilingual',
    models,
    models.multilingual,
    runDir,
    run.train.map((p) => ({ input: p.text, english: p.english })),
    textInputs(fresh),
    textInputs(run.test),
    s.ridges,
    undefined,
    o.sampling,
    log,
  );
  const sound = await revalidateOne(
    'sound',
    models,
    models.sound,
    runDir,
    soundPairs(s.soundPairs, 'train', o.seed).map((p) => ({ input: { samples: p.audio, sampleRate: 16000 }, english: p.english })),
    soundInputs(soundPairs(o.sounds, 'val', o.seed + 5000)),
    soundInputs(soundPairs(s.sounds, 'test', o.seed)),
    s.ridges,
    nativeSource(models.native),
    o.sampling,
    log,
  );
  return [multilingual, sound];
}
