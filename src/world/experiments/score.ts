/**
 * Scoring one way of conditioning the frozen world generator: generate for held-out inputs with fixed
 * seeds, read the images back with the world evaluator, and report per-attribute accuracy on the
 * attributes each input names (the CLIP-score analogue) and the Fréchet distance to real images.
 */
import type { Generator } from '../../generators/types.js';
import { X2ImagePipeline } from '../../pipeline/x2image.js';
import { ATTRIBUTE_NAMES, type AttributeName, type Attributes, type NamedAttributes } from '../data/attributes.js';
import { bytesToPixels, IMAGE_SIDE } from '../models/data.js';
import { countAttributes, type WorldEvaluator } from '../models/evaluator-session.js';
import { frechetDistance } from '../models/frechet.js';
import { bootstrapInterval, type Interval, type ItemOutcome } from './bootstrap.js';
import type { ConditionSource } from './conditions.js';

export interface Expected {
  attrs: Attributes;
  named: Partial<NamedAttributes>;
}

export interface Sampling {
  steps: number;
  guidance: number;
  scheduler: string;
  seed: number;
  /** Images per generate() call. */
  batch: number;
}

export interface RowScore {
  name: string;
  n: number;
  /** Accuracy per attribute over the inputs that name it (null when none does). */
  accuracy: Partial<Record<AttributeName, number>>;
  /** Mean of the per-attribute accuracies reported. */
  mean: number;
  /** Percentile-bootstrap 95% interval of `mean` over the inputs. */
  interval: Interval;
  /** What each input's image showed, for paired comparisons between rows on the same inputs. */
  items: ItemOutcome[];
  fd: number | null;
  seconds: number;
  /** The generated images (RGB bytes), for grids. */
  images: Uint8Array[];
}

export interface RealFeatures {
  features: Float32Array;
  n: number;
  dim: number;
}

/** Accuracy of predicted attributes against the named ones. */
export function attributeAccuracy(predicted: Record<AttributeName, number>[], expected: Expected[]): Partial<Record<AttributeName, number>> {
  const counts = countAttributes(predicted, expected);
  return Object.fromEntries(ATTRIBUTE_NAMES.filter((n) => counts[n].total > 0).map((n) => [n, counts[n].correct / counts[n].total]));
}

export function meanAccuracy(acc: Partial<Record<AttributeName, number>>): number {
  const v = Object.values(acc);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
}

/** Images scored directly (no generation): for the label-retrieval baseline. */
export async function scoreImages(name: string, images: Uint8Array[], expected: Expected[], evaluator: WorldEvaluator, real?: RealFeatures): Promise<RowScore> {
  const start = Date.now();
  const per = 3 * IMAGE_SIDE * IMAGE_SIDE;
  const pixels = new Float32Array(images.length * per);
  images.forEach((im, i) => bytesToPixels(im, pixels, i * per));
  const cls = await evaluator.classify(pixels, images.length);
  const accuracy = attributeAccuracy(cls.attributes, expected);
  const items = itemOutcomes(cls.attributes, expected);
  const fd = real && images.length >= 4 ? frechetDistance(cls.features, images.length, real.features, real.n, real.dim) : null;
  return {
    name,
    n: images.length,
    accuracy,
    mean: meanAccuracy(accuracy),
    interval: bootstrapInterval(items),
    items,
    fd,
    seconds: (Date.now() - start) / 1000,
    images,
  };
}

/** Per input, 1 or 0 for each attribute it names. */
export function itemOutcomes(predicted: Record<AttributeName, number>[], expected: Expected[]): ItemOutcome[] {
  return expected.map(
    (e, i) => Object.fromEntries(ATTRIBUTE_NAMES.filter((a) => e.named[a]).map((a) => [a, predicted[i]![a] === e.attrs[a] ? 1 : 0])) as ItemOutcome,
  );
}

/** Images for `inputs` through one condition source, same seed for every source (fair comparisons). */
export async function generateWith<I>(source: ConditionSource<I>, inputs: I[], generator: Generator, sampling: Sampling): Promise<Uint8Array[]> {
  // The same seed for every row: differences between rows come from the conditions alone.
  const pipeline = new X2ImagePipeline({ generator, source });
  const r = await pipeline.run({
    inputs,
    steps: sampling.steps,
    guidance: sampling.guidance,
    scheduler: sampling.scheduler,
    seed: sampling.seed,
    chunk: sampling.batch,
    png: false,
  });
  return r.images.images;
}

export async function scoreSource<I>(
  source: ConditionSource<I>,
  inputs: I[],
  expected: Expected[],
  generator: Generator,
  evaluator: WorldEvaluator,
  sampling: Sampling,
  real?: RealFeatures,
): Promise<RowScore> {
  const start = Date.now();
  const images = await generateWith(source, inputs, generator, sampling);
  const row = await scoreImages(source.name, images, expected, evaluator, real);
  return { ...row, seconds: (Date.now() - start) / 1000 };
}
