/**
 * The primitive ops: for each, build-time shape inference and the reverse-mode gradient rule, in ONE
 * table. Lowering to ONNX lives in emit.ts and the float64 reference semantics in reference.ts, each a
 * table with the same keys, so the compiler demands all three for every op.
 *
 * Composites (gelu, layerNorm, linear, ...) are written from these primitives in functional.ts and
 * need no rule of their own.
 */
import type { DType, Tensor } from './ir.js';
import { broadcastShapes, type Dim, dimDiv, dimMul, fmt, normAxis, numel, type Shape, ShapeError } from './shape.js';

export const OPS = [
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Greater',
  'Equal',
  'Where',
  'Neg',
  'Exp',
  'Log',
  'Sqrt',
  'Tanh',
  'Erf',
  'Sigmoid',
  'Relu',
  'Abs',
  'Sin',
  'Cos',
  'MatMul',
  'ReduceSum',
  'ReduceMean',
  'ReduceMax',
  'Reshape',
  'Transpose',
  'Expand',
  'Slice',
  'Pad',
  'Concat',
  'Gather',
  'ScatterAddRows',
  'Cast',
  'Identity',
  'StopGradient',
  'GradReverse',
  'Softmax',
  'LogSoftmax',
  'Conv',
  'ConvTranspose',
  'DimValue',
  'LayerNorm',
  'Gelu',
  'LayerNormStats',
] as const;
export type Op = (typeof OPS)[number];

type None = Record<string, never>;
export interface ReduceParams {
  axes: number[];
  keepdims: boolean;
}
export interface ConvParams {
  strides: number[];
  /** ONNX order: all begins, then all ends. */
  pads: number[];
  dilations: number[];
}

export interface OpParams {
  Add: None;
  Sub: None;
  Mul: None;
  Div: None;
  Pow: None;
  Greater: None;
  Equal: None;
  Where: None;
  Neg: None;
  Exp: None;
  Log: None;
  Sqrt: None;
  Tanh: None;
  Erf: None;
  Sigmoid: None;
  Relu: None;
  Abs: None;
  Sin: None;
  Cos: None;
  MatMul: None;
  ReduceSum: ReduceParams;
  ReduceMean: ReduceParams;
  ReduceMax: ReduceParams;
  Reshape: { shape: Dim[] };
  Transpose: { perm: number[] };
  Expand: { shape: Dim[] };
  Slice: { axis: number; start: number; end: number };
  Pad: { axis: number; before: number; after: number };
  Concat: { axis: number };
  /** table [V, ...rest] gathered by int64 indices [...] -> [..., ...rest]. */
  Gather: None;
  /** (updates [...idx, ...rest], indices [...idx]) -> [rows, ...rest], summing rows hit twice. */
  ScatterAddRows: { rows: number };
  Cast: { to: DType };
  Identity: None;
  StopGradient: None;
  /** Identity forward; the gradient is multiplied by -eta (domain-adversarial training). */
  GradReverse: { eta: number };
  Softmax: { axis: number };
  LogSoftmax: { axis: number };
  /** (x [N, C, ...spatial], w [O, C, ...kernel]) -> [N, O, ...]; 1-D or 2-D. */
  Conv: ConvParams;
  /** (x [N, C, ...], w [C, O, ...kernel]) -> [N, O, ...]. */
  ConvTranspose: ConvParams & { outputPadding: number[] };
  /** A float32 scalar holding the run-time value of a dim. */
  DimValue: { dim: Dim };
  /**
   * (x [..., D], weight [D], bias [D]) -> normalised over the last axis, then affine. A primitive
   * (not a composite) so onnxruntime runs one fused kernel and a training graph keeps only x for
   * the backward pass instead of every intermediate.
   */
  LayerNorm: { eps: number };
  /** Exact (erf) GELU; a primitive for the same reasons as LayerNorm. */
  Gelu: None;
  /**
   * LayerNorm's intermediates over the last axis, for its backward pass: the normalised input
   * (x - mean) r, or r = 1/sqrt(var + eps) itself ([..., 1]). One fused kernel each.
   */
  LayerNormStats: { eps: number; output: 'normalized' | 'invStd' };
}

export interface Inferred {
  shape: Shape;
  dtype: DType;
}
/** Gradients w.r.t. each input (null: none flows there). */
export type GradRule<K extends Op> = (g: Tensor, xs: Tensor[], y: Tensor, p: OpParams[K]) => (Tensor | null)[];

export interface OpDef<K extends Op> {
  infer(xs: Tensor[], p: OpParams[K]): Inferred;
  /** Omitted: the op is not differentiable and autodiff fails loudly if a gradient must flow through it. */
  grad?: GradRule<K>;
}

// ---------- helpers ----------

function arity(op: string, xs: Tensor[], n: number): void {
  if (xs.length !== n) throw new ShapeError(`${op}: expects ${n} inputs, got ${xs.length}`);
}

function float(op: string, x: Tensor): void {
  if (x.dtype !== 'float32') throw new ShapeError(`${op}: expects float32, got ${x.dtype} ${fmt(x.shape)}`);
}

function same(op: string, xs: Tensor[]): void {
  const d = xs[0]!.dtype;
  for (const x of xs) if (x.dtype !== d) throw new ShapeError(`${op}: dtype mismatch ${xs.map((t) => t.dtype).join(' vs ')}`);
}

export function axesOf(x: { shape: Shape }, axes: number[], op: string): number[] {
  const out = axes.map((a) => normAxis(a, x.shape.length, op));
  if (new Set(out).size !== out.length) throw new ShapeError(`${op}: repeated axis in [${axes}]`);
  return out.sort((a, b) => a - b);
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Sums a broadcast gradient back to the operand's shape. */
export function sumToShape(g: Tensor, target: Shape): Tensor {
  let r = g;
  const extra = g.rank - target.length;
  if (extra > 0) r = r.sum(range(extra), false);
  const axes: number[] = [];
  target.forEach((d, i) => {
    if (d === 1 && r.shape[i] !== 1) axes.push(i);
  });
  return axes.length ? r.sum(axes, true) : r;
}

/**
 * Gradient of a convolution kernel: the correlation of `a` with `b` over the batch, computed as a
 * Conv with batch and channels swapped (stride and dilation trade places), cropped to the kernel.
 * For Conv: a = input, b = dy; for ConvTranspose: a = dy, b = input.
 */
function kernelGrad(a: Tensor, b: Tensor, w: Tensor, p: ConvParams): Tensor {
  const nsp = a.rank - 2;
  const perm = [1, 0, ...range(nsp).map((i) => i + 2)];
  let dw = a.graph.apply('Conv', [a.transpose(perm), b.transpose(perm)], { strides: p.dilations, dilations: p.strides, pads: p.pads });
  for (let i = 0; i < nsp; i++) {
    const k = w.size(2 + i);
    if (dw.size(2 + i) !== k) dw = dw.slice(2 + i, 0, k);
  }
  return dw.transpose(perm);
}

/** Re-inserts reduced axes (size 1) so a reduced tensor broadcasts against the original. */
function keepDims(g: Tensor, x: Tensor, axes: number[], keepdims: boolean): Tensor {
  if (keepdims) return g;
  const shape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return g.reshape(shape);
}

const elementwise =
  (op: string) =>
  (xs: Tensor[]): Inferred => {
    arity(op, xs, 1);
    float(op, xs[0]!);
    return { shape: xs[0]!.shape, dtype: 'float32' };
  };

const binary =
  (op: string, outDtype?: DType) =>
  (xs: Tensor[]): Inferred => {
    arity(op, xs, 2);
    same(op, xs);
    return { shape: broadcastShapes(xs[0]!.shape, xs[1]!.shape, op), dtype: outDtype ?? xs[0]!.dtype };
  };

function reduceInfer(op: string) {
  return (xs: Tensor[], p: ReduceParams): Inferred => {
    arity(op, xs, 1);
    float(op, xs[0]!);
    const x = xs[0]!;
    const axes = axesOf(x, p.axes, op);
    if (axes.length === 0) throw new ShapeError(`${op}: needs at least one axis`);
    const shape = p.keepdims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    return { shape, dtype: 'float32' };
  };
}

function convOutSize(op: string, n: Dim, k: number, stride: number, padBegin: number, padEnd: number, dil: number): number {
  if (typeof n !== 'number') throw new ShapeError(`${op}: spatial dims must be static, got ${n}`);
  const out = Math.floor((n + padBegin + padEnd - dil * (k - 1) - 1) / stride) + 1;
  if (out < 1) throw new ShapeError(`${op}: input size ${n} is too small for kernel ${k} (stride ${stride}, pads ${padBegin}/${padEnd}, dilation ${dil})`);
  return out;
}

function checkConvParams(op: string, x: Tensor, w: Tensor, p: ConvParams): number {
  const nsp = x.rank - 2;
  if (nsp < 1 || nsp > 2) throw new ShapeError(`${op}: input must be [N, C, L] or [N, C, H, W], got ${fmt(x.shape)}`);
  if (w.rank !== x.rank) throw new ShapeError(`${op}: weight ${fmt(w.shape)} does not match input ${fmt(x.shape)}`);
  if (p.strides.length !== nsp || p.dilations.length !== nsp || p.pads.length !== 2 * nsp) {
    throw new ShapeError(`${op}: strides/dilations need ${nsp} values and pads ${2 * nsp}, got ${p.strides}/${p.dilations}/${p.pads}`);
  }
  return nsp;
}

// ---------- the table ----------

type OpDefs = { [K in Op]: OpDef<K> };

export const OP_DEFS: OpDefs = {
  // d(a + b) = da + db, each summed back over broadcast axes
  Add: { infer: binary('Add'), grad: (g, [a, b]) => [sumToShape(g, a!.shape), sumToShape(g, b!.shape)] },
  // d(a - b) = da - db
  Sub: { infer: binary('Sub'), grad: (g, [a, b]) => [sumToShape(g, a!.shape), sumToShape(g.neg(), b!.shape)] },
  // d(a b) = b da + a db
  Mul: { infer: binary('Mul'), grad: (g, [a, b]) => [sumToShape(g.mul(b!), a!.shape), sumToShape(g.mul(a!), b!.shape)] },
  // d(a / b) = da / b - a db / b^2
  Div: {
    infer: binary('Div'),
    grad: (g, [a, b], y) => [sumToShape(g.div(b!), a!.shape), sumToShape(g.mul(y).div(b!).neg(), b!.shape)],
  },
  // d(a^b) = b a^(b-1) da + a^b ln(a) db
  Pow: {
    infer: binary('Pow'),
    grad: (g, [a, b], y) => [
      sumToShape(g.mul(b!).mul(a!.pow(b!.sub(1))), a!.shape),
      b!.node.kind === 'constant' ? null : sumToShape(g.mul(y).mul(a!.log()), b!.shape),
    ],
  },
  Greater: { infer: binary('Greater', 'bool') },
  Equal: { infer: binary('Equal', 'bool') },
  // d where(c, a, b) = where(c, da, 0) + where(c, 0, db)
  Where: {
    infer: (xs) => {
      arity('Where', xs, 3);
      const [c, a, b] = xs as [Tensor, Tensor, Tensor];
      if (c.dtype !== 'bool') throw new ShapeError(`Where: condition must be bool, got ${c.dtype}`);
      same('Where', [a, b]);
      return { shape: broadcastShapes(broadcastShapes(c.shape, a.shape, 'Where'), b.shape, 'Where'), dtype: a.dtype };
    },
    grad: (g, [c, a, b]) => {
      const zero = g.graph.scalar(0);
      return [null, sumToShape(g.graph.apply('Where', [c!, g, zero], {}), a!.shape), sumToShape(g.graph.apply('Where', [c!, zero, g], {}), b!.shape)];
    },
  },
  // d(-x) = -dx
  Neg: { infer: elementwise('Neg'), grad: (g) => [g.neg()] },
  // d(exp x) = exp x dx
  Exp: { infer: elementwise('Exp'), grad: (g, _, y) => [g.mul(y)] },
  // d(ln x) = dx / x
  Log: { infer: elementwise('Log'), grad: (g, [x]) => [g.div(x!)] },
  // d(sqrt x) = dx / (2 sqrt x)
  Sqrt: { infer: elementwise('Sqrt'), grad: (g, _, y) => [g.div(y.mul(2))] },
  // d(tanh x) = (1 - tanh^2 x) dx
  Tanh: { infer: elementwise('Tanh'), grad: (g, _, y) => [g.mul(y.graph.scalar(1).sub(y.mul(y)))] },
  // d(erf x) = 2/sqrt(pi) exp(-x^2) dx
  Erf: {
    infer: elementwise('Erf'),
    grad: (g, [x]) => [
      g.mul(
        x!
          .mul(x!)
          .neg()
          .exp()
          .mul(2 / Math.sqrt(Math.PI)),
      ),
    ],
  },
  // d(sigmoid x) = s (1 - s) dx
  Sigmoid: { infer: elementwise('Sigmoid'), grad: (g, _, y) => [g.mul(y.mul(y.graph.scalar(1).sub(y)))] },
  // d(relu x) = [x > 0] dx
  Relu: { infer: elementwise('Relu'), grad: (g, [x]) => [g.mul(x!.greater(0).cast('float32'))] },
  // d|x| = sign(x) dx  (0 at 0, as PyTorch)
  Abs: { infer: elementwise('Abs'), grad: (g, [x]) => [g.mul(x!.greater(0).cast('float32').sub(x!.neg().greater(0).cast('float32')))] },
  // d(sin x) = cos x dx
  Sin: { infer: elementwise('Sin'), grad: (g, [x]) => [g.mul(x!.cos())] },
  // d(cos x) = -sin x dx
  Cos: { infer: elementwise('Cos'), grad: (g, [x]) => [g.mul(x!.sin()).neg()] },

  // C = A B over the last two axes, batch axes broadcast: dA = dC B^T, dB = A^T dC
  MatMul: {
    infer: (xs) => {
      arity('MatMul', xs, 2);
      const [a, b] = xs as [Tensor, Tensor];
      float('MatMul', a);
      float('MatMul', b);
      if (a.rank < 2 || b.rank < 2) throw new ShapeError(`MatMul: operands need rank >= 2, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
      const k1 = a.shape[a.rank - 1]!;
      const k2 = b.shape[b.rank - 2]!;
      if (k1 !== k2) throw new ShapeError(`MatMul: inner dims differ: ${fmt(a.shape)} @ ${fmt(b.shape)}`);
      const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'MatMul');
      return { shape: [...batch, a.shape[a.rank - 2]!, b.shape[b.rank - 1]!], dtype: 'float32' };
    },
    grad: (g, [a, b]) => {
      const da = sumToShape(g.matmul(b!.T), a!.shape);
      let db: Tensor;
      if (b!.rank === 2 && a!.rank > 2) {
        // One big GEMM over all batch rows instead of a batched product summed afterwards.
        const k = a!.shape[a!.rank - 1]!;
        const n = g.shape[g.rank - 1]!;
        const ar = a!.reshape([-1, k]);
        const gr = g.reshape([-1, n]);
        // For y = x W^T (b is a transposed weight) compute dW = g^T x directly and hand back its
        // transpose: the Transpose rule then transposes again and onnxruntime cancels the pair,
        // instead of materialising a weight-sized transpose every step.
        db = b!.node.kind === 'op' && b!.node.op === 'Transpose' ? gr.T.matmul(ar).T : ar.T.matmul(gr);
      } else {
        db = sumToShape(a!.T.matmul(g), b!.shape);
      }
      return [da, db];
    },
  },

  // d sum(x) = broadcast(dy)
  ReduceSum: {
    infer: reduceInfer('ReduceSum'),
    grad: (g, [x], _y, p) => [keepDims(g, x!, axesOf(x!, p.axes, 'ReduceSum'), p.keepdims).expand([...x!.shape])],
  },
  // d mean(x) = broadcast(dy) / n
  ReduceMean: {
    infer: reduceInfer('ReduceMean'),
    grad: (g, [x], _y, p) => {
      const axes = axesOf(x!, p.axes, 'ReduceMean');
      const count = axes.reduce<Dim>((acc, a) => dimMul(acc, x!.shape[a]!), 1);
      return [
        keepDims(g, x!, axes, p.keepdims)
          .expand([...x!.shape])
          .div(x!.graph.dimValue(count)),
      ];
    },
  },
  // d max(x) = dy shared equally among the maximal elements
  ReduceMax: {
    infer: reduceInfer('ReduceMax'),
    grad: (g, [x], y, p) => {
      const axes = axesOf(x!, p.axes, 'ReduceMax');
      const mask = x!.equal(keepDims(y, x!, axes, p.keepdims)).cast('float32');
      const ties = mask.sum(axes, true);
      return [mask.div(ties).mul(keepDims(g, x!, axes, p.keepdims))];
    },
  },

  Reshape: {
    infer: (xs, p) => {
      arity('Reshape', xs, 1);
      return { shape: inferReshape(xs[0]!.shape, p.shape), dtype: xs[0]!.dtype };
    },
    grad: (g, [x]) => [g.reshape([...x!.shape])],
  },
  Transpose: {
    infer: (xs, p) => {
      arity('Transpose', xs, 1);
      const x = xs[0]!;
      const sorted = [...p.perm].sort((a, b) => a - b);
      if (p.perm.length !== x.rank || sorted.some((v, i) => v !== i)) {
        throw new ShapeError(`Transpose: perm [${p.perm}] is not a permutation of the axes of ${fmt(x.shape)}`);
      }
      return { shape: p.perm.map((i) => x.shape[i]!), dtype: x.dtype };
    },
    grad: (g, _xs, _y, p) => {
      const inv: number[] = [];
      p.perm.forEach((src, dst) => (inv[src] = dst));
      return [g.transpose(inv)];
    },
  },
  Expand: {
    infer: (xs, p) => {
      arity('Expand', xs, 1);
      const x = xs[0]!;
      const shape = broadcastShapes(x.shape, p.shape, 'Expand');
      if (fmt(shape) !== fmt(p.shape)) throw new ShapeError(`Expand: ${fmt(x.shape)} cannot expand to ${fmt(p.shape)}`);
      return { shape, dtype: x.dtype };
    },
    grad: (g, [x]) => [sumToShape(g, x!.shape)],
  },
  // d slice(x) = zero-padded dy
  Slice: {
    infer: (xs, p) => {
      arity('Slice', xs, 1);
      const x = xs[0]!;
      const axis = normAxis(p.axis, x.rank, 'Slice');
      const n = x.shape[axis]!;
      if (typeof n !== 'number') throw new ShapeError(`Slice: axis ${p.axis} of ${fmt(x.shape)} is symbolic`);
      if (!(Number.isInteger(p.start) && Number.isInteger(p.end) && p.start >= 0 && p.end <= n && p.start < p.end)) {
        throw new ShapeError(`Slice: range [${p.start}, ${p.end}) is invalid for axis ${p.axis} of ${fmt(x.shape)}`);
      }
      return { shape: x.shape.map((d, i) => (i === axis ? p.end - p.start : d)), dtype: x.dtype };
    },
    grad: (g, [x], _y, p) => {
      const axis = normAxis(p.axis, x!.rank, 'Slice');
      return [g.pad(axis, p.start, (x!.shape[axis] as number) - p.end)];
    },
  },
  // d pad(x) = slice(dy)
  Pad: {
    infer: (xs, p) => {
      arity('Pad', xs, 1);
      const x = xs[0]!;
      const axis = normAxis(p.axis, x.rank, 'Pad');
      const n = x.shape[axis]!;
      if (typeof n !== 'number' || p.before < 0 || p.after < 0)
        throw new ShapeError(`Pad: cannot pad axis ${p.axis} of ${fmt(x.shape)} by ${p.before}/${p.after}`);
      return { shape: x.shape.map((d, i) => (i === axis ? n + p.before + p.after : d)), dtype: x.dtype };
    },
    grad: (g, [x], _y, p) => {
      const axis = normAxis(p.axis, x!.rank, 'Pad');
      return [g.slice(axis, p.before, p.before + (x!.shape[axis] as number))];
    },
  },
  // d concat(xs) = the matching slices of dy
  Concat: {
    infer: (xs, p) => {
      if (xs.length < 1) throw new ShapeError('Concat: needs at least one input');
      same('Concat', xs);
      const axis = normAxis(p.axis, xs[0]!.rank, 'Concat');
      let total = 0;
      for (const x of xs) {
        if (x.rank !== xs[0]!.rank || x.shape.some((d, i) => i !== axis && d !== xs[0]!.shape[i])) {
          throw new ShapeError(`Concat: shapes ${xs.map((t) => fmt(t.shape)).join(', ')} differ outside axis ${p.axis}`);
        }
        const n = x.shape[axis]!;
        if (typeof n !== 'number') throw new ShapeError(`Concat: axis ${p.axis} must be static`);
        total += n;
      }
      return { shape: xs[0]!.shape.map((d, i) => (i === axis ? total : d)), dtype: xs[0]!.dtype };
    },
    grad: (g, xs, _y, p) => {
      const axis = normAxis(p.axis, xs[0]!.rank, 'Concat');
      let at = 0;
      return xs.map((x) => {
        const n = x.shape[axis] as number;
        const part = g.slice(axis, at, at + n);
        at += n;
        return part;
      });
    },
  },
  // d table = rows of dy scattered (summed) back to the indices they were read from
  Gather: {
    infer: (xs) => {
      arity('Gather', xs, 2);
      const [table, idx] = xs as [Tensor, Tensor];
      if (idx.dtype !== 'int64') throw new ShapeError(`Gather: indices must be int64, got ${idx.dtype}`);
      if (table.rank < 1 || typeof table.shape[0] !== 'number') throw new ShapeError(`Gather: table ${fmt(table.shape)} needs a static first axis`);
      return { shape: [...idx.shape, ...table.shape.slice(1)], dtype: table.dtype };
    },
    grad: (g, [table, idx]) => [g.graph.apply('ScatterAddRows', [g, idx!], { rows: table!.shape[0] as number }), null],
  },
  // d scatter = gathered rows of dy
  ScatterAddRows: {
    infer: (xs, p) => {
      arity('ScatterAddRows', xs, 2);
      const [upd, idx] = xs as [Tensor, Tensor];
      if (idx.dtype !== 'int64') throw new ShapeError(`ScatterAddRows: indices must be int64, got ${idx.dtype}`);
      if (fmt(upd.shape.slice(0, idx.rank)) !== fmt(idx.shape)) {
        throw new ShapeError(`ScatterAddRows: updates ${fmt(upd.shape)} do not start with indices shape ${fmt(idx.shape)}`);
      }
      return { shape: [p.rows, ...upd.shape.slice(idx.rank)], dtype: upd.dtype };
    },
    grad: (g, [, idx]) => [g.graph.apply('Gather', [g, idx!], {}), null],
  },
  Cast: {
    infer: (xs, p) => {
      arity('Cast', xs, 1);
      return { shape: xs[0]!.shape, dtype: p.to };
    },
    grad: (g, [x]) => [x!.dtype === 'float32' ? g.cast('float32') : null],
  },
  Identity: { infer: (xs) => ({ shape: xs[0]!.shape, dtype: xs[0]!.dtype }), grad: (g) => [g] },
  StopGradient: { infer: (xs) => ({ shape: xs[0]!.shape, dtype: xs[0]!.dtype }), grad: () => [null] },
  // Gradient reversal: forward identity, backward -eta dy
  GradReverse: { infer: elementwise('GradReverse'), grad: (g, _x, _y, p) => [g.mul(-p.eta)] },
  // d softmax: y (dy - sum(dy y))
  Softmax: {
    infer: (xs, p) => {
      normAxis(p.axis, xs[0]!.rank, 'Softmax');
      return elementwise('Softmax')(xs);
    },
    grad: (g, _x, y, p) => [y.mul(g.sub(g.mul(y).sum([p.axis], true)))],
  },
  // d logsoftmax: dy - exp(y) sum(dy)
  LogSoftmax: {
    infer: (xs, p) => {
      normAxis(p.axis, xs[0]!.rank, 'LogSoftmax');
      return elementwise('LogSoftmax')(xs);
    },
    grad: (g, _x, y, p) => [g.sub(y.exp().mul(g.sum([p.axis], true)))],
  },
  Conv: {
    infer: (xs, p) => {
      arity('Conv', xs, 2);
      const [x, w] = xs as [Tensor, Tensor];
      const nsp = checkConvParams('Conv', x, w, p);
      if (x.shape[1] !== w.shape[1])
        throw new ShapeError(`Conv: input channels ${x.shape[1]} != weight in-channels ${w.shape[1]} (x ${fmt(x.shape)}, w ${fmt(w.shape)})`);
      const spatial = range(nsp).map((i) => convOutSize('Conv', x.shape[2 + i]!, w.size(2 + i), p.strides[i]!, p.pads[i]!, p.pads[nsp + i]!, p.dilations[i]!));
      return { shape: [x.shape[0]!, w.shape[0]!, ...spatial], dtype: 'float32' };
    },
    // dx = conv_transpose(dy, w); dw = conv(x^T, dy^T) with stride and dilation swapped
    grad: (g, [x, w], _y, p) => {
      const nsp = x!.rank - 2;
      const outputPadding = range(nsp).map((i) => {
        const inSize = x!.size(2 + i);
        const k = w!.size(2 + i);
        const full = (g.size(2 + i) - 1) * p.strides[i]! - p.pads[i]! - p.pads[nsp + i]! + p.dilations[i]! * (k - 1) + 1;
        return inSize - full;
      });
      const dx = g.graph.apply('ConvTranspose', [g, w!], { ...p, outputPadding });
      return [dx, kernelGrad(x!, g, w!, p)];
    },
  },
  ConvTranspose: {
    infer: (xs, p) => {
      arity('ConvTranspose', xs, 2);
      const [x, w] = xs as [Tensor, Tensor];
      const nsp = checkConvParams('ConvTranspose', x, w, p);
      if (x.shape[1] !== w.shape[0]) throw new ShapeError(`ConvTranspose: input channels ${x.shape[1]} != weight ${fmt(w.shape)}[0]`);
      const spatial = range(nsp).map((i) => {
        const n = x.size(2 + i);
        return (n - 1) * p.strides[i]! - p.pads[i]! - p.pads[nsp + i]! + p.dilations[i]! * (w.size(2 + i) - 1) + 1 + (p.outputPadding[i] ?? 0);
      });
      return { shape: [x.shape[0]!, w.shape[1]!, ...spatial], dtype: 'float32' };
    },
    // dx = conv(dy, w); dw = conv(dy^T, x^T) with stride and dilation swapped
    grad: (g, [x, w], _y, p) => {
      const conv = { strides: p.strides, pads: p.pads, dilations: p.dilations };
      const dx = g.graph.apply('Conv', [g, w!], conv);
      // The roles of input and output swap: the weight is stored [C, O, k].
      return [dx, kernelGrad(g, x!, w!, p)];
    },
  },
  // y = xh w + b, xh = (x - mean) r, r = 1/sqrt(var + eps):
  // dx = r (dxh - mean(dxh) - xh mean(dxh xh)) with dxh = dy w;  dw = sum(dy xh);  db = sum(dy)
  LayerNorm: {
    infer: (xs) => {
      arity('LayerNorm', xs, 3);
      const [x, w, b] = xs as [Tensor, Tensor, Tensor];
      float('LayerNorm', x);
      const d = x.shape[x.rank - 1];
      if (w.rank !== 1 || b.rank !== 1 || w.shape[0] !== d || b.shape[0] !== d) {
        throw new ShapeError(`LayerNorm: weight ${fmt(w.shape)} and bias ${fmt(b.shape)} must be [${d}] for input ${fmt(x.shape)}`);
      }
      return { shape: x.shape, dtype: 'float32' };
    },
    grad: (g, [x, w, b], _y, p) => {
      const xh = x!.graph.apply('LayerNormStats', [x!], { eps: p.eps, output: 'normalized' });
      const r = x!.graph.apply('LayerNormStats', [x!], { eps: p.eps, output: 'invStd' });
      const dxh = g.mul(w!);
      const dx = dxh
        .sub(dxh.mean([-1], true))
        .sub(xh.mul(dxh.mul(xh).mean([-1], true)))
        .mul(r);
      return [dx, sumToShape(g.mul(xh), w!.shape), sumToShape(g, b!.shape)];
    },
  },
  LayerNormStats: {
    infer: (xs, p) => {
      arity('LayerNormStats', xs, 1);
      float('LayerNormStats', xs[0]!);
      const x = xs[0]!;
      return { shape: p.output === 'normalized' ? x.shape : [...x.shape.slice(0, -1), 1], dtype: 'float32' };
    },
  },
  // d gelu(x) = (Phi(x) + x phi(x)) dx, Phi/phi the standard normal cdf/pdf; with t = x/sqrt2:
  // Phi = (1 + erf t)/2 and x phi(x) = t e^(-t^2)/sqrt(pi)
  Gelu: {
    infer: elementwise('Gelu'),
    grad: (g, [x]) => {
      const t = x!.mul(Math.SQRT1_2);
      const q = t.mul(t.neg()).exp();
      const slope = t
        .erf()
        .add(1)
        .mul(0.5)
        .add(t.mul(q).mul(1 / Math.sqrt(Math.PI)));
      return [g.mul(slope)];
    },
  },
  DimValue: {
    infer: (xs) => {
      arity('DimValue', xs, 0);
      return { shape: [], dtype: 'float32' };
    },
    grad: () => [],
  },
};

/** Target shape of a reshape; one -1 is inferred (possibly symbolically). */
export function inferReshape(from: Shape, to: Dim[]): Dim[] {
  const minus = to.filter((d) => d === -1).length;
  if (minus > 1) throw new ShapeError(`Reshape: more than one -1 in ${fmt(to)}`);
  const total = numel(from);
  if (minus === 0) {
    if (numel(to) !== total) throw new ShapeError(`Reshape: cannot reshape ${fmt(from)} (${total} elements) to ${fmt(to)}`);
    return to;
  }
  const known = to.filter((d) => d !== -1).reduce<Dim>((a, d) => dimMul(a, d), 1);
  const inferred = dimDiv(total, known);
  if (inferred === null) throw new ShapeError(`Reshape: cannot reshape ${fmt(from)} to ${fmt(to)}`);
  return to.map((d) => (d === -1 ? inferred : d));
}
