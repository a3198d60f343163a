/**
 * The finetuning experiment (`gluegen world eval --experiment finetune`): the shipped parallel-pairs
 * GlueNets (bigger English encoder, multilingual encoder) before and after finetuning their aligners
 * with the generator's denoising loss on 1k / 10k world image-caption pairs, scored on the same test
 * prompts as the experiments they come from. How many image pairs the gain needs is the question; a
 * control row finetunes on the same captions without their images (the pair distillation alone), so
 * a gain from the images is told apart from a gain from more (or richer) caption pairs.
 */
import { join } from 'node:path';
import type { Encoder } from '../../encoders/types.js';
import { type LoadedAligner, loadAligner } from '../../gluenet/load.js';
import { Rng } from '../../util/rng.js';
import type { Attributes } from '../data/attributes.js';
import { captionIn } from '../data/captions-multi.js';
import { captionRich } from '../data/captions-rich.js';
import { exampleSeed } from '../data/dataset.js';
import { sampleNamed } from '../data/grammar.js';
import { bothKinds, englishPromptSets } from './bigger-english.js';
import { type ConditionSource, glueNetSource } from './conditions.js';
import { finetuneWithImages } from './image-finetune.js';
import { worldImageLatents } from './image-pairs.js';
import { multilingualPromptSets, NON_ENGLISH, type TextPair } from './pairs.js';
import { type Comparison, compare, type ExperimentModels, type ExperimentSection, textInputs } from './run.js';
import { type RealFeatures, type RowScore, type Sampling, scoreSource } from './score.js';

export interface ImageFinetuneExperimentModels extends Pick<ExperimentModels, 'native' | 'multilingual' | 'generator' | 'evaluator' | 'denoiser'> {
  large: Encoder<'text'>;
  /** The generator folder (its autoencoder encodes the images). */
  generatorDir: string;
}

export interface ImageFinetuneExperimentOptions {
  outDir: string;
  seed: number;
  /** The parallel-pairs GlueNets finetuning starts from (the shipped gluenet-english-large, gluenet-multilingual). */
  englishGlueNet: string;
  multilingualGlueNet: string;
  /** Image-caption pairs per finetuned row (nested: the smaller sets are prefixes of the largest). */
  imagePairs: number[];
  /** Image pairs of the multilingual finetune (0: skip it). */
  multilingualImagePairs: number;
  steps: number;
  rows: number;
  lr: number;
  checks: number;
  /** The prompt sets of the bigger-English and the multilingual experiments (same seeds: same test prompts). */
  english: { pairs: number; valPrompts: number; prompts: number };
  multilingual: { pairs: number; valPerLanguage: number; perLanguage: number };
  sampling: Sampling;
  real?: RealFeatures;
  log?: (line: string) => void;
  progress?: NodeJS.WritableStream | null;
}

export interface ImageFinetuneResults {
  sections: ExperimentSection[];
  comparisons: Comparison[];
  choices: Record<string, unknown>;
  seconds: number;
}

/**
 * A caption per image in the new encoder's language — English images a rich or a canonical caption
 * (even odds), multilingual ones a caption in a cycled language — and the same scene's canonical
 * English caption (naming the same attributes) for the native side.
 */
function imageCaptions(attrs: readonly Attributes[], kind: 'english' | 'multilingual', seed: number): { captions: string[]; english: string[] } {
  const captions: string[] = [];
  const english: string[] = [];
  attrs.forEach((a, i) => {
    const rng = new Rng(exampleSeed('train', i, seed + 4241));
    const named = sampleNamed(rng);
    const canonical = captionIn('en', a, named, rng).text;
    if (kind === 'multilingual') captions.push(captionIn(NON_ENGLISH[i % NON_ENGLISH.length]!, a, named, rng).text);
    else captions.push(rng.uniform() < 0.5 ? captionRich(a, named, rng) : canonical);
    english.push(canonical);
  });
  return { captions, english };
}

export async function runImageFinetune(models: ImageFinetuneExperimentModels, o: ImageFinetuneExperimentOptions): Promise<ImageFinetuneResults> {
  const start = Date.now();
  const log = o.log ?? (() => undefined);
  const most = Math.max(...o.imagePairs, o.multilingualImagePairs);
  log(`image-text finetuning: rendering ${most} world images and encoding their latents`);
  const images = await worldImageLatents(models.generatorDir, most, o.seed + 17);
  const per = images.latents.length / most;
  const sections: ExperimentSection[] = [];
  const comparisons: Comparison[] = [];
  const choices: Record<string, unknown> = {};

  const scoreRows = async (title: string, test: TextPair[], sources: ConditionSource<string>[], notes: string[]): Promise<RowScore[]> => {
    const { inputs, expected } = textInputs(test);
    const rows: RowScore[] = [];
    for (const src of sources) {
      const r = await scoreSource(src, inputs, expected, models.generator, models.evaluator, o.sampling, o.real);
      log(`  ${title}: ${r.name.padEnd(50)} mean ${(100 * r.mean).toFixed(1)}% [${(100 * r.interval.low).toFixed(1)}, ${(100 * r.interval.high).toFixed(1)}]`);
      rows.push(r);
    }
    sections.push({ title, rows, notes });
    return rows;
  };

  /** Finetunes `from` on the first n images with captions `captions`, chosen on `val`; returns the loaded aligner. */
  const finetune = async (
    name: string,
    encoder: Encoder<'text'>,
    from: string,
    n: number,
    captions: { captions: string[]; english: string[] },
    val: ReturnType<typeof textInputs>,
    withImages = true,
  ): Promise<LoadedAligner> => {
    const out = join(o.outDir, 'gluenets', name);
    log(
      `${name}: ${n} ${withImages ? 'image-caption pairs' : 'captions without their images (control)'}, ${o.steps} steps x ${o.rows} pairs, lr ${o.lr}; kept step chosen on ${val.inputs.length} validation prompts`,
    );
    const r = await finetuneWithImages(models, encoder, (label, a) => glueNetSource(label, encoder, a), {
      from,
      out,
      captions: captions.captions.slice(0, n),
      english: captions.english.slice(0, n),
      latents: images.latents.subarray(0, n * per),
      steps: o.steps,
      rows: o.rows,
      lr: o.lr,
      seed: o.seed,
      validation: val,
      images: withImages,
      checks: o.checks,
      sampling: o.sampling,
      progress: o.progress ?? null,
    });
    log(`  validation accuracy by step: ${r.curve.map((c) => `${c.step}: ${(100 * c.accuracy).toFixed(1)}%`).join(', ')} -> kept step ${r.kept.step}`);
    choices[name] = { pairs: n, images: withImages, kept_step: r.kept.step, validation_curve: r.curve };
    return loadAligner(out);
  };

  // Bigger English encoder: rich and canonical prompts.
  const en = englishPromptSets(o.english.pairs, o.english.valPrompts, o.english.prompts, o.seed);
  const enCaptions = imageCaptions(images.attrs, 'english', o.seed);
  const base = await loadAligner(o.englishGlueNet);
  const tuned: { n: number; aligner: LoadedAligner }[] = [];
  const controls: { n: number; aligner: LoadedAligner }[] = [];
  for (const n of o.imagePairs) {
    tuned.push({ n, aligner: await finetune(`english-large-images-${n}`, models.large, o.englishGlueNet, n, enCaptions, bothKinds(en.val)) });
    controls.push({ n, aligner: await finetune(`english-large-captions-${n}`, models.large, o.englishGlueNet, n, enCaptions, bothKinds(en.val), false) });
  }
  const englishSources = [
    glueNetSource('GlueNet (bigger encoder), parallel pairs only', models.large, base),
    ...tuned.map((t) => glueNetSource(`+ finetuned on ${t.n} image-caption pairs`, models.large, t.aligner)),
    ...controls.map((t) => glueNetSource(`control: the same ${t.n} captions, no images`, models.large, t.aligner)),
  ];
  for (const kind of ['rich', 'canonical'] as const) {
    const rows = await scoreRows(`Finetuning with image-text pairs: bigger English encoder, ${kind} prompts`, en.test[kind], englishSources, [
      `${en.test[kind].length} test prompts (the bigger-English experiment's); the generator frozen; only the aligner trains, with the generator's denoising loss (+ the pair distillation as an anchor); captions: rich or canonical English (even odds)`,
    ]);
    tuned.forEach((t, i) => {
      const at = t.n === Math.max(...o.imagePairs) ? '' : `/${t.n}`;
      comparisons.push(
        compare(`finetuned-vs-gluenet/${kind}${at}`, rows[i + 1]!, rows[0]!),
        compare(`finetuned-vs-control/${kind}${at}`, rows[i + 1]!, rows[1 + tuned.length + i]!),
      );
    });
  }
  await base.release();
  for (const t of [...tuned, ...controls]) await t.aligner.release();

  // Multilingual encoder: the fair-experiments issue's test prompts.
  if (o.multilingualImagePairs > 0) {
    const ml = multilingualPromptSets(o.multilingual.pairs, o.multilingual.valPerLanguage, o.multilingual.perLanguage, o.seed);
    const mlBase = await loadAligner(o.multilingualGlueNet);
    const n = o.multilingualImagePairs;
    const mlCaptions = imageCaptions(images.attrs, 'multilingual', o.seed);
    const mlTuned = await finetune(`multilingual-images-${n}`, models.multilingual, o.multilingualGlueNet, n, mlCaptions, textInputs(ml.val));
    const mlControl = await finetune(`multilingual-captions-${n}`, models.multilingual, o.multilingualGlueNet, n, mlCaptions, textInputs(ml.val), false);
    const rows = await scoreRows(
      'Finetuning with image-text pairs: multilingual encoder',
      ml.test,
      [
        glueNetSource('GlueNet (multilingual), parallel pairs only', models.multilingual, mlBase),
        glueNetSource(`+ finetuned on ${n} image-caption pairs`, models.multilingual, mlTuned),
        glueNetSource(`control: the same ${n} captions, no images`, models.multilingual, mlControl),
      ],
      [`${ml.test.length} test prompts (the multilingual experiment's, zh fr es it ja de); captions of the images in those languages`],
    );
    comparisons.push(compare('finetuned-vs-gluenet/multilingual', rows[1]!, rows[0]!), compare('finetuned-vs-control/multilingual', rows[1]!, rows[2]!));
    await mlBase.release();
    await mlTuned.release();
    await mlControl.release();
  }
  return { sections, comparisons, choices, seconds: (Date.now() - start) / 1000 };
}
