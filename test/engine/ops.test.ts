import { test } from 'node:test';
import { concat, conv, crossEntropy, embedding, gelu, groupNorm, layerNorm, upsampleNearest2d, where } from '../../src/engine/functional.js';
import { checkOp, type OpCase } from './harness.js';

const awayFromZero = (_i: number, r: { range(a: number, b: number): number }): number => {
  const v = r.range(0.2, 1.5);
  return r.range(0, 1) < 0.5 ? -v : v;
};
const positive = (_i: number, r: { range(a: number, b: number): number }): number => r.range(0.3, 2);

const cases: OpCase[] = [
  { name: 'Add broadcast', inputs: { a: [2, 3, 4], b: [3, 1] }, build: (x) => x.a!.add(x.b!) },
  { name: 'Sub broadcast', inputs: { a: [4], b: [2, 3, 4] }, build: (x) => x.a!.sub(x.b!) },
  { name: 'Mul broadcast + reuse', inputs: { a: [2, 3], b: [1, 3] }, build: (x) => x.a!.mul(x.b!).mul(x.a!) },
  { name: 'Div', inputs: { a: [2, 3], b: [2, 1] }, values: { b: awayFromZero }, build: (x) => x.a!.div(x.b!) },
  { name: 'Pow', inputs: { a: [5], b: [5] }, values: { a: positive }, build: (x) => x.a!.pow(x.b!) },
  { name: 'Pow const exponent', inputs: { a: [5] }, values: { a: positive }, build: (x) => x.a!.pow(3) },
  { name: 'Neg', inputs: { a: [3, 2] }, build: (x) => x.a!.neg() },
  { name: 'Exp', inputs: { a: [3, 2] }, build: (x) => x.a!.exp() },
  { name: 'Log', inputs: { a: [6] }, values: { a: positive }, build: (x) => x.a!.log() },
  { name: 'Sqrt', inputs: { a: [6] }, values: { a: positive }, build: (x) => x.a!.sqrt() },
  { name: 'Tanh', inputs: { a: [6] }, build: (x) => x.a!.tanh() },
  { name: 'Erf', inputs: { a: [7] }, build: (x) => x.a!.erf() },
  { name: 'Sigmoid', inputs: { a: [7] }, build: (x) => x.a!.sigmoid() },
  { name: 'Relu', inputs: { a: [8] }, values: { a: awayFromZero }, build: (x) => x.a!.relu() },
  { name: 'Abs', inputs: { a: [8] }, values: { a: awayFromZero }, build: (x) => x.a!.abs() },
  { name: 'Sin/Cos', inputs: { a: [5] }, build: (x) => x.a!.sin().add(x.a!.mul(2).cos()) },
  { name: 'Gelu (exact)', inputs: { a: [9] }, build: (x) => gelu(x.a!) },
  { name: 'MatMul 2D', inputs: { a: [3, 4], b: [4, 5] }, build: (x) => x.a!.matmul(x.b!) },
  { name: 'MatMul batched x 2D', inputs: { a: [2, 3, 4], b: [4, 2] }, build: (x) => x.a!.matmul(x.b!) },
  { name: 'MatMul batched broadcast', inputs: { a: [2, 1, 3, 4], b: [3, 4, 2] }, build: (x) => x.a!.matmul(x.b!) },
  { name: 'MatMul symbolic batch', inputs: { a: [3, 2, 4], b: [5, 4] }, symbolic: { a: ['batch', 2, 4] }, build: (x) => x.a!.matmul(x.b!.T) },
  { name: 'ReduceSum', inputs: { a: [2, 3, 4] }, build: (x) => x.a!.sum([0, 2]) },
  { name: 'ReduceMean keepdims', inputs: { a: [2, 3, 4] }, build: (x) => x.a!.mean([1], true) },
  { name: 'ReduceMean over symbolic batch', inputs: { a: [3, 4] }, symbolic: { a: ['batch', 4] }, build: (x) => x.a!.mean([0]) },
  { name: 'ReduceMax', inputs: { a: [3, 4] }, build: (x) => x.a!.max([1]) },
  { name: 'Reshape', inputs: { a: [2, 3, 4] }, build: (x) => x.a!.reshape([6, -1]).mul(x.a!.reshape([6, 4])) },
  { name: 'Reshape symbolic', inputs: { a: [3, 2, 4] }, symbolic: { a: ['batch', 2, 4] }, build: (x) => x.a!.reshape([-1, 4]).reshape(['batch', 8]) },
  { name: 'Transpose', inputs: { a: [2, 3, 4] }, build: (x) => x.a!.transpose([2, 0, 1]) },
  { name: 'Expand', inputs: { a: [3, 1] }, build: (x) => x.a!.expand([2, 3, 4]) },
  { name: 'Expand symbolic', inputs: { a: [3, 1], b: [2, 3, 4] }, symbolic: { b: ['batch', 3, 4] }, build: (x) => x.a!.expand(['batch', 3, 4]).mul(x.b!) },
  { name: 'Slice', inputs: { a: [3, 5] }, build: (x) => x.a!.slice(1, 1, 4) },
  { name: 'Pad', inputs: { a: [3, 2] }, build: (x) => x.a!.pad(0, 1, 2) },
  { name: 'Concat', inputs: { a: [2, 3], b: [2, 1] }, build: (x) => concat([x.a!, x.b!, x.a!], 1) },
  { name: 'Where', inputs: { c: [4], a: [4], b: [1] }, noGradFor: ['c'], build: (x) => where(x.c!.greater(0), x.a!, x.b!) },
  {
    name: 'Gather (embedding) with repeats',
    inputs: { table: [5, 3] },
    intInputs: {
      ids: [
        [2, 3],
        [0, 4, 4, 1, 0, 0],
      ],
    },
    build: (x) => embedding(x.table!, x.ids!),
  },
  { name: 'Softmax', inputs: { a: [2, 5] }, build: (x) => x.a!.softmax(-1) },
  { name: 'LogSoftmax', inputs: { a: [2, 5] }, build: (x) => x.a!.logSoftmax(1) },
  { name: 'Cross entropy', inputs: { a: [3, 4], t: [3, 4] }, noGradFor: ['t'], build: (x) => crossEntropy(x.a!, x.t!.softmax(-1)) },
  { name: 'GradReverse forward', inputs: { a: [4] }, build: (x) => x.a!.gradReverse(0.1).mul(0).add(x.a!) },
  { name: 'LayerNorm (primitive)', inputs: { a: [2, 3, 6], w: [6], b: [6] }, build: (x) => layerNorm(x.a!, x.w!, x.b!) },
  { name: 'LayerNorm (composite, no affine)', inputs: { a: [2, 5] }, build: (x) => layerNorm(x.a!, null, null) },
  { name: 'Gelu on symbolic batch', inputs: { a: [3, 4] }, symbolic: { a: ['batch', 4] }, build: (x) => gelu(x.a!).mul(x.a!) },
  { name: 'GroupNorm', inputs: { a: [2, 4, 3, 3], w: [4], b: [4] }, build: (x) => groupNorm(x.a!, 2, x.w!, x.b!) },
  { name: 'Conv1d stride 2 pad 1', inputs: { a: [2, 3, 9], w: [4, 3, 3], b: [4] }, build: (x) => conv(x.a!, x.w!, x.b!, { stride: 2, padding: 1 }) },
  { name: 'Conv2d pad 1', inputs: { a: [1, 2, 5, 5], w: [3, 2, 3, 3] }, build: (x) => conv(x.a!, x.w!, null, { padding: 1 }) },
  { name: 'Conv2d stride 2 (uneven)', inputs: { a: [2, 2, 6, 6], w: [2, 2, 3, 3] }, build: (x) => conv(x.a!, x.w!, null, { stride: 2, padding: 1 }) },
  { name: 'Conv2d dilation 2', inputs: { a: [1, 1, 7, 7], w: [2, 1, 3, 3] }, build: (x) => conv(x.a!, x.w!, null, { dilation: 2 }) },
  {
    name: 'ConvTranspose2d stride 2',
    inputs: { a: [1, 2, 3, 3], w: [2, 3, 3, 3] },
    build: (x, g) => g.apply('ConvTranspose', [x.a!, x.w!], { strides: [2, 2], pads: [1, 1, 1, 1], dilations: [1, 1], outputPadding: [1, 1] }),
  },
  { name: 'Upsample nearest x2', inputs: { a: [1, 2, 2, 3] }, build: (x) => upsampleNearest2d(x.a!, 2) },
];

for (const c of cases) {
  test(`op ${c.name}: onnxruntime matches reference; gradient matches finite differences`, async () => {
    await checkOp(c);
  });
}

test('portable (inference) lowering uses standard ONNX ops only and computes the same GELU', async () => {
  const { Graph } = await import('../../src/engine/ir.js');
  const { compileInference } = await import('../../src/engine/compile.js');
  const { decodeModel } = await import('../../src/engine/onnx/model.js');
  const { Session } = await import('../../src/engine/runtime.js');
  const { erf } = await import('../../src/engine/reference.js');
  const g = new Graph();
  const x = g.input('x', [5]);
  const bytes = compileInference(g, { y: gelu(x) }, new Map());
  const m = decodeModel(bytes);
  const domains = (m.graph.node as { domain?: string }[]).map((n) => n.domain ?? '');
  if (domains.some((d) => d !== '')) throw new Error(`non-standard domains: ${domains}`);
  const s = await Session.create(bytes);
  const xs = Float32Array.of(-3, -0.5, 0, 0.7, 2.5);
  const y = (await s.run({ x: { data: xs, dims: [5] } })).y!.data as Float32Array;
  xs.forEach((v, i) => {
    const want = 0.5 * v * (1 + erf(v / Math.SQRT2));
    if (Math.abs(y[i]! - want) > 1e-6) throw new Error(`gelu(${v}) = ${y[i]}, expected ${want}`);
  });
  await s.release();
});
