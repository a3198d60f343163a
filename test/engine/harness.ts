/**
 * Shared checks for engine tests: ONNX-lowering parity against the float64 reference, and
 * finite-difference gradient checks of the autodiff rules.
 */
import assert from 'node:assert/strict';
import { gradients } from '../../src/engine/autodiff.js';
import { emitOnnx } from '../../src/engine/emit.js';
import { Graph, type Tensor } from '../../src/engine/ir.js';
import { serializeModel } from '../../src/engine/onnx/model.js';
import { evaluate, type NDArray, nd } from '../../src/engine/reference.js';
import { type HostTensor, Session } from '../../src/engine/runtime.js';
import { Rng } from '../../src/util/rng.js';

export interface OpCase {
  name: string;
  /** Input name -> concrete shape (float32 inputs get random values). */
  inputs: Record<string, number[]>;
  /** Symbolic shapes for inputs (default: the concrete shape). */
  symbolic?: Record<string, (number | string)[]>;
  /** int64 inputs: name -> [shape, values]. */
  intInputs?: Record<string, [number[], number[]]>;
  /** Custom value generator per float input. */
  values?: Record<string, (i: number, rng: Rng) => number>;
  build: (x: Record<string, Tensor>, g: Graph) => Tensor;
  /** Skip the FD check (non-differentiable ops). */
  noGrad?: boolean;
  /** Inputs excluded from the gradient check (e.g. where the function has kinks). */
  noGradFor?: string[];
  tol?: number;
}

export interface Built {
  graph: Graph;
  out: Tensor;
  xs: Record<string, Tensor>;
  feeds: Record<string, NDArray>;
}

export function build(c: OpCase, seed = 1): Built {
  const g = new Graph(true);
  const rng = new Rng(seed);
  const xs: Record<string, Tensor> = {};
  const feeds: Record<string, NDArray> = {};
  for (const [name, shape] of Object.entries(c.inputs)) {
    xs[name] = g.input(name, c.symbolic?.[name] ?? shape);
    const gen = c.values?.[name] ?? ((_i: number, r: Rng) => r.range(-1.5, 1.5));
    const arr = nd(shape);
    for (let i = 0; i < arr.data.length; i++) arr.data[i] = Math.fround(gen(i, rng));
    feeds[name] = arr;
  }
  for (const [name, [shape, values]] of Object.entries(c.intInputs ?? {})) {
    xs[name] = g.input(name, c.symbolic?.[name] ?? shape, 'int64');
    feeds[name] = nd(shape, values);
  }
  return { graph: g, out: c.build(xs, g), xs, feeds };
}

function toHost(name: string, a: NDArray, c: OpCase): HostTensor {
  if (c.intInputs && name in c.intInputs) return { data: BigInt64Array.from(a.data, (v) => BigInt(v)), dims: a.shape };
  return { data: Float32Array.from(a.data), dims: a.shape };
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const a = Number(actual[i]);
    const e = Number(expected[i]);
    const err = Math.abs(a - e) / Math.max(1, Math.abs(e));
    if (!(err <= tol)) assert.fail(`${what}: element ${i}: got ${a}, expected ${e} (tol ${tol})`);
  }
}

/** Random weights for a weighted-sum loss so every output element matters differently. */
function lossWeights(out: Tensor, concrete: number[], seed: number): NDArray {
  const rng = new Rng(seed + 99);
  const w = nd(concrete);
  for (let i = 0; i < w.data.length; i++) w.data[i] = Math.fround(rng.range(-1, 1));
  void out;
  return w;
}

/**
 * Runs forward (and, unless noGrad, the gradients of sum(out * W)) in onnxruntime and in the
 * reference evaluator, and checks the reference gradients by central finite differences.
 */
export async function checkOp(c: OpCase): Promise<void> {
  const b = build(c);
  const [refOut] = evaluate(b.graph, b.feeds, [b.out]);
  const outputs: Record<string, Tensor> = { out: b.out };
  const floatNames = Object.keys(c.inputs).filter((n) => !(c.noGradFor ?? []).includes(n));
  const feedsRef = { ...b.feeds };
  let gradTensors: (Tensor | null)[] = [];
  if (!c.noGrad) {
    const wIn = b.graph.input('loss_weight', b.out.shape);
    const w = lossWeights(b.out, refOut!.shape, 1);
    feedsRef.loss_weight = w;
    const axes = b.out.shape.map((_, i) => i);
    const loss = axes.length ? b.out.mul(wIn).sum(axes) : b.out.mul(wIn);
    gradTensors = gradients(
      loss,
      floatNames.map((n) => b.xs[n]!),
    );
    gradTensors.forEach((gt, i) => {
      if (gt) outputs[`grad_${floatNames[i]}`] = gt;
    });

    // Finite differences on the float64 reference.
    const refGrads = evaluate(
      b.graph,
      feedsRef,
      gradTensors.filter((t): t is Tensor => t !== null),
    );
    let k = 0;
    const lossOf = (f: Record<string, NDArray>): number => {
      const [o] = evaluate(b.graph, f, [b.out]);
      let s = 0;
      for (let i = 0; i < o!.data.length; i++) s += o!.data[i]! * w.data[i]!;
      return s;
    };
    for (let n = 0; n < floatNames.length; n++) {
      const name = floatNames[n]!;
      if (!gradTensors[n]) {
        assert.fail(`${c.name}: no gradient reached input '${name}'`);
      }
      const analytic = refGrads[k++]!;
      const x = b.feeds[name]!;
      const h = 1e-6;
      for (let i = 0; i < x.data.length; i++) {
        const plus = { ...b.feeds, [name]: { shape: x.shape, data: Float64Array.from(x.data) } };
        const minus = { ...b.feeds, [name]: { shape: x.shape, data: Float64Array.from(x.data) } };
        plus[name]!.data[i]! += h;
        minus[name]!.data[i]! -= h;
        const numeric = (lossOf(plus) - lossOf(minus)) / (2 * h);
        const a = analytic.data[i]!;
        const err = Math.abs(a - numeric) / Math.max(1, Math.abs(numeric));
        if (!(err < 1e-5)) assert.fail(`${c.name}: d/d${name}[${i}]: autodiff ${a}, finite difference ${numeric}`);
      }
    }
  }

  // onnxruntime parity for the forward and the gradient graph.
  const model = serializeModel(emitOnnx(b.graph, { outputs, weights: 'inputs' }));
  const session = await Session.create(model, { threads: 1 });
  const feeds: Record<string, HostTensor> = {};
  for (const info of session.inputs) feeds[info.name] = toHost(info.name, feedsRef[info.name]!, c);
  const result = await session.run(feeds);
  const names = Object.keys(outputs);
  const expected = evaluate(
    b.graph,
    feedsRef,
    names.map((n) => outputs[n]!),
  );
  names.forEach((n, i) => {
    const got = result[n]!;
    assert.deepEqual([...got.dims], expected[i]!.shape, `${c.name}: ${n} shape`);
    assertClose(got.data as Float32Array, expected[i]!.data, c.tol ?? 2e-5, `${c.name}: onnxruntime ${n}`);
  });
  await session.release();
}
