/**
 * Training a GlueNet between a world encoder and the world generator's native text encoder from
 * parallel pairs — features only, never images, the generator untouched.
 */
import type { Encoder, EncoderInput, Modality } from '../../encoders/types.js';
import { encodeAll } from '../../encoders/types.js';
import { fitLinearMap, type LinearMap } from '../../gluenet/baselines.js';
import { type GlueNetConfig, type LossWeights, parseConfig } from '../../gluenet/config.js';
import { FeatureSource } from '../../gluenet/data.js';
import { perTokenNorm } from '../../gluenet/stats.js';
import { type StepRecord, trainGlueNet } from '../../gluenet/train.js';

export interface PairedFeatures {
  x: FeatureSource;
  cond: FeatureSource;
}

/** Encodes both sides of n pairs. */
export async function pairedFeatures<M extends Modality>(
  newEncoder: Encoder<M>,
  newInputs: EncoderInput<M>[],
  native: Encoder<'text'>,
  englishTexts: string[],
  name: string,
): Promise<PairedFeatures> {
  if (newInputs.length !== englishTexts.length) throw new Error(`internal: ${newInputs.length} new inputs for ${englishTexts.length} captions`);
  const x = await encodeAll(newEncoder, newInputs);
  const c = await encodeAll(native, englishTexts);
  return {
    x: FeatureSource.fromArray(`${name} (new)`, x.features, x.batch, x.tokens, x.dim),
    cond: FeatureSource.fromArray(`${name} (native)`, c.features, c.batch, c.tokens, c.dim),
  };
}

/** Mean per-token norm of a source, averaged over tokens. */
async function meanTokenNorm(src: FeatureSource): Promise<number> {
  const n = await perTokenNorm(src);
  return n.reduce((a, b) => a + b, 0) / n.length;
}

export interface WorldGlueOptions {
  steps: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  lossWeights?: Partial<LossWeights>;
  mult?: number;
  depth?: number;
  /** Progress stream (null: silent). */
  progress?: NodeJS.WritableStream | null;
}

/** A GlueNet config for these features: w_head arch (token counts differ), units from the data. */
export async function worldGlueConfig(f: PairedFeatures, o: WorldGlueOptions): Promise<GlueNetConfig> {
  const condNorm = await perTokenNorm(f.cond);
  return parseConfig({
    arch: 'translator_w_head',
    tokens_in: f.x.tokens,
    tokens_out: f.cond.tokens,
    dim_in: f.x.dim,
    dim_out: f.cond.dim,
    mult: o.mult ?? 2,
    depth: o.depth ?? 4,
    // The release divides XLM-R features by 3 to bring them near the scaled targets' magnitude
    // (per-token norm ~2); here the divisor is measured instead of guessed.
    x_scale: Number(((await meanTokenNorm(f.x)) / 2).toPrecision(4)),
    cond_norm: condNorm,
    loss_weights: { distill: 1e4, rec: 1e4, adv: 0.1, ...(o.lossWeights ?? {}) },
  });
}

export async function trainWorldGlueNet(f: PairedFeatures, out: string, o: WorldGlueOptions): Promise<{ config: GlueNetConfig; history: StepRecord[] }> {
  const config = await worldGlueConfig(f, o);
  const r = await trainGlueNet({
    x: f.x,
    cond: f.cond,
    config,
    out,
    steps: o.steps,
    batchSize: o.batchSize ?? 64,
    lr: o.lr ?? 1e-3,
    seed: o.seed ?? 0,
    checkpointEvery: o.steps,
    progress: o.progress === undefined ? process.stderr : o.progress,
  });
  return { config, history: r.history };
}

/** The linear baseline fitted on the same pairs (flattened features, ridge least squares). */
export async function fitWorldLinear(f: PairedFeatures): Promise<LinearMap> {
  const x = await f.x.allRows();
  const c = await f.cond.allRows();
  return fitLinearMap(x, c, f.x.rows, f.x.tokens * f.x.dim, f.cond.tokens * f.cond.dim, 1e-2);
}
