/**
 * GlueNet loss terms through a frozen denoiser. Only GlueNet trains; the denoiser's parameters are
 * frozen. Two terms share the composition (rows of the batch, a noisy sample at a random timestep,
 * the denoiser under the aligned condition):
 *
 * - `denoiserDistillation` (image-free): latents drawn from the prior, the denoiser run once under
 *   the aligned condition (student) and once under the native condition of the paired caption
 *   (teacher); the term is the difference of the two predictions. No image is ever used.
 * - `imageTextDenoising` (the paper's finetuning with image-text pairs): each pair's caption comes
 *   with an image, whose latent is noised; the term is the generator's own training loss (the
 *   prediction against the clean latent or the noise) under the aligned condition.
 *
 * They are composed here, above both GlueNet and the generators, because GlueNet must not know any
 * generator. Any denoiser whose graph our engine can build plugs in (the world U-Net today; an SD
 * U-Net imported as a graph could follow) through `DifferentiableDenoiser`.
 */
import type { Graph, Tensor } from '../engine/ir.js';
import type { ExtraLossTerm } from '../gluenet/losses.js';
import { Rng } from '../util/rng.js';

export interface DifferentiableDenoiser {
  /** Identifies the model in a training run's identity (a resume with another denoiser is refused). */
  name: string;
  /** Builds prediction = denoiser(sample [B, C, H, W], timestep [B], context [B, Tg, Dg]), declaring its parameters in the graph. */
  build(sample: Tensor, timestep: Tensor, context: Tensor): Tensor;
  /** Values of every parameter `build` declares. */
  weights: ReadonlyMap<string, Float32Array>;
  /** [C, H, W] of a sample. */
  sampleShape: [number, number, number];
  /** Forward-process coefficients per training timestep: x_t = a[t] x_0 + b[t] noise. */
  sqrtAlphaBar: Float32Array;
  sqrtOneMinusAlphaBar: Float32Array;
  /** What the denoiser predicts: the clean sample (x0) or the noise (epsilon). */
  prediction: 'sample' | 'epsilon';
  /** Per-timestep weights of the generator's training loss (absent: 1). */
  lossWeight?: Float32Array;
}

export interface DenoiserDistillationOptions {
  /** Weight of the term (its value is a mean squared difference of the two predictions). */
  weight: number;
  /** Seed of the latents and timesteps (step-indexed, so a resumed run draws the same ones). */
  seed: number;
  /** Pairs of each batch that go through the denoiser (its cost dominates a step); default 16. */
  rows?: number;
}

/** The first `rows` pairs of a batch (cycled when the batch is smaller): which batch row each is. */
function batchRows(rows: number, batchRowCount: number): number[] {
  return Array.from({ length: rows }, (_, r) => r % batchRowCount);
}

/** Copies the chosen rows of a [rows, per] array. */
function gather(data: Float32Array, per: number, picks: number[]): Float32Array {
  const out = new Float32Array(picks.length * per);
  picks.forEach((k, r) => out.set(data.subarray(k * per, (k + 1) * per), r * per));
  return out;
}

/** A timestep per row and x_t = a[t] x0 + b[t] eps for given clean samples, drawn as a pure function of (seed, step). */
function noised(d: DifferentiableDenoiser, x0: Float32Array, rows: number, seed: number, step: number) {
  const per = x0.length / rows;
  const rng = new Rng(seed * 1_000_003 + step);
  const noise = rng.fillNormal(new Float32Array(x0.length));
  const sample = new Float32Array(x0.length);
  const timestep = new Float32Array(rows);
  const weight = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const t = rng.int(d.sqrtAlphaBar.length);
    timestep[r] = t;
    weight[r] = d.lossWeight?.[t] ?? 1;
    const a = d.sqrtAlphaBar[t]!;
    const b = d.sqrtOneMinusAlphaBar[t]!;
    for (let i = r * per; i < (r + 1) * per; i++) sample[i] = a * x0[i]! + b * noise[i]!;
  }
  return { noise, sample, timestep, weight };
}

const X = 'distill_x';
const COND = 'distill_cond';
const SAMPLE = 'distill_sample';
const TIMESTEP = 'distill_timestep';

export function denoiserDistillation(d: DifferentiableDenoiser, o: DenoiserDistillationOptions): ExtraLossTerm {
  const [c, h, w] = d.sampleShape;
  const T = d.sqrtAlphaBar.length;
  const R = o.rows ?? 16;
  let shape = { tokensIn: 0, dimIn: 0, tokensOut: 0, dimOut: 0 };
  return {
    name: 'denoise',
    identity: { denoiser: d.name, weight: o.weight, seed: o.seed, rows: R },
    frozen: d.weights,
    build(g: Graph, align, s): Tensor {
      shape = s;
      const x = g.input(X, [R, s.tokensIn, s.dimIn]);
      const native = g.input(COND, [R, s.tokensOut, s.dimOut]);
      const sample = g.input(SAMPLE, [R, c, h, w]);
      const timestep = g.input(TIMESTEP, [R]);
      const student = d.build(sample, timestep, align(x));
      const teacher = d.build(sample, timestep, native).stopGradient();
      const diff = student.sub(teacher);
      return diff.mul(diff).mean([0, 1, 2, 3]).mul(o.weight);
    },
    inputs(step, batch) {
      // Latents from the prior noised to a random timestep: x_t = a x_0 + b eps with x_0, eps ~ N(0, I)
      // (x_0 and eps interleaved per element: the draws of the committed runs).
      const picks = batchRows(R, batch.rows);
      const x = gather(batch.x, shape.tokensIn * shape.dimIn, picks);
      const cond = gather(batch.cond, shape.tokensOut * shape.dimOut, picks);
      const rng = new Rng(o.seed * 1_000_003 + step);
      const per = c * h * w;
      const sample = new Float32Array(R * per);
      const timestep = new Float32Array(R);
      for (let r = 0; r < R; r++) {
        const t = rng.int(T);
        timestep[r] = t;
        const a = d.sqrtAlphaBar[t]!;
        const b = d.sqrtOneMinusAlphaBar[t]!;
        for (let i = 0; i < per; i++) sample[r * per + i] = a * rng.normal() + b * rng.normal();
      }
      return {
        [X]: { data: x, dims: [R, shape.tokensIn, shape.dimIn] },
        [COND]: { data: cond, dims: [R, shape.tokensOut, shape.dimOut] },
        [SAMPLE]: { data: sample, dims: [R, c, h, w] },
        [TIMESTEP]: { data: timestep, dims: [R] },
      };
    },
  };
}

export interface ImageTextDenoisingOptions {
  /** [N, C, H, W]: the clean latent of training pair i's image, in the denoiser's units, row i. */
  latents: Float32Array;
  /** Weight of the term (the generator's weighted training loss). */
  weight: number;
  /** Seed of the noise and timesteps (step-indexed, so a resumed run draws the same ones). */
  seed: number;
  /** Pairs of each batch that go through the denoiser; default 16. */
  rows?: number;
}

const IT_X = 'images_x';
const IT_SAMPLE = 'images_sample';
const IT_TIMESTEP = 'images_timestep';
const IT_TARGET = 'images_target';
const IT_WEIGHT = 'images_weight';

/**
 * The generator's denoising loss on image-caption pairs, with the condition = GlueNet of the new
 * encoder's caption features: mean over rows of w[t] * mean((denoiser(x_t, t, align(x)) - target)^2),
 * target = the clean latent or the noise as the denoiser predicts. Row i of the GlueNet's training
 * features must be the caption of the image whose latent is `latents` row i.
 */
export function imageTextDenoising(d: DifferentiableDenoiser, o: ImageTextDenoisingOptions): ExtraLossTerm {
  const [c, h, w] = d.sampleShape;
  const per = c * h * w;
  const R = o.rows ?? 16;
  if (!(Number.isInteger(R) && R > 0)) throw new Error(`image-text denoising: rows must be a positive integer, got ${R}`);
  if (!(o.latents.length > 0 && o.latents.length % per === 0))
    throw new Error(`image-text denoising: latents hold ${o.latents.length} floats, not a whole number of [${c}, ${h}, ${w}] latents`);
  const n = o.latents.length / per;
  let checksum = 0;
  for (let i = 0; i < o.latents.length; i += 97) checksum += o.latents[i]!;
  let shape = { tokensIn: 0, dimIn: 0, tokensOut: 0, dimOut: 0 };
  return {
    name: 'denoise_images',
    identity: { denoiser: d.name, weight: o.weight, seed: o.seed, rows: R, images: n, checksum: Number(checksum.toFixed(4)) },
    frozen: d.weights,
    build(g: Graph, align, s): Tensor {
      shape = s;
      const x = g.input(IT_X, [R, s.tokensIn, s.dimIn]);
      const sample = g.input(IT_SAMPLE, [R, c, h, w]);
      const timestep = g.input(IT_TIMESTEP, [R]);
      const target = g.input(IT_TARGET, [R, c, h, w]);
      const weight = g.input(IT_WEIGHT, [R]);
      const diff = d.build(sample, timestep, align(x)).sub(target);
      return diff.mul(diff).mean([1, 2, 3]).mul(weight).mean([0]).mul(o.weight);
    },
    inputs(step, batch) {
      const picks = batchRows(R, batch.rows);
      const rowsOfSet = picks.map((k) => batch.indices[k]!);
      for (const i of rowsOfSet) {
        if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new Error(`image-text denoising: training row ${i} has no image (${n} latents given)`);
      }
      const x0 = gather(o.latents, per, rowsOfSet);
      const { noise, sample, timestep, weight } = noised(d, x0, R, o.seed, step);
      return {
        [IT_X]: { data: gather(batch.x, shape.tokensIn * shape.dimIn, picks), dims: [R, shape.tokensIn, shape.dimIn] },
        [IT_SAMPLE]: { data: sample, dims: [R, c, h, w] },
        [IT_TIMESTEP]: { data: timestep, dims: [R] },
        [IT_TARGET]: { data: d.prediction === 'sample' ? x0 : noise, dims: [R, c, h, w] },
        [IT_WEIGHT]: { data: weight, dims: [R] },
      };
    },
  };
}
