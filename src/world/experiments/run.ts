/**
 * The GlueGen experiments on the bundled world (`gluegen world eval`): glue a multilingual text
 * encoder and a sound encoder into the frozen world generator with GlueNet, trained on parallel pairs
 * only, and score every row on the same held-out inputs and seeds with the world evaluator.
 *
 * Protocol (docs/world-eval/README.md): every learned method gets the same n pairs and carves the
 * same 10% of them for its own choices (early stopping, ridge strength); choices between recipes are
 * made on separate validation prompts, never on the test prompts; test prompts are deduplicated
 * against every training and validation caption; each row carries a bootstrap 95% interval and each
 * comparison a paired bootstrap interval of the difference (same prompts, same seeds).
 */

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TextTokenizer } from '../../encoders/text/tokenizer.js';
import type { AudioClip, Encoder, EncoderInput, Modality } from '../../encoders/types.js';
import type { Generator } from '../../generators/types.js';
import { type LoadedAligner, loadAligner } from '../../gluenet/load.js';
import type { ExtraLossTerm } from '../../gluenet/losses.js';
import { type DifferentiableDenoiser, denoiserDistillation } from '../../pipeline/denoiser-terms.js';
import type { MixSpec } from '../../pipeline/mix.js';
import { type MixInput, mixSource } from '../../pipeline/sources.js';
import { Rng } from '../../util/rng.js';
import { type Attributes, COLOURS, OBJECTS, POSITIONS } from '../data/attributes.js';
import { captionIn, type Language, translateWordByWord } from '../data/captions-multi.js';
import { renderImage } from '../data/render.js';
import type { WorldEvaluator } from '../models/evaluator-session.js';
import { pairedBootstrap } from './bootstrap.js';
import { type ConditionSource, glueNetSource, linearSource, naiveSource, nativeSource, translatedSource } from './conditions.js';
import { fitWorldLinearValidated, type PairedFeatures, pairedFeatures, trainWorldGlueNet, type WorldGlueOptions } from './glue.js';
import { carveValidation, multilingualPromptSets, NON_ENGLISH, type SoundPair, soundPairs, type TextPair, trainingTextPairs } from './pairs.js';
import { type Expected, type RealFeatures, type RowScore, type Sampling, scoreImages, scoreSource } from './score.js';
import { trainLearnedTranslator } from './translator.js';

export interface ExperimentModels {
  native: Encoder<'text'>;
  nativeTokenizer: TextTokenizer;
  multilingual: Encoder<'text'>;
  sound: Encoder<'audio'> & { classify(clips: AudioClip[]): Promise<{ labels: number[] }> };
  generator: Generator;
  /** The generator's denoiser as a graph our engine differentiates (for the denoiser distillation). */
  denoiser: DifferentiableDenoiser;
  evaluator: WorldEvaluator;
}

export interface GlueRecipe {
  /** GlueNet optimisation steps (cosine decay, early stopping on the carved validation pairs). */
  steps: number;
  /** Weight and rows per batch of the denoiser-distillation term (weight 0: never tried). */
  denoise: { weight: number; rows: number };
}

export interface ExperimentOptions {
  outDir: string;
  seed: number;
  /** Pairs of the full set (multilingual, sound). */
  pairs: number;
  soundPairs: number;
  multilingualRecipe: GlueRecipe;
  soundRecipe: GlueRecipe;
  /** Test prompts per language, validation prompts per language (for choices between recipes). */
  promptsPerLanguage: number;
  valPromptsPerLanguage: number;
  /** Test and validation sounds. */
  sounds: number;
  valSounds: number;
  sampling: Sampling;
  /** Smaller pair counts for the data-efficiency rows (empty: skip). */
  dataEfficiency: number[];
  /** Learned-translator steps. */
  translatorSteps: number;
  /** Ridge strengths the linear map chooses from on its validation pairs. */
  ridges: number[];
  /** The ablations (no reconstruction, no adversarial, linear aligner, GELU head). */
  ablations: boolean;
  real?: RealFeatures;
  log?: (line: string) => void;
  progress?: NodeJS.WritableStream | null;
}

export interface ExperimentSection {
  title: string;
  rows: RowScore[];
  notes: string[];
}

/** Row a minus row b on the same inputs, percentage points, paired bootstrap 95% interval. */
export interface Comparison {
  /** "<what>/<where>": where is the section (multilingual, sound) or, for data efficiency, the pair count. */
  name: string;
  a: string;
  b: string;
  n: number;
  diff: number;
  ci_low: number;
  ci_high: number;
}

export interface ExperimentResults {
  sections: ExperimentSection[];
  comparisons: Comparison[];
  /** What was chosen on validation prompts, and the validation scores it was chosen on. */
  choices: Record<string, unknown>;
  seconds: number;
}

export function compare(name: string, a: RowScore, b: RowScore): Comparison {
  const d = pairedBootstrap(a.items, b.items);
  const pp = (v: number): number => Number((100 * v).toFixed(2));
  return { name, a: a.name, b: b.name, n: d.n, diff: pp(d.diff), ci_low: pp(d.low), ci_high: pp(d.high) };
}

/** Inputs to score and what each should show. */
export interface Scored<I> {
  inputs: I[];
  expected: Expected[];
}

export const textInputs = (p: TextPair[]): Scored<string> => ({ inputs: p.map((x) => x.text), expected: p.map((x) => ({ attrs: x.attrs, named: x.named })) });

export const soundInputs = (p: SoundPair[]): Scored<AudioClip> => ({
  inputs: p.map((x) => ({ samples: x.audio, sampleRate: 16000, source: `sound ${OBJECTS[x.object]}` })),
  expected: p.map((x) => ({ attrs: { object: x.object, colour: 0, size: 0, position: 0 }, named: { object: true } })),
});

/** Paired features of n pairs, split into the training part and the carved validation part. */
export interface CarvedFeatures {
  train: PairedFeatures;
  val: PairedFeatures;
  trainPairs: number;
  valPairs: number;
}

export interface Trained {
  aligner: LoadedAligner;
  kept: { step: number; valError: number | null };
}

/** Trains a GlueNet on the training part (early stopping on the carved part) and loads its aligner. */
export async function glue(
  f: CarvedFeatures,
  dir: string,
  o: Pick<ExperimentOptions, 'seed' | 'progress'>,
  steps: number,
  extra: Partial<WorldGlueOptions> = {},
): Promise<Trained> {
  const r = await trainWorldGlueNet(f.train, dir, { steps, seed: o.seed, progress: o.progress ?? null, validation: f.val, ...extra });
  return { aligner: await loadAligner(dir), kept: r.kept };
}

/** Ablations of the pairs-only recipe: what each changes. */
const ABLATIONS = {
  'no-reconstruction': { label: 'without reconstruction', options: { lossWeights: { rec: 0 } } },
  'no-adversarial': { label: 'without adversarial', options: { lossWeights: { adv: 0 } } },
  'linear-aligner': { label: 'with a linear aligner', options: { arch: 'linear' } },
  'gelu-head': { label: "with the release's GELU-ended head", options: { finalGelu: true } },
} as const satisfies Record<string, { label: string; options: Partial<WorldGlueOptions> }>;

/** Each ablation trained on the same pairs and scored on the same inputs, compared with the pairs-only GlueNet. */
async function runAblations<I>(
  modality: string,
  keys: (keyof typeof ABLATIONS)[],
  f: CarvedFeatures,
  steps: number,
  base: RowScore,
  score: (src: ConditionSource<I>) => Promise<RowScore>,
  source: (label: string, a: LoadedAligner) => ConditionSource<I>,
  o: ExperimentOptions,
): Promise<Comparison[]> {
  const comparisons: Comparison[] = [];
  for (const key of keys) {
    const { label, options } = ABLATIONS[key];
    const t = await glue(f, join(o.outDir, 'gluenets', `${modality}-${key}`), o, steps, options);
    const r = await score(source(`GlueNet (pairs only) ${label}`, t.aligner));
    await t.aligner.release();
    comparisons.push(compare(`ablation/${key}/${modality}`, base, r));
  }
  return comparisons;
}

export async function features<M extends Modality>(
  models: Pick<ExperimentModels, 'native'>,
  encoder: Encoder<M>,
  pairs: { input: EncoderInput<M>; english: string }[],
  name: string,
): Promise<CarvedFeatures> {
  const { train, val } = carveValidation(pairs);
  const enc = (p: typeof pairs, n: string): Promise<PairedFeatures> =>
    pairedFeatures(
      encoder,
      p.map((x) => x.input),
      models.native,
      p.map((x) => x.english),
      n,
    );
  return { train: await enc(train, name), val: await enc(val, `${name} (validation)`), trainPairs: train.length, valPairs: val.length };
}

export function denoiseTerm(models: Pick<ExperimentModels, 'denoiser'>, recipe: GlueRecipe, seed: number): ExtraLossTerm {
  return denoiserDistillation(models.denoiser, { weight: recipe.denoise.weight, rows: recipe.denoise.rows, seed });
}

/**
 * The two GlueNet recipes (parallel pairs only, and + denoiser distillation) trained on the same
 * pairs, the better on the validation inputs chosen; both scored on the test inputs.
 */
async function chooseRecipe<I>(
  name: string,
  f: CarvedFeatures,
  models: ExperimentModels,
  recipe: GlueRecipe,
  source: (label: string, a: LoadedAligner) => ConditionSource<I>,
  val: Scored<I>,
  dir: (n: string) => string,
  o: ExperimentOptions,
  log: (l: string) => void,
): Promise<{ plain: LoadedAligner; distilled: LoadedAligner | null; useDistilled: boolean; choice: Record<string, unknown> }> {
  const plain = await glue(f, dir(name), o, recipe.steps);
  if (recipe.denoise.weight <= 0) return { plain: plain.aligner, distilled: null, useDistilled: false, choice: { denoiser: 'not tried' } };
  const distilled = await glue(f, dir(`${name}-denoise`), o, recipe.steps, { extraLoss: denoiseTerm(models, recipe, o.seed) });
  const score = (label: string, a: LoadedAligner): Promise<RowScore> =>
    scoreSource(source(label, a), val.inputs, val.expected, models.generator, models.evaluator, o.sampling);
  const vp = await score('validation: parallel pairs only', plain.aligner);
  const vd = await score('validation: + denoiser distillation', distilled.aligner);
  const useDistilled = vd.mean > vp.mean;
  log(
    `  validation (${val.inputs.length} inputs): pairs only ${(100 * vp.mean).toFixed(1)}%, + denoiser distillation ${(100 * vd.mean).toFixed(1)}% -> ${useDistilled ? 'with' : 'without'} it`,
  );
  return {
    plain: plain.aligner,
    distilled: distilled.aligner,
    useDistilled,
    choice: {
      validation_inputs: val.inputs.length,
      pairs_only: { validation_mean: vp.mean, kept_step: plain.kept.step },
      with_denoiser_distillation: { validation_mean: vd.mean, kept_step: distilled.kept.step, weight: recipe.denoise.weight, rows: recipe.denoise.rows },
      chosen: useDistilled ? 'with denoiser distillation' : 'parallel pairs only',
    },
  };
}

export async function runMultilingual(
  models: ExperimentModels,
  o: ExperimentOptions,
): Promise<{ section: ExperimentSection; comparisons: Comparison[]; choices: Record<string, unknown> }> {
  const log = o.log ?? (() => undefined);
  const recipe = o.multilingualRecipe;
  const { train: all, val: valPrompts, test } = multilingualPromptSets(o.pairs, o.valPromptsPerLanguage, o.promptsPerLanguage, o.seed);
  const { inputs: texts, expected } = textInputs(test);
  log(`multilingual: ${all.length} pairs over ${NON_ENGLISH.join(', ')}; ${valPrompts.length} validation and ${test.length} test prompts (unseen in training)`);
  const f = await features(
    models,
    models.multilingual,
    all.map((p) => ({ input: p.text, english: p.english })),
    'multilingual pairs',
  );
  const shape = models.generator.condition;
  const rows: RowScore[] = [];
  const score = async (src: ConditionSource<string>, inputs = texts): Promise<RowScore> => {
    const r = await scoreSource(src, inputs, expected, models.generator, models.evaluator, o.sampling, o.real);
    log(`  ${r.name.padEnd(46)} mean ${(100 * r.mean).toFixed(1)}% [${(100 * r.interval.low).toFixed(1)}, ${(100 * r.interval.high).toFixed(1)}]`);
    rows.push(r);
    return r;
  };
  const dir = (name: string): string => join(o.outDir, 'gluenets', name);
  const gn = (label: string, a: LoadedAligner): ConditionSource<string> => glueNetSource(label, models.multilingual, a);

  const native = await score(
    nativeSource(models.native, 'native English prompts (upper bound)'),
    test.map((p) => p.english),
  );
  await score(naiveSource('naive plug-in (no alignment)', models.multilingual, shape));
  const lin = await fitWorldLinearValidated(f.train, f.val, o.ridges);
  const linear = await score(linearSource('linear least-squares map', models.multilingual, lin.map));
  const learned = await translatorRow(models, all, o, `learned translator (${all.length} pairs) -> native`, texts, score);
  const langOf = new Map(test.map((p) => [p.text, p.lang]));
  const oracle = await score(
    translatedSource('dictionary translation -> native (oracle)', models.native, (t) => translateWordByWord(t, langOf.get(t) ?? 'en')),
  );

  const chosen = await chooseRecipe('multilingual', f, models, recipe, gn, textInputs(valPrompts), dir, o, log);
  const base = await score(gn('GlueNet, parallel pairs only', chosen.plain));
  const distilled = chosen.distilled ? await score(gn('GlueNet + denoiser distillation', chosen.distilled)) : null;
  const main = chosen.useDistilled && distilled ? distilled : base;
  await chosen.plain.release();
  await chosen.distilled?.release();
  const mainExtra = (): Partial<WorldGlueOptions> => (chosen.useDistilled ? { extraLoss: denoiseTerm(models, recipe, o.seed) } : {});

  const comparisons: Comparison[] = [
    compare('gluenet-vs-linear/multilingual', main, linear),
    compare('gluenet-vs-native/multilingual', main, native),
    compare('gluenet-vs-learned-translator/full', main, learned),
    compare('gluenet-vs-translation-oracle/multilingual', main, oracle),
  ];
  if (distilled) comparisons.push(compare('denoiser-distill/multilingual', distilled, base));

  if (o.ablations) {
    const keys = ['no-reconstruction', 'no-adversarial', 'linear-aligner', 'gelu-head'] as const;
    comparisons.push(...(await runAblations('multilingual', [...keys], f, recipe.steps, base, score, gn, o)));
  }

  for (const n of o.dataEfficiency) {
    const sub = trainingTextPairs(n, o.seed + 7);
    const fs = await features(
      models,
      models.multilingual,
      sub.map((p) => ({ input: p.text, english: p.english })),
      `${n} pairs`,
    );
    const t = await glue(fs, dir(`multilingual-${n}`), o, recipe.steps, mainExtra());
    const g = await score(gn(`GlueNet, ${n} pairs`, t.aligner));
    await t.aligner.release();
    const l = await score(linearSource(`linear map, ${n} pairs`, models.multilingual, (await fitWorldLinearValidated(fs.train, fs.val, o.ridges)).map));
    const tr = await translatorRow(models, sub, o, `learned translator, ${n} pairs`, texts, score);
    comparisons.push(compare(`gluenet-vs-learned-translator/${n}`, g, tr), compare(`gluenet-vs-linear/${n}`, g, l));
  }
  const notes = [
    `${test.length} test prompts (${o.promptsPerLanguage} per language x ${NON_ENGLISH.length} languages, none seen in training or validation); seed ${o.sampling.seed}; ${o.sampling.steps} ${o.sampling.scheduler} steps, guidance ${o.sampling.guidance}`,
    `every learned row: ${o.pairs} pairs unless named (1% of them the empty prompt), 10% carved for its own validation; GlueNet ${recipe.steps} steps, cosine lr, early stopping; linear map ridge ${lin.ridge} (chosen on validation)`,
    `GlueNet = ${chosen.useDistilled ? 'GlueNet + denoiser distillation' : 'GlueNet, parallel pairs only'} (chosen on ${valPrompts.length} validation prompts)`,
  ];
  return {
    section: { title: 'Multilingual prompts (zh fr es it ja de) into the English-only generator', rows, notes },
    comparisons,
    choices: { multilingual: { ...chosen.choice, linear_ridge: lin.ridge } },
  };
}

async function translatorRow(
  models: ExperimentModels,
  pairs: TextPair[],
  o: ExperimentOptions,
  name: string,
  texts: string[],
  score: (src: ConditionSource<string>, inputs?: string[]) => Promise<RowScore>,
): Promise<RowScore> {
  const tr = await trainLearnedTranslator(
    pairs.map((p) => ({ text: p.text, english: p.english })),
    models.multilingual,
    models.nativeTokenizer,
    { seed: o.seed, steps: o.translatorSteps, progress: o.progress ?? null },
  );
  try {
    const english = await tr.translate(texts);
    const byText = new Map(texts.map((t, i) => [t, english[i]!]));
    return await score(translatedSource(name, models.native, (t) => byText.get(t) ?? ''));
  } finally {
    await tr.release();
  }
}

/** A real image of a class with random other attributes: the label-retrieval baseline's answer. */
function retrieveImage(object: number, rng: Rng): Uint8Array {
  const attrs: Attributes = { object, colour: rng.int(COLOURS.length), size: rng.int(2), position: rng.int(POSITIONS.length) };
  return renderImage(attrs, rng);
}

export async function runSound(
  models: ExperimentModels,
  o: ExperimentOptions,
): Promise<{ section: ExperimentSection; comparisons: Comparison[]; choices: Record<string, unknown>; aligner: LoadedAligner }> {
  const log = o.log ?? (() => undefined);
  const recipe = o.soundRecipe;
  const all = soundPairs(o.soundPairs, 'train', o.seed);
  const valSounds = soundPairs(o.valSounds, 'val', o.seed);
  const test = soundPairs(o.sounds, 'test', o.seed);
  const { inputs: clips, expected } = soundInputs(test);
  log(`sound: ${all.length} pairs, ${valSounds.length} validation and ${test.length} test sounds`);
  const f = await features(
    models,
    models.sound,
    all.map((p) => ({ input: { samples: p.audio, sampleRate: 16000 }, english: p.english })),
    'sound pairs',
  );
  const uncond = nativeSource(models.native); // as the release: "" via the text encoder
  const rows: RowScore[] = [];
  const score = async (src: ConditionSource<AudioClip>): Promise<RowScore> => {
    const r = await scoreSource(src, clips, expected, models.generator, models.evaluator, o.sampling, o.real);
    log(
      `  ${r.name.padEnd(46)} object ${(100 * (r.accuracy.object ?? NaN)).toFixed(1)}% [${(100 * r.interval.low).toFixed(1)}, ${(100 * r.interval.high).toFixed(1)}]`,
    );
    rows.push(r);
    return r;
  };
  const label = await scoreSource(
    nativeSource(models.native, 'native English label caption (upper bound)'),
    test.map((p) => p.english),
    expected,
    models.generator,
    models.evaluator,
    o.sampling,
    o.real,
  );
  rows.push(label);
  await score(naiveSource('naive plug-in (no alignment)', models.sound, models.generator.condition, uncond));
  const lin = await fitWorldLinearValidated(f.train, f.val, o.ridges);
  const linear = await score(linearSource('linear least-squares map', models.sound, lin.map, uncond));
  const dir = (name: string): string => join(o.outDir, 'gluenets', name);
  const gn = (name: string, a: LoadedAligner): ConditionSource<AudioClip> => glueNetSource(name, models.sound, a, uncond);
  const chosen = await chooseRecipe('sound', f, models, recipe, gn, soundInputs(valSounds), dir, o, log);
  const base = await score(gn('GlueNet, parallel pairs only', chosen.plain));
  const distilled = chosen.distilled ? await score(gn('GlueNet + denoiser distillation', chosen.distilled)) : null;
  const main = chosen.useDistilled && distilled ? distilled : base;
  const comparisons = [compare('gluenet-vs-linear/sound', main, linear), compare('gluenet-vs-native/sound', main, label)];
  if (distilled) comparisons.push(compare('denoiser-distill/sound', distilled, base));
  if (o.ablations)
    comparisons.push(...(await runAblations('sound', ['no-reconstruction', 'no-adversarial', 'linear-aligner'], f, recipe.steps, base, score, gn, o)));
  const predicted = (await models.sound.classify(clips)).labels;
  const rng = new Rng(o.seed + 5);
  const retrieval = await scoreImages(
    'label retrieval (classifier oracle, shows a real image)',
    predicted.map((k) => retrieveImage(k, rng)),
    expected,
    models.evaluator,
    o.real,
  );
  log(`  ${retrieval.name.padEnd(46)} object ${(100 * (retrieval.accuracy.object ?? NaN)).toFixed(1)}%`);
  rows.push(retrieval);
  const keep = chosen.useDistilled ? chosen.distilled! : chosen.plain;
  await (chosen.useDistilled ? chosen.plain : chosen.distilled)?.release();
  return {
    section: {
      title: 'Sound to image (synthesized sound events)',
      rows,
      notes: [
        `${test.length} test sounds, ${OBJECTS.length} classes; ${o.soundPairs} pairs, 10% carved for validation; GlueNet ${recipe.steps} steps; linear ridge ${lin.ridge}`,
        `GlueNet = ${chosen.useDistilled ? 'GlueNet + denoiser distillation' : 'GlueNet, parallel pairs only'} (chosen on ${valSounds.length} validation sounds)`,
      ],
    },
    comparisons,
    choices: { sound: { ...chosen.choice, linear_ridge: lin.ridge } },
    aligner: keep,
  };
}

/** Sound + text: "[bell sound] + 'blue, on the left'", scored on every attribute either side names. */
export async function runMixing(models: ExperimentModels, o: ExperimentOptions, soundAligner: LoadedAligner): Promise<ExperimentSection> {
  const test = soundPairs(o.sounds, 'test', o.seed + 1);
  const rng = new Rng(o.seed + 9);
  const items = test.map((p) => {
    const colour = rng.int(COLOURS.length);
    const position = rng.int(POSITIONS.length);
    const attrs: Attributes = { object: p.object, colour, size: 0, position };
    return {
      clip: { samples: p.audio, sampleRate: 16000 } as AudioClip,
      text: captionIn('en', attrs, { colour: true, position: true }, rng).text,
      full: captionIn('en', attrs, { object: true, colour: true, position: true }, rng).text,
      expected: { attrs, named: { object: true, colour: true, position: true } } as Expected,
    };
  });
  const shape = models.generator.condition;
  const soundCond = glueNetSource('sound', models.sound, soundAligner, nativeSource(models.native));
  const mixed = (spec: MixSpec, name: string): ConditionSource<MixInput<AudioClip>> => ({
    ...mixSource(soundCond, nativeSource(models.native), spec, shape),
    name,
  });
  const expected = items.map((i) => i.expected);
  const score = <I>(source: ConditionSource<I>, inputs: I[]): Promise<RowScore> =>
    scoreSource(source, inputs, expected, models.generator, models.evaluator, o.sampling, o.real);
  const rows: RowScore[] = [
    await score(
      nativeSource(models.native, 'native full caption (upper bound)'),
      items.map((i) => i.full),
    ),
    await score(
      nativeSource(models.native, 'text only (no sound)'),
      items.map((i) => i.text),
    ),
  ];
  for (const [spec, name] of [
    [{ kind: 'splice', split: 3 }, 'sound + text, token splice (i = 3)'],
    [{ kind: 'avg', weight: 0.5 }, 'sound + text, average (w = 0.5)'],
  ] as const) {
    rows.push(
      await score(
        mixed(spec as MixSpec, name),
        items.map((i) => ({ input: i.clip, prompt: i.text })),
      ),
    );
  }
  return { title: "Mixing: [object sound] + 'colour, position' text", rows, notes: ['scored on object, colour and position'] };
}

export async function runExperiments(models: ExperimentModels, o: ExperimentOptions): Promise<ExperimentResults> {
  const start = Date.now();
  mkdirSync(o.outDir, { recursive: true });
  const m = await runMultilingual(models, o);
  const s = await runSound(models, o);
  const mixing = await runMixing(models, o, s.aligner);
  await s.aligner.release();
  return {
    sections: [m.section, s.section, mixing],
    comparisons: [...m.comparisons, ...s.comparisons],
    choices: { ...m.choices, ...s.choices },
    seconds: (Date.now() - start) / 1000,
  };
}

export type { Language };
