/**
 * The paper's finetuning with image-text pairs on the world: after GlueNet's parallel-pair training,
 * only its aligner is trained further with the frozen generator's own denoising loss on image-caption
 * pairs (image -> latent -> noise; condition = GlueNet of the new encoder's caption features). The
 * term is src/pipeline/denoiser-terms.ts `imageTextDenoising`, composed above GlueNet like the
 * image-free distillation. The pair distillation stays on, at the GlueNet's own weight, against the
 * native features of the same scene's English caption: an anchor, so that what the images teach is
 * added to what the pairs taught rather than replacing it (reconstruction and the adversary are off:
 * the shipped GlueNets keep only the aligner). The step kept is chosen by image accuracy on
 * validation prompts, the starting GlueNet included.
 */
import type { Encoder } from '../../encoders/types.js';
import { encodeAll } from '../../encoders/types.js';
import { loadGlueNet } from '../../gluenet/checkpoint.js';
import { parseConfig } from '../../gluenet/config.js';
import { FeatureSource } from '../../gluenet/data.js';
import { alignerFromWeights, type LoadedAligner } from '../../gluenet/load.js';
import { trainGlueNet } from '../../gluenet/train.js';
import { publishBest } from '../../gluenet/validation.js';
import { type DifferentiableDenoiser, imageTextDenoising } from '../../pipeline/denoiser-terms.js';
import type { ConditionSource } from './conditions.js';
import type { ExperimentModels, Scored } from './run.js';
import { type Sampling, scoreSource } from './score.js';

export interface ImageFinetuneOptions {
  /** The parallel-pairs GlueNet to start from (its config and aligner). */
  from: string;
  out: string;
  /** One caption per image in the new encoder's language, the same scene's English caption, and the standardised latent of each image. */
  captions: string[];
  english: string[];
  latents: Float32Array;
  steps: number;
  /** Pairs per step (every one goes through the U-Net). */
  rows: number;
  /**
   * Whether the images are used (default true). false is the control: the same captions, steps and
   * choice of step with the pair distillation alone, so a gain can be told apart from more pairs.
   */
  images?: boolean;
  lr: number;
  seed: number;
  /** Prompts the kept step is chosen on (image accuracy), checked `checks` times. */
  validation: Scored<string>;
  checks: number;
  sampling: Sampling;
  progress?: NodeJS.WritableStream | null;
}

export interface ImageFinetuneResult {
  kept: { step: number; valError: number | null };
  /** Validation accuracy (mean over attributes) per checked step, step 0 = the starting GlueNet. */
  curve: { step: number; accuracy: number }[];
}

export async function finetuneWithImages(
  models: Pick<ExperimentModels, 'generator' | 'evaluator'> & { denoiser: DifferentiableDenoiser; native: Encoder<'text'> },
  encoder: Encoder<'text'>,
  source: (name: string, a: LoadedAligner) => ConditionSource<string>,
  o: ImageFinetuneOptions,
): Promise<ImageFinetuneResult> {
  const [c, h, w] = models.denoiser.sampleShape;
  if (o.latents.length !== o.captions.length * c * h * w)
    throw new Error(`internal: ${o.captions.length} captions for ${o.latents.length / (c * h * w)} latents`);
  const start = await loadGlueNet(o.from);
  if (o.english.length !== o.captions.length) throw new Error(`internal: ${o.captions.length} captions, ${o.english.length} English captions`);
  const cfg = parseConfig({ ...start.config, loss_weights: { ...start.config.loss_weights, rec: 0, adv: 0 } });
  const x = await encodeAll(encoder, o.captions);
  const cond = await encodeAll(models.native, o.english);
  const curve: ImageFinetuneResult['curve'] = [];
  const accuracyOf = async (weights: ReadonlyMap<string, Float32Array>, step: number): Promise<number> => {
    const a = await alignerFromWeights(cfg, weights);
    try {
      const r = await scoreSource(source('validation', a), o.validation.inputs, o.validation.expected, models.generator, models.evaluator, o.sampling);
      curve.push({ step, accuracy: r.mean });
      return r.mean;
    } finally {
      await a.release();
    }
  };
  await accuracyOf(start.weights, 0);
  let checked = 0;
  const every = Math.max(1, Math.round(o.steps / o.checks));
  const r = await trainGlueNet({
    x: FeatureSource.fromArray('image captions (new encoder)', x.features, x.batch, x.tokens, x.dim),
    cond: FeatureSource.fromArray('image captions (native, English)', cond.features, cond.batch, cond.tokens, cond.dim),
    config: cfg,
    init: o.from,
    out: o.out,
    steps: o.steps,
    batchSize: Math.min(o.rows, o.captions.length),
    lr: o.lr,
    lrSchedule: 'cosine',
    seed: o.seed,
    checkpointEvery: o.steps,
    progress: o.progress === undefined ? process.stderr : o.progress,
    ...(o.images === false ? {} : { extraLoss: imageTextDenoising(models.denoiser, { latents: o.latents, weight: 1, seed: o.seed, rows: o.rows }) }),
    validation: { every, loss: async (w) => 1 - (await accuracyOf(w, Math.min(o.steps, ++checked * every))) },
  });
  // Step 0 competes too: when no finetuned step beats the starting GlueNet on validation, it is kept.
  const startAccuracy = curve[0]!.accuracy;
  if (!r.best || 1 - r.best.loss <= startAccuracy) {
    r.best = { step: 0, loss: 1 - startAccuracy, weights: new Map([...start.weights].filter(([k]) => k.startsWith('aligner.'))) };
  }
  return { kept: await publishBest(o.out, cfg, r), curve };
}
