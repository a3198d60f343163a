/**
 * Image-free distillation through a frozen denoiser: a GlueNet loss term that runs the generator's
 * denoiser on random noisy latents at random timesteps, once under the aligned condition (student)
 * and once under the native condition of the paired caption (teacher), and penalises the
 * difference of the two predictions. No image is ever used: the latents are drawn from the prior.
 * Only GlueNet trains; the denoiser's parameters are frozen.
 *
 * It is composed here, above both GlueNet and the generators, because GlueNet must not know any
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
}

export interface DenoiserDistillationOptions {
  /** Weight of the term (its value is a mean squared difference of the two predictions). */
  weight: number;
  /** Seed of the latents and timesteps (step-indexed, so a resumed run draws the same ones). */
  seed: number;
  /** Pairs of each batch that go through the denoiser (its cost dominates a step); default 16. */
  rows?: number;
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
      // The first R pairs of the batch (cycled when the batch is smaller), and latents from the
      // prior noised to a random timestep: x_t = a x_0 + b eps with x_0, eps ~ N(0, I).
      const perX = shape.tokensIn * shape.dimIn;
      const perC = shape.tokensOut * shape.dimOut;
      const x = new Float32Array(R * perX);
      const cond = new Float32Array(R * perC);
      for (let r = 0; r < R; r++) {
        const k = r % batch.rows;
        x.set(batch.x.subarray(k * perX, (k + 1) * perX), r * perX);
        cond.set(batch.cond.subarray(k * perC, (k + 1) * perC), r * perC);
      }
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
