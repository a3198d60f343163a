/**
 * Parameter initialisation, seeded. The distributions are PyTorch's defaults (expressed as Init
 * records by the layers); values come from our own RNG, so they match PyTorch in distribution, not bits.
 */

import { Rng } from '../util/rng.js';
import type { Graph, Init } from './ir.js';

/** PyTorch's default for Linear/Conv weights and biases: kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
export function fanInUniform(fanIn: number): Init {
  return { kind: 'uniform', bound: 1 / Math.sqrt(fanIn) };
}

export function fill(init: Init, n: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  switch (init.kind) {
    case 'const':
      return out.fill(init.value);
    case 'uniform':
      return rng.fillUniform(out, -init.bound, init.bound);
    case 'normal':
      return rng.fillNormal(out, init.std);
  }
}

/** Fresh values for every param and buffer of a graph, in declaration order (so a seed reproduces them). */
export function initWeights(graph: Graph, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const out = new Map<string, Float32Array>();
  for (const p of [...graph.params.values(), ...graph.buffers.values()]) {
    out.set(
      p.name,
      fill(
        p.init,
        p.shape.reduce((a, b) => a * b, 1),
        rng,
      ),
    );
  }
  return out;
}
