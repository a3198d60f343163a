/**
 * The GlueGen experiments on the bundled world (`gluegen world eval`): glue a multilingual text
 * encoder and a sound encoder into the frozen world generator with GlueNet, trained on parallel pairs
 * only, and score every row on the same held-out inputs and seeds with the world evaluator.
 */

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AudioClip, Encoder } from '../../encoders/types.js';
import type { Generator } from '../../generators/types.js';
import { type LoadedAligner, loadAligner } from '../../gluenet/load.js';
import type { MixSpec } from '../../pipeline/mix.js';
import { type MixInput, mixSource } from '../../pipeline/sources.js';
import { Rng } from '../../util/rng.js';
import { type Attributes, COLOURS, OBJECTS, POSITIONS } from '../data/attributes.js';
import { captionIn, LANGUAGES, type Language, translateWordByWord } from '../data/captions-multi.js';
import { renderImage } from '../data/render.js';
import type { WorldEvaluator } from '../models/evaluator-session.js';
import { type ConditionSource, glueNetSource, linearSource, naiveSource, nativeSource, translatedSource } from './conditions.js';
import { fitWorldLinear, type PairedFeatures, pairedFeatures, trainWorldGlueNet, type WorldGlueOptions } from './glue.js';
import { soundPairs, type TextPair, textPairs } from './pairs.js';
import { type Expected, type RealFeatures, type RowScore, type Sampling, scoreImages, scoreSource } from './score.js';

export interface ExperimentModels {
  native: Encoder<'text'>;
  multilingual: Encoder<'text'>;
  sound: Encoder<'audio'> & { classify(clips: AudioClip[]): Promise<{ labels: number[] }> };
  generator: Generator;
  evaluator: WorldEvaluator;
}

export interface ExperimentOptions {
  outDir: string;
  seed: number;
  /** Training pairs for the main GlueNets. */
  pairs: number;
  /** GlueNet optimisation steps for the main GlueNets. */
  steps: number;
  /** Held-out prompts per language, and sounds. */
  promptsPerLanguage: number;
  sounds: number;
  sampling: Sampling;
  /** Sizes for the data-efficiency rows (empty: skip). */
  dataEfficiency: number[];
  /** Train one GlueNet per language to compare with the shared one. */
  perLanguage: boolean;
  real?: RealFeatures;
  log?: (line: string) => void;
  progress?: NodeJS.WritableStream | null;
}

export interface ExperimentSection {
  title: string;
  rows: RowScore[];
  notes: string[];
}

export interface ExperimentResults {
  sections: ExperimentSection[];
  seconds: number;
}

const NON_ENGLISH = LANGUAGES.filter((l) => l !== 'en');

async function glue(f: PairedFeatures, dir: string, o: ExperimentOptions, extra: Partial<WorldGlueOptions> = {}): Promise<LoadedAligner> {
  await trainWorldGlueNet(f, dir, { steps: o.steps, seed: o.seed, progress: o.progress ?? null, ...extra });
  return loadAligner(dir);
}

function expectedOf(p: TextPair[]): Expected[] {
  return p.map((x) => ({ attrs: x.attrs, named: x.named }));
}

export async function runMultilingual(models: ExperimentModels, o: ExperimentOptions): Promise<ExperimentSection> {
  const log = o.log ?? (() => undefined);
  const train = textPairs('all', o.pairs, 'train', o.seed);
  const test = NON_ENGLISH.flatMap((l) => textPairs(l, o.promptsPerLanguage, 'test', o.seed + NON_ENGLISH.indexOf(l)));
  const expected = expectedOf(test);
  const texts = test.map((p) => p.text);
  log(`multilingual: ${train.length} training pairs over ${NON_ENGLISH.join(', ')}; ${test.length} held-out prompts`);
  const f = await pairedFeatures(
    models.multilingual,
    train.map((p) => p.text),
    models.native,
    train.map((p) => p.english),
    'multilingual pairs',
  );
  const shape = models.generator.condition;
  const rows: RowScore[] = [];
  const notes: string[] = [];
  const score = async (src: ConditionSource<string>, inputs = texts): Promise<RowScore> => {
    const r = await scoreSource(src, inputs, expected, models.generator, models.evaluator, o.sampling, o.real);
    log(`  ${r.name.padEnd(34)} mean ${(100 * r.mean).toFixed(1)}%  (${r.seconds.toFixed(0)} s)`);
    rows.push(r);
    return r;
  };
  await score(
    nativeSource(models.native, 'native English prompts (upper bound)'),
    test.map((p) => p.english),
  );
  await score(naiveSource('naive plug-in (no alignment)', models.multilingual, shape));
  await score(linearSource('linear least-squares map', models.multilingual, await fitWorldLinear(f)));
  const langOf = new Map(test.map((p) => [p.text, p.lang]));
  await score(translatedSource('word-by-word translation -> native', models.native, (t) => translateWordByWord(t, langOf.get(t) ?? 'en')));
  const dir = (name: string): string => join(o.outDir, 'gluenets', name);
  const full = await glue(f, dir('multilingual'), o);
  await score(glueNetSource('GlueNet (all languages, shared)', models.multilingual, full));
  await full.release();
  for (const [name, w] of [
    ['no reconstruction', { rec: 0 }],
    ['no adversarial', { adv: 0 }],
  ] as const) {
    const a = await glue(f, dir(`multilingual-${name.replace(' ', '-')}`), o, { lossWeights: w });
    await score(glueNetSource(`GlueNet without ${name.replace('no ', '')}`, models.multilingual, a));
    await a.release();
  }
  if (o.perLanguage) {
    // One GlueNet per language, as the release does, each with as many pairs as the shared one.
    const perImages: Uint8Array[] = [];
    const perPred: Expected[] = [];
    for (const lang of NON_ENGLISH) {
      const tp = textPairs(lang, o.pairs, 'train', o.seed + 101);
      const fl = await pairedFeatures(
        models.multilingual,
        tp.map((p) => p.text),
        models.native,
        tp.map((p) => p.english),
        `${lang} pairs`,
      );
      const a = await glue(fl, dir(`per-language-${lang}`), o);
      const idx = test.map((p, i) => (p.lang === lang ? i : -1)).filter((i) => i >= 0);
      const r = await scoreSource(
        glueNetSource(`GlueNet ${lang}`, models.multilingual, a),
        idx.map((i) => texts[i]!),
        idx.map((i) => expected[i]!),
        models.generator,
        models.evaluator,
        o.sampling,
      );
      perImages.push(...r.images);
      perPred.push(...idx.map((i) => expected[i]!));
      await a.release();
    }
    const r = await scoreImages('GlueNet per language (release style)', perImages, perPred, models.evaluator, o.real);
    log(`  ${r.name.padEnd(34)} mean ${(100 * r.mean).toFixed(1)}%`);
    rows.push(r);
  }
  for (const n of o.dataEfficiency) {
    const sub = textPairs('all', n, 'train', o.seed + 7);
    const fs = await pairedFeatures(
      models.multilingual,
      sub.map((p) => p.text),
      models.native,
      sub.map((p) => p.english),
      `${n} pairs`,
    );
    const a = await glue(fs, dir(`multilingual-${n}`), o, { batchSize: Math.min(64, n) });
    await score(glueNetSource(`GlueNet, ${n} pairs`, models.multilingual, a));
    await a.release();
  }
  notes.push(
    `prompts: ${o.promptsPerLanguage} per language x ${NON_ENGLISH.length} languages; seed ${o.sampling.seed}; ${o.sampling.steps} ${o.sampling.scheduler} steps, guidance ${o.sampling.guidance}`,
  );
  return { title: 'Multilingual prompts (zh fr es it ja de) into the English-only generator', rows, notes };
}

/** A real image of a class with random other attributes: the label-retrieval baseline's answer. */
function retrieveImage(object: number, rng: Rng): Uint8Array {
  const attrs: Attributes = { object, colour: rng.int(COLOURS.length), size: rng.int(2), position: rng.int(POSITIONS.length) };
  return renderImage(attrs, rng);
}

export async function runSound(models: ExperimentModels, o: ExperimentOptions): Promise<ExperimentSection> {
  const log = o.log ?? (() => undefined);
  const train = soundPairs(o.pairs, 'train', o.seed);
  const test = soundPairs(o.sounds, 'test', o.seed);
  const clips: AudioClip[] = test.map((p) => ({ samples: p.audio, sampleRate: 16000, source: `sound ${OBJECTS[p.object]}` }));
  const expected: Expected[] = test.map((p) => ({ attrs: { object: p.object, colour: 0, size: 0, position: 0 }, named: { object: true } }));
  log(`sound: ${train.length} training pairs, ${test.length} held-out sounds`);
  const f = await pairedFeatures(
    models.sound,
    train.map((p) => ({ samples: p.audio, sampleRate: 16000 })),
    models.native,
    train.map((p) => p.english),
    'sound pairs',
  );
  const uncond = nativeSource(models.native); // as the release: "" via the text encoder
  const rows: RowScore[] = [];
  const score = async (src: ConditionSource<AudioClip>): Promise<void> => {
    const r = await scoreSource(src, clips, expected, models.generator, models.evaluator, o.sampling, o.real);
    log(`  ${r.name.padEnd(34)} object ${(100 * (r.accuracy.object ?? NaN)).toFixed(1)}%`);
    rows.push(r);
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
  await score(linearSource('linear least-squares map', models.sound, await fitWorldLinear(f), uncond));
  const dir = (name: string): string => join(o.outDir, 'gluenets', name);
  const variants: [string, WorldGlueOptions['lossWeights']][] = [
    ['GlueNet', {}],
    ['GlueNet without reconstruction', { rec: 0 }],
    ['GlueNet without adversarial', { adv: 0 }],
  ];
  for (const [name, w] of variants) {
    const a = await glue(f, dir(`sound${w && Object.keys(w).length ? `-${Object.keys(w)[0]}` : ''}`), o, { lossWeights: w ?? {} });
    await score(glueNetSource(name, models.sound, a, uncond));
    await a.release();
  }
  const predicted = (await models.sound.classify(clips)).labels;
  const rng = new Rng(o.seed + 5);
  const retrieval = await scoreImages(
    'label retrieval (classify, show a real image)',
    predicted.map((k) => retrieveImage(k, rng)),
    expected,
    models.evaluator,
    o.real,
  );
  log(`  ${retrieval.name.padEnd(34)} object ${(100 * (retrieval.accuracy.object ?? NaN)).toFixed(1)}%`);
  rows.push(retrieval);
  return { title: 'Sound to image (synthesized sound events)', rows, notes: [`${test.length} held-out sounds, ${OBJECTS.length} classes`] };
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
  const sections = [await runMultilingual(models, o), await runSound(models, o)];
  const soundAligner = await loadAligner(join(o.outDir, 'gluenets', 'sound'));
  sections.push(await runMixing(models, o, soundAligner));
  await soundAligner.release();
  return { sections, seconds: (Date.now() - start) / 1000 };
}

export type { Language };
