/**
 * Lowering of a Graph to an ONNX model: one table from op to ONNX nodes (opset 17), plus the
 * bookkeeping (dead-code elimination, naming, run-time shapes for symbolic dims).
 */
import type { Graph, Tensor } from './ir.js';
import { f32Tensor, i64Tensor, type OnnxModel, type OnnxNode, OPSET, type TensorData, type ValueInfo } from './onnx/model.js';
import { axesOf, type Op, type OpParams } from './ops.js';
import { type Dim, normAxis, type Shape } from './shape.js';

export interface EmitOptions {
  /** Graph outputs by name. */
  outputs: Record<string, Tensor>;
  /** Params and buffers become initializers (inference) or graph inputs (training steps). */
  weights: 'initializers' | 'inputs';
  /** Values for params and buffers when weights = 'initializers'. */
  weightValues?: ReadonlyMap<string, Float32Array>;
  name?: string;
  metadata?: Record<string, string>;
  /**
   * Standard ONNX ops only (no onnxruntime contrib ops), for models other runtimes load too.
   * onnxruntime fuses the standard GELU subgraph back at load time, so inference loses nothing;
   * training graphs use the contrib op, since there the subgraph's intermediates would be kept.
   */
  portable?: boolean;
}

class EmitContext {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: TensorData[] = [];
  private counter = 0;
  private readonly symbolSources = new Map<string, { input: string; axis: number; coef: number }>();
  private readonly symbolValues = new Map<string, string>();
  /** LayerNormStats already emitted, by input name and eps. */
  readonly layerNormStats = new Map<string, { normalized: string; invStd: string }>();

  constructor(
    readonly graph: Graph,
    readonly portable = false,
  ) {
    for (const [name, t] of graph.inputs) {
      t.shape.forEach((d, axis) => {
        if (typeof d !== 'string') return;
        const m = /^(?:(\d+)\*)?(\w+)$/.exec(d)!;
        const sym = m[2]!;
        if (!this.symbolSources.has(sym)) this.symbolSources.set(sym, { input: name, axis, coef: m[1] ? Number(m[1]) : 1 });
      });
    }
  }

  fresh(hint: string): string {
    return `_${hint}${this.counter++}`;
  }

  node(opType: string, inputs: string[], outputs: string[], attrs?: OnnxNode['attrs']): void {
    this.nodes.push({ opType, inputs, outputs, ...(attrs ? { attrs } : {}) });
  }

  /** A new int64 1-D constant. */
  i64(values: number[]): string {
    const name = this.fresh('const');
    this.initializers.push(i64Tensor(name, [values.length], values));
    return name;
  }

  /** Run-time int64 scalar (shape [1]) holding the value of a symbolic dim. */
  private symbolValue(d: string): string {
    const cached = this.symbolValues.get(d);
    if (cached) return cached;
    const m = /^(?:(\d+)\*)?(\w+)$/.exec(d)!;
    const coef = m[1] ? Number(m[1]) : 1;
    const src = this.symbolSources.get(m[2]!);
    if (!src) throw new Error(`internal: symbolic dim '${d}' is not defined by any graph input`);
    const shape = this.fresh('shape');
    this.node('Shape', [src.input], [shape]);
    let v = this.fresh('dim');
    this.node('Gather', [shape, this.i64([src.axis])], [v], { axis: 0 });
    if (src.coef !== 1) {
      const w = this.fresh('dim');
      this.node('Div', [v, this.i64([src.coef])], [w]);
      v = w;
    }
    if (coef !== 1) {
      const w = this.fresh('dim');
      this.node('Mul', [v, this.i64([coef])], [w]);
      v = w;
    }
    this.symbolValues.set(d, v);
    return v;
  }

  /** An int64 shape tensor for a shape that may contain symbolic dims. */
  shape(dims: readonly Dim[]): string {
    if (dims.every((d) => typeof d === 'number')) return this.i64(dims as number[]);
    const parts = dims.map((d) => (typeof d === 'number' ? this.i64([d]) : this.symbolValue(d)));
    const out = this.fresh('shape');
    this.node('Concat', parts, [out], { axis: 0 });
    return out;
  }

  dimScalarF32(d: Dim): string {
    const out = this.fresh('dimf');
    if (typeof d === 'number') {
      this.initializers.push(f32Tensor(out, [], Float32Array.of(d)));
      return out;
    }
    const r = this.fresh('dims');
    this.node('Reshape', [this.symbolValue(d), this.i64([])], [r]);
    this.node('Cast', [r], [out], { to: 1 });
    return out;
  }
}

type Emit<K extends Op> = (ctx: EmitContext, x: string[], y: string, p: OpParams[K], node: { inputs: Tensor[]; out: Tensor }) => void;

const direct =
  (opType: string) =>
  (ctx: EmitContext, x: string[], y: string): void =>
    ctx.node(opType, x, [y]);

function convAttrs(p: OpParams['Conv'], w: Tensor): NonNullable<OnnxNode['attrs']> {
  return { strides: p.strides, pads: p.pads, dilations: p.dilations, kernel_shape: w.shape.slice(2) as number[] };
}

const EMIT: { [K in Op]: Emit<K> } = {
  Add: direct('Add'),
  Sub: direct('Sub'),
  Mul: direct('Mul'),
  Div: direct('Div'),
  Pow: direct('Pow'),
  Greater: direct('Greater'),
  Equal: direct('Equal'),
  Where: direct('Where'),
  Neg: direct('Neg'),
  Exp: direct('Exp'),
  Log: direct('Log'),
  Sqrt: direct('Sqrt'),
  Tanh: direct('Tanh'),
  Erf: direct('Erf'),
  Sigmoid: direct('Sigmoid'),
  Relu: direct('Relu'),
  Abs: direct('Abs'),
  Sin: direct('Sin'),
  Cos: direct('Cos'),
  MatMul: direct('MatMul'),
  Identity: direct('Identity'),
  StopGradient: direct('Identity'),
  GradReverse: direct('Identity'),
  ReduceSum: (ctx, x, y, p, n) => ctx.node('ReduceSum', [x[0]!, ctx.i64(axesOf(n.inputs[0]!, p.axes, 'ReduceSum'))], [y], { keepdims: p.keepdims ? 1 : 0 }),
  ReduceMean: (ctx, x, y, p, n) => ctx.node('ReduceMean', x, [y], { axes: axesOf(n.inputs[0]!, p.axes, 'ReduceMean'), keepdims: p.keepdims ? 1 : 0 }),
  ReduceMax: (ctx, x, y, p, n) => ctx.node('ReduceMax', x, [y], { axes: axesOf(n.inputs[0]!, p.axes, 'ReduceMax'), keepdims: p.keepdims ? 1 : 0 }),
  Reshape: (ctx, x, y, _p, n) => {
    const target = n.out.shape;
    const symbolic = target.filter((d) => typeof d === 'string').length;
    // One symbolic dim: let ONNX infer it with -1, no run-time shape arithmetic needed.
    const shape = symbolic === 1 ? ctx.i64(target.map((d) => (typeof d === 'number' ? d : -1))) : ctx.shape(target);
    ctx.node('Reshape', [x[0]!, shape], [y]);
  },
  Transpose: (ctx, x, y, p) => ctx.node('Transpose', x, [y], { perm: p.perm }),
  Expand: (ctx, x, y, p, n) => {
    const src = n.inputs[0]!.shape;
    const offset = p.shape.length - src.length;
    // Expand broadcasts both ways: a 1 keeps the input's dim, so symbolic dims already present need no run-time shape.
    const keep = p.shape.map((d, i) => (typeof d === 'string' && i >= offset && src[i - offset] === d ? 1 : d));
    ctx.node('Expand', [x[0]!, ctx.shape(keep)], [y]);
  },
  Slice: (ctx, x, y, p, n) => {
    const axis = normAxis(p.axis, n.inputs[0]!.rank, 'Slice');
    ctx.node('Slice', [x[0]!, ctx.i64([p.start]), ctx.i64([p.end]), ctx.i64([axis])], [y]);
  },
  Pad: (ctx, x, y, p, n) => {
    const rank = n.inputs[0]!.rank;
    const axis = normAxis(p.axis, rank, 'Pad');
    const pads = new Array<number>(2 * rank).fill(0);
    pads[axis] = p.before;
    pads[rank + axis] = p.after;
    ctx.node('Pad', [x[0]!, ctx.i64(pads)], [y], { mode: 'constant' });
  },
  Concat: (ctx, x, y, p, n) => ctx.node('Concat', x, [y], { axis: normAxis(p.axis, n.inputs[0]!.rank, 'Concat') }),
  Gather: (ctx, x, y) => ctx.node('Gather', x, [y], { axis: 0 }),
  ScatterAddRows: (ctx, x, y, _p, n) => {
    const zeros = ctx.fresh('zeros');
    ctx.node('ConstantOfShape', [ctx.shape(n.out.shape)], [zeros], { value: f32Tensor('', [1], Float32Array.of(0)) });
    const idx = ctx.fresh('idx');
    ctx.node('Unsqueeze', [x[1]!, ctx.i64([-1])], [idx]);
    ctx.node('ScatterND', [zeros, idx, x[0]!], [y], { reduction: 'add' });
  },
  Cast: (ctx, x, y, p) => ctx.node('Cast', x, [y], { to: p.to === 'float32' ? 1 : p.to === 'int64' ? 7 : 9 }),
  Softmax: (ctx, x, y, p) => ctx.node('Softmax', x, [y], { axis: p.axis }),
  LogSoftmax: (ctx, x, y, p) => ctx.node('LogSoftmax', x, [y], { axis: p.axis }),
  Conv: (ctx, x, y, p, n) => ctx.node('Conv', x, [y], convAttrs(p, n.inputs[1]!)),
  ConvTranspose: (ctx, x, y, p, n) => ctx.node('ConvTranspose', x, [y], { ...convAttrs(p, n.inputs[1]!), output_padding: p.outputPadding }),
  DimValue: (ctx, _x, y, p) => ctx.node('Identity', [ctx.dimScalarF32(p.dim)], [y]),
  LayerNorm: (ctx, x, y, p) => ctx.node('LayerNormalization', x, [y], { axis: -1, epsilon: { float: p.eps } }),
  LayerNormStats: (ctx, x, y, p, n) => {
    // One LayerNormalization (unit scale, zero bias) yields both the normalised input (output 0)
    // and 1/sqrt(var + eps) (output 2); both stats ops of the same input share it, and the
    // Identity nodes naming its outputs are removed by onnxruntime's optimizer.
    const key = `${x[0]}|${p.eps}`;
    let stats = ctx.layerNormStats.get(key);
    if (!stats) {
      const d = n.inputs[0]!.shape[n.inputs[0]!.rank - 1] as number;
      const ones = ctx.fresh('ones');
      const zeros = ctx.fresh('zeros');
      ctx.initializers.push(f32Tensor(ones, [d], new Float32Array(d).fill(1)), f32Tensor(zeros, [d], new Float32Array(d)));
      stats = { normalized: ctx.fresh('lnxh'), invStd: ctx.fresh('lnr') };
      ctx.node('LayerNormalization', [x[0]!, ones, zeros], [stats.normalized, '', stats.invStd], { axis: -1, epsilon: { float: p.eps } });
      ctx.layerNormStats.set(key, stats);
    }
    ctx.node('Identity', [stats[p.output]], [y]);
  },
  // onnxruntime's contrib Gelu is the exact erf form (FastGelu is the tanh one).
  Gelu: (ctx, x, y) => {
    if (!ctx.portable) return void ctx.nodes.push({ opType: 'Gelu', inputs: x, outputs: [y], domain: 'com.microsoft' });
    // x/2 (1 + erf(x / sqrt 2)), the pattern onnxruntime's GeluFusion recognises.
    const c = (v: number): string => {
      const name = ctx.fresh('const');
      ctx.initializers.push(f32Tensor(name, [], Float32Array.of(v)));
      return name;
    };
    const [a, b, d, e] = [ctx.fresh('gelu'), ctx.fresh('gelu'), ctx.fresh('gelu'), ctx.fresh('gelu')];
    ctx.node('Div', [x[0]!, c(Math.SQRT2)], [a]);
    ctx.node('Erf', [a], [b]);
    ctx.node('Add', [b, c(1)], [d]);
    ctx.node('Mul', [x[0]!, d], [e]);
    ctx.node('Mul', [e, c(0.5)], [y]);
  },
};

/** Tensors the outputs depend on, in topological (id) order. */
export function liveTensors(roots: Tensor[]): Tensor[] {
  const seen = new Set<number>();
  const stack = [...roots];
  const out: Tensor[] = [];
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    out.push(t);
    if (t.node.kind === 'op') stack.push(...t.node.inputs);
  }
  return out.sort((a, b) => a.id - b.id);
}

function valueInfo(name: string, t: Tensor): ValueInfo {
  return { name, dtype: t.dtype, dims: t.shape.map((d) => d) as (number | string)[] };
}

export function emitOnnx(graph: Graph, opts: EmitOptions): OnnxModel {
  const ctx = new EmitContext(graph, opts.portable ?? false);
  const outputEntries = Object.entries(opts.outputs);
  const live = liveTensors(outputEntries.map(([, t]) => t));
  const names = new Map<number, string>();
  const inputs: ValueInfo[] = [];

  // Name op results that are graph outputs after the output, so no Identity copy is needed.
  const claimed = new Set<number>();
  for (const [name, t] of outputEntries) {
    if (t.node.kind === 'op' && !claimed.has(t.id)) {
      names.set(t.id, name);
      claimed.add(t.id);
    }
  }

  for (const t of live) {
    const node = t.node;
    if (node.kind === 'input') {
      names.set(t.id, node.name);
      inputs.push(valueInfo(node.name, t));
    } else if (node.kind === 'param' || node.kind === 'buffer') {
      names.set(t.id, node.name);
      if (opts.weights === 'inputs') inputs.push(valueInfo(node.name, t));
      else {
        const v = opts.weightValues?.get(node.name);
        if (!v) throw new Error(`no value for weight '${node.name}' ${JSON.stringify(t.shape)}: initialise or load the model first`);
        if (v.length !== t.shape.reduce<number>((a, d) => a * (d as number), 1)) {
          throw new Error(`weight '${node.name}' has ${v.length} values, expected shape ${JSON.stringify(t.shape)}`);
        }
        ctx.initializers.push(f32Tensor(node.name, t.shape as number[], v));
      }
    } else if (node.kind === 'constant') {
      const name = `c${t.id}`;
      names.set(t.id, name);
      ctx.initializers.push(
        node.data instanceof BigInt64Array ? i64Tensor(name, t.shape as number[], node.data) : f32Tensor(name, t.shape as number[], node.data),
      );
    } else {
      const y = names.get(t.id) ?? `t${t.id}`;
      names.set(t.id, y);
      const x = node.inputs.map((i) => names.get(i.id)!);
      (EMIT[node.op] as Emit<Op>)(ctx, x, y, node.params, { inputs: node.inputs, out: t });
    }
  }

  const outputs: ValueInfo[] = [];
  for (const [name, t] of outputEntries) {
    const src = names.get(t.id)!;
    if (src !== name) ctx.node('Identity', [src], [name]);
    outputs.push(valueInfo(name, t));
  }
  return {
    nodes: ctx.nodes,
    inputs,
    outputs,
    initializers: ctx.initializers,
    opset: OPSET,
    ...(opts.name ? { name: opts.name } : {}),
    ...(opts.metadata ? { metadata: opts.metadata } : {}),
  };
}

export type { Shape };
