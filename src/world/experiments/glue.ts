/**
 * Training a GlueNet between a world encoder and the world generator's native text encoder from
 * parallel pairs — features only, never images, the generator untouched.
 *
 * The world recipe departs from the release's constants where those assume CLIP-L's scales, each
 * derived from the data instead (see docs/world-eval/README.md for the measurements):
 * - the head ends without GELU (`final_gelu: false`): the world's native features come from a
 *   LayerNorm and 17% of their values lie below the GELU floor;
 * - loss weights are 1 / variance of each term's target, so distillation and reconstruction both
 *   start at ~1 whatever the encoders' scales (the release's 1e4 / 1e4 gave reconstruction 30x the
 *   weight of alignment for sound); the adversarial weight keeps the release's ratio to distillation;
 * - cosine learning-rate decay and early stopping on validation pairs (the weights of the step with
 *   the lowest validation loss are kept).
 */
import type { Encoder, EncoderInput, Modality } from '../../encoders/types.js';
import { encodeAll } from '../../encoders/types.js';
import { fitLinearMaps, type LinearMap } from '../../gluenet/baselines.js';
import { type GlueNetArch, type GlueNetConfig, type LossWeights, parseConfig } from '../../gluenet/config.js';
import { FeatureSource } from '../../gluenet/data.js';
import type { ExtraLossTerm } from '../../gluenet/losses.js';
import { meanSquaredError } from '../../gluenet/metrics.js';
import { suggestedScales } from '../../gluenet/stats.js';
import { type StepRecord, trainGlueNet } from '../../gluenet/train.js';
import { publishBest, validationOn } from '../../gluenet/validation.js';

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

export interface WorldGlueOptions {
  steps: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  /** Replace the derived loss weights (ablations: { rec: 0 }, { adv: 0 }). */
  lossWeights?: Partial<LossWeights>;
  arch?: GlueNetArch;
  mult?: number;
  depth?: number;
  /** The release's GELU-ended head (the "output floor" ablation). */
  finalGelu?: boolean;
  /** Held-out pairs for early stopping (lowest mean squared error in the generator's units). */
  validation?: PairedFeatures;
  extraLoss?: ExtraLossTerm;
  /** Progress stream (null: silent). */
  progress?: NodeJS.WritableStream | null;
}

/** A GlueNet config for these features: units, scales and loss weights measured on the data. */
export async function worldGlueConfig(f: PairedFeatures, o: Omit<WorldGlueOptions, 'steps'>): Promise<GlueNetConfig> {
  const s = await suggestedScales(f.x, f.cond);
  return parseConfig({
    arch: o.arch ?? 'translator_w_head',
    tokens_in: f.x.tokens,
    tokens_out: f.cond.tokens,
    dim_in: f.x.dim,
    dim_out: f.cond.dim,
    mult: o.mult ?? 2,
    depth: o.depth ?? 4,
    x_scale: s.x_scale,
    cond_norm: s.cond_norm,
    loss_weights: { ...s.loss_weights, ...(o.lossWeights ?? {}) },
    final_gelu: o.finalGelu ?? false,
  });
}

export interface TrainedWorldGlueNet {
  config: GlueNetConfig;
  history: StepRecord[];
  /** The step whose weights were kept, and its validation error (with `validation`). */
  kept: { step: number; valError: number | null };
}

export async function trainWorldGlueNet(f: PairedFeatures, out: string, o: WorldGlueOptions): Promise<TrainedWorldGlueNet> {
  const config = await worldGlueConfig(f, o);
  const val = o.validation;
  const r = await trainGlueNet({
    x: f.x,
    cond: f.cond,
    config,
    out,
    steps: o.steps,
    batchSize: Math.min(o.batchSize ?? 64, f.x.rows),
    lr: o.lr ?? 1e-3,
    lrSchedule: 'cosine',
    seed: o.seed ?? 0,
    checkpointEvery: o.steps,
    progress: o.progress === undefined ? process.stderr : o.progress,
    ...(o.extraLoss ? { extraLoss: o.extraLoss } : {}),
    ...(val ? { validation: validationOn(config, val.x, val.cond, o.steps) } : {}),
  });
  return { config, history: r.history, kept: await publishBest(out, config, r) };
}

/** A ridge map per strength of the grid (one Gram), each with its error on the validation pairs. */
export async function fitWorldLinearGrid(
  f: PairedFeatures,
  val: PairedFeatures,
  grid: number[],
): Promise<{ map: LinearMap; ridge: number; valError: number }[]> {
  const vx = await val.x.allRows();
  const vc = await val.cond.allRows();
  const maps = await fitLinearMaps(await f.x.allRows(), await f.cond.allRows(), f.x.rows, f.x.tokens * f.x.dim, f.cond.tokens * f.cond.dim, grid);
  return grid.map((ridge, i) => ({ map: maps[i]!, ridge, valError: meanSquaredError(maps[i]!.apply(vx, val.x.rows), vc) }));
}

/** The ridge strength with the lowest validation error, from a grid (the baseline gets the same care). */
export async function fitWorldLinearValidated(
  f: PairedFeatures,
  val: PairedFeatures,
  grid: number[],
): Promise<{ map: LinearMap; ridge: number; valError: number }> {
  const fits = await fitWorldLinearGrid(f, val, grid);
  return fits.reduce((best, x) => (x.valError < best.valError ? x : best));
}
