/**
 * Scores a generator on world prompts with the world evaluator: for every attribute a prompt names,
 * whether the evaluator reads that value in the generated image (the world's CLIP-score analogue),
 * and the Fréchet distance between evaluator features of generated and real images (its FID).
 */
import type { Encoder } from '../encoders/types.js';
import type { Generator } from '../generators/types.js';
import { ATTRIBUTE_NAMES, type AttributeName, type Attributes, type NamedAttributes } from './data/attributes.js';
import { nativeSource } from './experiments/conditions.js';
import { generateWith } from './experiments/score.js';
import { bytesToPixels, IMAGE_SIDE } from './models/data.js';
import { countAttributes, type WorldEvaluator } from './models/evaluator-session.js';
import { frechetDistance } from './models/frechet.js';

export interface Prompt {
  text: string;
  named: NamedAttributes;
  /** The attributes the prompt was written from (only the named ones are scored). */
  attrs: Attributes;
}

export interface SamplingOptions {
  steps: number; // 25
  guidance: number; // 3
  scheduler: string; // 'ddim'
  seed: number;
  batch: number; // prompts per generate() call
}

export interface AttributeScore {
  correct: number;
  total: number;
  accuracy: number;
}

export interface GenerationEval {
  prompts: number;
  accuracy: Record<AttributeName, AttributeScore>;
  /** Fréchet distance to the real images' features; null when no real images were given. */
  fd: number | null;
  /**
   * FD of as many held-out real images against the same reference: the floor that the finite
   * sample alone gives (FD is biased upwards when there are few images per feature).
   */
  fdRealFloor: number | null;
  images: Uint8Array[];
  seconds: number;
}

export const DEFAULT_SAMPLING: Omit<SamplingOptions, 'seed'> = { steps: 25, guidance: 3, scheduler: 'ddim', batch: 50 };

export async function evaluateGeneration(
  generator: Generator,
  encoder: Encoder<'text'>,
  evaluator: WorldEvaluator,
  prompts: Prompt[],
  sampling: SamplingOptions,
  /** Real images for the FD: at least twice as many as prompts (more is better: ~1000). */
  realPixels?: { pixels: Float32Array; n: number },
): Promise<GenerationEval> {
  const start = Date.now();
  const images = await generateWith(
    nativeSource(encoder),
    prompts.map((p) => p.text),
    generator,
    sampling,
  );
  const per = 3 * IMAGE_SIDE * IMAGE_SIDE;
  const pixels = new Float32Array(images.length * per);
  images.forEach((img, i) => bytesToPixels(img, pixels, i * per));
  const cls = await evaluator.classify(pixels, images.length);
  const counts = countAttributes(cls.attributes, prompts);
  const accuracy = Object.fromEntries(
    ATTRIBUTE_NAMES.map((n) => [n, { ...counts[n], accuracy: counts[n].total ? counts[n].correct / counts[n].total : NaN }]),
  ) as Record<AttributeName, AttributeScore>;
  let fd: number | null = null;
  let fdRealFloor: number | null = null;
  const m = images.length;
  if (realPixels && realPixels.n >= 2 * m && m >= 2) {
    // Real images [0, m) are the floor set; [m, n) the reference both sets are compared with.
    const real = await evaluator.classify(realPixels.pixels, realPixels.n);
    const d = real.featureDim;
    const reference = real.features.subarray(m * d);
    fd = frechetDistance(cls.features, m, reference, realPixels.n - m, d);
    fdRealFloor = frechetDistance(real.features.subarray(0, m * d), m, reference, realPixels.n - m, d);
  }
  return { prompts: prompts.length, accuracy, fd, fdRealFloor, images, seconds: (Date.now() - start) / 1000 };
}
