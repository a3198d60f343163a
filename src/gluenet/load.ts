/**
 * Loading a GlueNet for inference: the adapter the pipeline and CLI use
 * (features of the new encoder -> condition tensors for the generator).
 */
import type { Device } from '../engine/runtime.js';
import { loadGlueNet } from './checkpoint.js';
import type { GlueNetConfig } from './config.js';
import { Aligner } from './inference.js';

export interface LoadedAligner {
  config: GlueNetConfig;
  /** [B, Tn, Dn] flat -> [B, Tg, Dg] flat. */
  align(features: Float32Array, batch: number): Promise<Float32Array>;
  release(): Promise<void>;
}

export async function loadAligner(dir: string, opts: { device?: Device } = {}): Promise<LoadedAligner> {
  const g = await loadGlueNet(dir);
  return alignerFromWeights(g.config, g.weights, opts);
}

/** An aligner over weights in memory (a run's step being validated, weights rounded for a check). */
export async function alignerFromWeights(
  config: GlueNetConfig,
  weights: ReadonlyMap<string, Float32Array>,
  opts: { device?: Device } = {},
): Promise<LoadedAligner> {
  const aligner = await Aligner.create(config, weights, opts);
  return { config, align: (f, b) => aligner.align(f, b), release: () => aligner.release() };
}
