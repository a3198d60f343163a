/**
 * Float64 reference semantics of every op, in plain TypeScript. Slow and simple on purpose: it is
 * the oracle that finite-difference gradient checks and ONNX-lowering parity tests compare against.
 */
import type { Graph, Tensor } from './ir.js';
import { axesOf, type Op, type OpParams } from './ops.js';
import { bindSymbols, normAxis, resolveShape } from './shape.js';

export interface NDArray {
  shape: number[];
  data: Float64Array;
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
const stridesOf = (shape: number[]): number[] => {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
};

export function nd(shape: number[], data?: ArrayLike<number>): NDArray {
  const out = { shape, data: new Float64Array(size(shape)) };
  if (data) out.data.set(data);
  return out;
}

/** Reads x at a multi-index of a (broadcast) output shape. */
function broadcastIndexer(x: NDArray, outShape: number[]): (idx: number[]) => number {
  const off = outShape.length - x.shape.length;
  const st = stridesOf(x.shape);
  return (idx) => {
    let k = 0;
    for (let i = 0; i < x.shape.length; i++) k += (x.shape[i] === 1 ? 0 : idx[i + off]!) * st[i]!;
    return x.data[k]!;
  };
}

function broadcastShape(shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => Math.max(...shapes.map((s) => (i < rank - s.length ? 1 : s[i - (rank - s.length)]!))));
}

function forEachIndex(shape: number[], fn: (idx: number[], flat: number) => void): void {
  const n = size(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let f = 0; f < n; f++) {
    fn(idx, f);
    for (let i = shape.length - 1; i >= 0; i--) {
      if (++idx[i]! < shape[i]!) break;
      idx[i] = 0;
    }
  }
}

function mapN(xs: NDArray[], fn: (...v: number[]) => number): NDArray {
  const shape = broadcastShape(xs.map((x) => x.shape));
  const readers = xs.map((x) => broadcastIndexer(x, shape));
  const out = nd(shape);
  forEachIndex(shape, (idx, f) => (out.data[f] = fn(...readers.map((r) => r(idx)))));
  return out;
}

const unary =
  (fn: (v: number) => number) =>
  (xs: NDArray[]): NDArray =>
    mapN(xs, fn);
const binary =
  (fn: (a: number, b: number) => number) =>
  (xs: NDArray[]): NDArray =>
    mapN(xs, fn);

function reduce(x: NDArray, axesIn: number[], keepdims: boolean, init: number, fn: (acc: number, v: number) => number): NDArray {
  const axes = axesOf(x, axesIn, 'reduce');
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = nd(kept);
  out.data.fill(init);
  const st = stridesOf(kept);
  forEachIndex(x.shape, (idx, f) => {
    let k = 0;
    for (let i = 0; i < idx.length; i++) if (!axes.includes(i)) k += idx[i]! * st[i]!;
    out.data[k] = fn(out.data[k]!, x.data[f]!);
  });
  return keepdims ? out : { shape: x.shape.filter((_, i) => !axes.includes(i)), data: out.data };
}

/** Erf to ~1e-15 via its Taylor series near 0 and a continued fraction for erfc beyond. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 60; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

function softmax(x: NDArray, axisIn: number, log: boolean): NDArray {
  const axis = normAxis(axisIn, x.shape.length, 'softmax');
  const m = reduce(x, [axis], true, -Infinity, Math.max);
  const e = mapN([x, m], (a, b) => Math.exp(a - b));
  const s = reduce(e, [axis], true, 0, (a, b) => a + b);
  return log ? mapN([x, m, s], (a, b, c) => a - b - Math.log(c)) : mapN([e, s], (a, b) => a / b);
}

function matmul(a: NDArray, b: NDArray): NDArray {
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.shape.length - 1]!;
  const batch = broadcastShape([a.shape.slice(0, -2), b.shape.slice(0, -2)]);
  const out = nd([...batch, m, n]);
  const aBatch = { shape: a.shape.slice(0, -2), data: new Float64Array(size(a.shape.slice(0, -2))).map((_, i) => i) };
  const bBatch = { shape: b.shape.slice(0, -2), data: new Float64Array(size(b.shape.slice(0, -2))).map((_, i) => i) };
  const ra = broadcastIndexer(aBatch, batch);
  const rb = broadcastIndexer(bBatch, batch);
  forEachIndex(batch, (idx, f) => {
    const ao = ra(idx) * m * k;
    const bo = rb(idx) * k * n;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += a.data[ao + i * k + q]! * b.data[bo + q * n + j]!;
        out.data[f * m * n + i * n + j] = s;
      }
  });
  return out;
}

/** Direct convolution; `transposed` scatters instead of gathers (the adjoint). */
function conv(x: NDArray, w: NDArray, p: OpParams['Conv'], transposed: boolean, outShape: number[]): NDArray {
  const nsp = x.shape.length - 2;
  const out = nd(outShape);
  const [N, C] = x.shape as [number, number];
  const kernel = w.shape.slice(2);
  const inSp = x.shape.slice(2);
  const outSp = outShape.slice(2);
  const O = outShape[1]!;
  const pos = (o: number[], k: number[]): number[] => o.map((v, i) => v * p.strides[i]! - p.pads[i]! + k[i]! * p.dilations[i]!);
  const flat = (idx: number[], dims: number[]): number => idx.reduce((acc, v, i) => acc * dims[i]! + v, 0);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let c = 0; c < C; c++) {
        // For a convolution y[n,o,q] += x[n,c,q*s-p+k*d] w[o,c,k]; the transpose swaps the roles of x and y.
        const small = transposed ? inSp : outSp;
        const big = transposed ? outSp : inSp;
        forEachIndex(small, (q) =>
          forEachIndex(kernel, (k) => {
            const at = pos(q, k);
            if (at.some((v, i) => v < 0 || v >= big[i]!)) return;
            const wv = transposed ? w.data[(c * O + o) * size(kernel) + flat(k, kernel)]! : w.data[(o * C + c) * size(kernel) + flat(k, kernel)]!;
            if (transposed) out.data[(n * O + o) * size(outSp) + flat(at, outSp)]! += x.data[(n * C + c) * size(inSp) + flat(q, inSp)]! * wv;
            else out.data[(n * O + o) * size(outSp) + flat(q, outSp)]! += x.data[(n * C + c) * size(inSp) + flat(at, inSp)]! * wv;
          }),
        );
      }
  void nsp;
  return out;
}

type Ev<K extends Op> = (xs: NDArray[], p: OpParams[K], out: number[], symbols: Record<string, number>) => NDArray;

const REF: { [K in Op]: Ev<K> } = {
  Add: binary((a, b) => a + b),
  Sub: binary((a, b) => a - b),
  Mul: binary((a, b) => a * b),
  Div: binary((a, b) => a / b),
  Pow: binary((a, b) => a ** b),
  Greater: binary((a, b) => (a > b ? 1 : 0)),
  Equal: binary((a, b) => (a === b ? 1 : 0)),
  Where: (xs) => mapN(xs, (c, a, b) => (c ? a : b)),
  Neg: unary((v) => -v),
  Exp: unary(Math.exp),
  Log: unary(Math.log),
  Sqrt: unary(Math.sqrt),
  Tanh: unary(Math.tanh),
  Erf: unary(erf),
  Sigmoid: unary((v) => 1 / (1 + Math.exp(-v))),
  Relu: unary((v) => Math.max(v, 0)),
  Abs: unary(Math.abs),
  Sin: unary(Math.sin),
  Cos: unary(Math.cos),
  Identity: (xs) => xs[0]!,
  StopGradient: (xs) => xs[0]!,
  GradReverse: (xs) => xs[0]!,
  MatMul: (xs) => matmul(xs[0]!, xs[1]!),
  ReduceSum: (xs, p) => reduce(xs[0]!, p.axes, p.keepdims, 0, (a, v) => a + v),
  ReduceMean: (xs, p) => {
    const s = reduce(xs[0]!, p.axes, p.keepdims, 0, (a, v) => a + v);
    const count = size(xs[0]!.shape) / size(s.shape);
    return { shape: s.shape, data: s.data.map((v) => v / count) };
  },
  ReduceMax: (xs, p) => reduce(xs[0]!, p.axes, p.keepdims, -Infinity, Math.max),
  Reshape: (xs, _p, out) => ({ shape: out, data: xs[0]!.data }),
  Transpose: (xs, p, out) => {
    const x = xs[0]!;
    const st = stridesOf(x.shape);
    const y = nd(out);
    forEachIndex(out, (idx, f) => {
      let k = 0;
      p.perm.forEach((src, dst) => (k += idx[dst]! * st[src]!));
      y.data[f] = x.data[k]!;
    });
    return y;
  },
  Expand: (xs, _p, out) => mapN([xs[0]!, nd(out)], (a) => a),
  Slice: (xs, p, out) => {
    const x = xs[0]!;
    const axis = normAxis(p.axis, x.shape.length, 'Slice');
    const st = stridesOf(x.shape);
    const y = nd(out);
    forEachIndex(out, (idx, f) => {
      let k = 0;
      idx.forEach((v, i) => (k += (i === axis ? v + p.start : v) * st[i]!));
      y.data[f] = x.data[k]!;
    });
    return y;
  },
  Pad: (xs, p, out) => {
    const x = xs[0]!;
    const axis = normAxis(p.axis, x.shape.length, 'Pad');
    const st = stridesOf(out);
    const y = nd(out);
    forEachIndex(x.shape, (idx, f) => {
      let k = 0;
      idx.forEach((v, i) => (k += (i === axis ? v + p.before : v) * st[i]!));
      y.data[k] = x.data[f]!;
    });
    return y;
  },
  Concat: (xs, p, out) => {
    const axis = normAxis(p.axis, out.length, 'Concat');
    const y = nd(out);
    const st = stridesOf(out);
    let at = 0;
    for (const x of xs) {
      forEachIndex(x.shape, (idx, f) => {
        let k = 0;
        idx.forEach((v, i) => (k += (i === axis ? v + at : v) * st[i]!));
        y.data[k] = x.data[f]!;
      });
      at += x.shape[axis]!;
    }
    return y;
  },
  Gather: (xs, _p, out) => {
    const [table, idx] = xs as [NDArray, NDArray];
    const row = size(table.shape.slice(1));
    const y = nd(out);
    idx.data.forEach((v, i) => y.data.set(table.data.subarray(v * row, (v + 1) * row), i * row));
    return y;
  },
  ScatterAddRows: (xs, _p, out) => {
    const [upd, idx] = xs as [NDArray, NDArray];
    const row = size(out.slice(1));
    const y = nd(out);
    idx.data.forEach((v, i) => {
      for (let j = 0; j < row; j++) y.data[v * row + j]! += upd.data[i * row + j]!;
    });
    return y;
  },
  Cast: (xs, p) => (p.to === 'float32' ? xs[0]! : { shape: xs[0]!.shape, data: xs[0]!.data.map((v) => (p.to === 'bool' ? (v ? 1 : 0) : Math.trunc(v))) }),
  Softmax: (xs, p) => softmax(xs[0]!, p.axis, false),
  LogSoftmax: (xs, p) => softmax(xs[0]!, p.axis, true),
  Conv: (xs, p, out) => conv(xs[0]!, xs[1]!, p, false, out),
  ConvTranspose: (xs, p, out) => conv(xs[0]!, xs[1]!, p, true, out),
  DimValue: (_xs, p, _out, symbols) => nd([], [resolveShape([p.dim], symbols)[0]!]),
  LayerNorm: (xs, p) => {
    const [x, w, b] = xs as [NDArray, NDArray, NDArray];
    const d = x.shape[x.shape.length - 1]!;
    const out = nd(x.shape);
    for (let o = 0; o < x.data.length; o += d) {
      let mean = 0;
      for (let i = 0; i < d; i++) mean += x.data[o + i]! / d;
      let v = 0;
      for (let i = 0; i < d; i++) v += (x.data[o + i]! - mean) ** 2 / d;
      const r = 1 / Math.sqrt(v + p.eps);
      for (let i = 0; i < d; i++) out.data[o + i] = (x.data[o + i]! - mean) * r * w.data[i]! + b.data[i]!;
    }
    return out;
  },
  Gelu: unary((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))),
  LayerNormStats: (xs, p, out) => {
    const x = xs[0]!;
    const d = x.shape[x.shape.length - 1]!;
    const y = nd(out);
    for (let o = 0, row = 0; o < x.data.length; o += d, row++) {
      let mean = 0;
      for (let i = 0; i < d; i++) mean += x.data[o + i]! / d;
      let v = 0;
      for (let i = 0; i < d; i++) v += (x.data[o + i]! - mean) ** 2 / d;
      const r = 1 / Math.sqrt(v + p.eps);
      if (p.output === 'invStd') y.data[row] = r;
      else for (let i = 0; i < d; i++) y.data[o + i] = (x.data[o + i]! - mean) * r;
    }
    return y;
  },
};

/**
 * Evaluates `targets` given values for inputs, params and buffers (by leaf name).
 * Returns arrays in float64; symbolic dims are bound from the input shapes.
 */
export function evaluate(graph: Graph, feeds: Record<string, NDArray>, targets: Tensor[]): NDArray[] {
  const symbols: Record<string, number> = {};
  for (const [name, t] of graph.inputs) {
    const v = feeds[name];
    if (v) bindSymbols(t.shape, v.shape, symbols, `input '${name}'`);
  }
  const maxId = Math.max(...targets.map((t) => t.id));
  const values = new Map<number, NDArray>();
  const needed = new Set<number>();
  const stack = [...targets];
  while (stack.length) {
    const t = stack.pop()!;
    if (needed.has(t.id)) continue;
    needed.add(t.id);
    if (t.node.kind === 'op') stack.push(...t.node.inputs);
  }
  for (let id = 0; id <= maxId; id++) {
    if (!needed.has(id)) continue;
    const t = graph.tensors[id]!;
    const node = t.node;
    if (node.kind === 'constant') values.set(id, nd(t.shape as number[], Array.from(node.data, Number)));
    else if (node.kind !== 'op') {
      const v = feeds[node.name];
      if (!v) throw new Error(`reference: no value fed for '${node.name}'`);
      values.set(id, v);
    } else {
      const xs = node.inputs.map((i) => values.get(i.id)!);
      const out = resolveShape(t.shape, symbols);
      values.set(id, (REF[node.op] as Ev<Op>)(xs, node.params, out, symbols));
    }
  }
  return targets.map((t) => values.get(t.id)!);
}
