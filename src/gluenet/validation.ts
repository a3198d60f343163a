/**
 * Early stopping for GlueNet training: the aligner's error on held-out pairs, measured during the
 * run (TrainOptions.validation), and publishing the best step's aligner as the run's output.
 */
import { saveGlueNet } from './checkpoint.js';
import type { GlueNetConfig } from './config.js';
import type { FeatureSource } from './data.js';
import { Aligner } from './inference.js';
import { meanSquaredError } from './metrics.js';
import type { TrainOptions, TrainResult } from './train.js';

/** Mean squared error of the aligner's output against the generator's features, in the generator's units. */
export async function alignmentError(cfg: GlueNetConfig, weights: ReadonlyMap<string, Float32Array>, x: FeatureSource, cond: FeatureSource): Promise<number> {
  const aligner = await Aligner.create(cfg, weights);
  try {
    return meanSquaredError(await aligner.alignAll(await x.allRows(), x.rows), await cond.allRows());
  } finally {
    await aligner.release();
  }
}

/** TrainOptions.validation on held-out pairs, checked `checks` times over `steps`. */
export function validationOn(cfg: GlueNetConfig, x: FeatureSource, cond: FeatureSource, steps: number, checks = 5): NonNullable<TrainOptions['validation']> {
  return { every: Math.max(1, Math.round(steps / checks)), loss: (w) => alignmentError(cfg, w, x, cond) };
}

/**
 * Makes the best validated step the run's published GlueNet (its aligner: what inference loads).
 * The checkpoint sets and the metrics log stay complete, so `--resume` still continues the run.
 */
export async function publishBest(out: string, cfg: GlueNetConfig, r: TrainResult): Promise<{ step: number; valError: number | null }> {
  if (!r.best) return { step: r.steps, valError: null };
  if (r.best.step !== r.steps) {
    await saveGlueNet(out, cfg, r.best.weights, { note: `aligner of step ${r.best.step} (lowest validation error); trained ${r.steps} steps` });
  }
  return { step: r.best.step, valError: r.best.loss };
}
