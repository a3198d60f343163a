/**
 * Toy pairs and a toy differentiable "denoiser" for the GlueNet loss terms composed through a
 * denoiser (test/gluenet/composed-loss.test.ts, image-text-term.test.ts).
 */
import { Graph, type Tensor } from '../../src/engine/ir.js';
import { FeatureSource } from '../../src/gluenet/data.js';
import { Linear } from '../../src/nn/layers.js';
import type { DifferentiableDenoiser } from '../../src/pipeline/denoiser-terms.js';
import { Rng } from '../../src/util/rng.js';

export const T = 4;
export const DN = 6;
export const DG = 8;
export const [C, H, W] = [2, 2, 2];

export function pairs(n: number, seed: number): { x: FeatureSource; cond: FeatureSource } {
  const rng = new Rng(seed);
  const m = rng.fillNormal(new Float32Array(DN * DG), 0.5);
  const x = rng.fillNormal(new Float32Array(n * T * DN));
  const c = new Float32Array(n * T * DG);
  for (let r = 0; r < n; r++)
    for (let t = 0; t < T; t++)
      for (let j = 0; j < DG; j++) {
        let s = 0;
        for (let i = 0; i < DN; i++) s += Math.tanh(x[(r * T + t) * DN + i]!) * m[i * DG + j]!;
        c[(r * T + t) * DG + j] = 3 * s;
      }
  return { x: FeatureSource.fromArray('x', x, n, T, DN), cond: FeatureSource.fromArray('cond', c, n, T, DG) };
}

/** A tiny "denoiser" whose prediction depends on the sample, the timestep and (nonlinearly) the condition. */
export function toyDenoiser(seed: number): DifferentiableDenoiser {
  const build = (sample: Tensor, timestep: Tensor, context: Tensor): Tensor => {
    const r = sample.shape[0] as number;
    const pooled = new Linear('den.ctx', DG, C * H * W).forward(context.mean([1])).tanh(); // [R, CHW]
    return sample
      .mul(0.5)
      .add(pooled.reshape([r, C, H, W]))
      .add(timestep.reshape([r, 1, 1, 1]).mul(1e-3));
  };
  const g = new Graph(false);
  build(g.input('s', [1, C, H, W]), g.input('t', [1]), g.input('c', [1, T, DG]));
  const rng = new Rng(seed);
  const weights = new Map([...g.params.values()].map((p) => [p.name, rng.fillNormal(new Float32Array(p.shape.reduce((a, b) => a * b, 1)), 0.5)]));
  const steps = 10;
  return {
    name: 'toy',
    build,
    weights,
    sampleShape: [C, H, W],
    sqrtAlphaBar: Float32Array.from({ length: steps }, (_, t) => Math.cos(((t + 0.5) / steps) * (Math.PI / 2))),
    sqrtOneMinusAlphaBar: Float32Array.from({ length: steps }, (_, t) => Math.sin(((t + 0.5) / steps) * (Math.PI / 2))),
    prediction: 'sample',
  };
}
