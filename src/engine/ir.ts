/**
 * The graph IR: tensors are symbolic values with static shapes (plus a symbolic batch dim); every
 * op node has one output. A Graph records nodes in construction order, which is a topological order.
 *
 * Leaves: inputs (fed at run time), params (trainable weights, values live outside the graph),
 * buffers (non-trainable state such as BatchNorm running statistics) and constants.
 */
import { OP_DEFS, type Op, type OpParams } from './ops.js';
import { type Dim, fmt, isStatic, type Shape, ShapeError } from './shape.js';

export type DType = 'float32' | 'int64' | 'bool';

/** How a parameter is initialised (PyTorch defaults are expressed with these). */
export type Init = { kind: 'uniform'; bound: number } | { kind: 'normal'; std: number } | { kind: 'const'; value: number };

export type LeafNode =
  | { kind: 'input'; name: string }
  | { kind: 'param'; name: string; init: Init; trainable: boolean }
  | { kind: 'buffer'; name: string; init: Init }
  | { kind: 'constant'; data: Float32Array | BigInt64Array };

export interface OpNode<K extends Op = Op> {
  kind: 'op';
  op: K;
  inputs: Tensor[];
  params: OpParams[K];
}

export type Node = LeafNode | OpNode;

type Operand = Tensor | number;

export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly shape: Shape,
    readonly dtype: DType,
    readonly node: Node,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  /** Static size of an axis (throws for a symbolic one). */
  size(axis: number): number {
    const d = this.shape[axis < 0 ? axis + this.rank : axis];
    if (typeof d !== 'number') throw new ShapeError(`axis ${axis} of ${fmt(this.shape)} is symbolic (${d})`);
    return d;
  }

  private lift(v: Operand): Tensor {
    return typeof v === 'number' ? this.graph.scalar(v) : v;
  }

  add(o: Operand): Tensor {
    return this.graph.apply('Add', [this, this.lift(o)], {});
  }
  sub(o: Operand): Tensor {
    return this.graph.apply('Sub', [this, this.lift(o)], {});
  }
  mul(o: Operand): Tensor {
    return this.graph.apply('Mul', [this, this.lift(o)], {});
  }
  div(o: Operand): Tensor {
    return this.graph.apply('Div', [this, this.lift(o)], {});
  }
  pow(o: Operand): Tensor {
    return this.graph.apply('Pow', [this, this.lift(o)], {});
  }
  greater(o: Operand): Tensor {
    return this.graph.apply('Greater', [this, this.lift(o)], {});
  }
  equal(o: Operand): Tensor {
    return this.graph.apply('Equal', [this, this.lift(o)], {});
  }
  neg(): Tensor {
    return this.graph.apply('Neg', [this], {});
  }
  exp(): Tensor {
    return this.graph.apply('Exp', [this], {});
  }
  log(): Tensor {
    return this.graph.apply('Log', [this], {});
  }
  sqrt(): Tensor {
    return this.graph.apply('Sqrt', [this], {});
  }
  tanh(): Tensor {
    return this.graph.apply('Tanh', [this], {});
  }
  erf(): Tensor {
    return this.graph.apply('Erf', [this], {});
  }
  sigmoid(): Tensor {
    return this.graph.apply('Sigmoid', [this], {});
  }
  relu(): Tensor {
    return this.graph.apply('Relu', [this], {});
  }
  abs(): Tensor {
    return this.graph.apply('Abs', [this], {});
  }
  sin(): Tensor {
    return this.graph.apply('Sin', [this], {});
  }
  cos(): Tensor {
    return this.graph.apply('Cos', [this], {});
  }
  matmul(o: Tensor): Tensor {
    return this.graph.apply('MatMul', [this, o], {});
  }
  sum(axes: number[], keepdims = false): Tensor {
    return this.graph.apply('ReduceSum', [this], { axes, keepdims });
  }
  mean(axes: number[], keepdims = false): Tensor {
    return this.graph.apply('ReduceMean', [this], { axes, keepdims });
  }
  max(axes: number[], keepdims = false): Tensor {
    return this.graph.apply('ReduceMax', [this], { axes, keepdims });
  }
  reshape(shape: Dim[]): Tensor {
    return this.graph.apply('Reshape', [this], { shape });
  }
  transpose(perm: number[]): Tensor {
    return this.graph.apply('Transpose', [this], { perm });
  }
  /** Swaps the last two axes. */
  get T(): Tensor {
    const perm = this.shape.map((_, i) => i);
    const n = perm.length;
    if (n < 2) throw new ShapeError(`T: needs rank >= 2, got ${fmt(this.shape)}`);
    [perm[n - 2], perm[n - 1]] = [n - 1, n - 2];
    return this.transpose(perm);
  }
  expand(shape: Dim[]): Tensor {
    return this.graph.apply('Expand', [this], { shape });
  }
  slice(axis: number, start: number, end: number): Tensor {
    return this.graph.apply('Slice', [this], { axis, start, end });
  }
  pad(axis: number, before: number, after: number): Tensor {
    return this.graph.apply('Pad', [this], { axis, before, after });
  }
  cast(to: DType): Tensor {
    return this.graph.apply('Cast', [this], { to });
  }
  softmax(axis = -1): Tensor {
    return this.graph.apply('Softmax', [this], { axis });
  }
  logSoftmax(axis = -1): Tensor {
    return this.graph.apply('LogSoftmax', [this], { axis });
  }
  stopGradient(): Tensor {
    return this.graph.apply('StopGradient', [this], {});
  }
  gradReverse(eta: number): Tensor {
    return this.graph.apply('GradReverse', [this], { eta });
  }
}

export interface ParamInfo {
  name: string;
  shape: number[];
  init: Init;
  trainable: boolean;
  tensor: Tensor;
}

export class Graph {
  readonly tensors: Tensor[] = [];
  readonly inputs = new Map<string, Tensor>();
  readonly params = new Map<string, ParamInfo>();
  readonly buffers = new Map<string, ParamInfo>();
  readonly outputs = new Map<string, Tensor>();
  /** New values of buffers computed by the forward pass (training-mode BatchNorm). */
  readonly bufferUpdates = new Map<string, Tensor>();
  private readonly scalars = new Map<string, Tensor>();

  /** When true, layers such as BatchNorm use batch statistics and record buffer updates. */
  constructor(public training = false) {}

  private add(shape: Shape, dtype: DType, node: Node): Tensor {
    const t = new Tensor(this, this.tensors.length, shape, dtype, node);
    this.tensors.push(t);
    return t;
  }

  input(name: string, shape: Shape, dtype: DType = 'float32'): Tensor {
    if (this.inputs.has(name)) throw new Error(`internal: graph input '${name}' declared twice`);
    const t = this.add(shape, dtype, { kind: 'input', name });
    this.inputs.set(name, t);
    return t;
  }

  param(name: string, shape: number[], init: Init, trainable = true): Tensor {
    const existing = this.params.get(name);
    if (existing) {
      if (fmt(existing.shape) !== fmt(shape)) {
        throw new ShapeError(`parameter '${name}' reused with shape ${fmt(shape)}, first declared ${fmt(existing.shape)}`);
      }
      return existing.tensor;
    }
    const tensor = this.add(shape, 'float32', { kind: 'param', name, init, trainable });
    this.params.set(name, { name, shape, init, trainable, tensor });
    return tensor;
  }

  /** Makes these parameters non-trainable (fed as inputs, no gradient, no optimizer state). */
  freeze(names: Iterable<string>): void {
    for (const name of names) {
      const p = this.params.get(name);
      if (!p) throw new Error(`internal: freeze: no parameter '${name}'`);
      p.trainable = false;
      if (p.tensor.node.kind === 'param') p.tensor.node.trainable = false;
    }
  }

  buffer(name: string, shape: number[], init: Init): Tensor {
    const existing = this.buffers.get(name);
    if (existing) return existing.tensor;
    const tensor = this.add(shape, 'float32', { kind: 'buffer', name, init });
    this.buffers.set(name, { name, shape, init, trainable: false, tensor });
    return tensor;
  }

  constant(data: Float32Array | BigInt64Array | number[], shape: number[], dtype: DType = 'float32'): Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    let stored: Float32Array | BigInt64Array;
    if (dtype === 'int64') stored = data instanceof BigInt64Array ? data : BigInt64Array.from(Array.from(data as ArrayLike<number>, (v) => BigInt(v)));
    else if (dtype === 'float32') stored = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
    else throw new Error(`internal: constants of dtype ${dtype} are not supported`);
    if (stored.length !== n) throw new ShapeError(`constant: ${stored.length} values for shape ${fmt(shape)}`);
    return this.add(shape, dtype, { kind: 'constant', data: stored });
  }

  /** A float32 scalar constant, shared by value. */
  scalar(v: number): Tensor {
    const key = Object.is(v, -0) ? '-0' : String(v);
    let t = this.scalars.get(key);
    if (!t) {
      t = this.constant([v], []);
      this.scalars.set(key, t);
    }
    return t;
  }

  apply<K extends Op>(op: K, inputs: Tensor[], params: OpParams[K]): Tensor {
    for (const x of inputs) {
      if (x.graph !== this) throw new Error(`internal: ${op} mixes tensors of different graphs`);
    }
    const def = OP_DEFS[op];
    const { shape, dtype } = def.infer(inputs, params);
    return this.add(shape, dtype, { kind: 'op', op, inputs, params } as OpNode<K>);
  }

  output(name: string, t: Tensor): Tensor {
    if (this.outputs.has(name)) throw new Error(`internal: graph output '${name}' declared twice`);
    this.outputs.set(name, t);
    return t;
  }

  /** The latest value of a buffer in this graph: its last update, or the stored value. */
  bufferValue(name: string): Tensor {
    const b = this.buffers.get(name);
    if (!b) throw new Error(`internal: no buffer '${name}'`);
    return this.bufferUpdates.get(name) ?? b.tensor;
  }

  updateBuffer(name: string, value: Tensor): void {
    const b = this.buffers.get(name);
    if (!b) throw new Error(`internal: no buffer '${name}'`);
    if (fmt(b.shape) !== fmt(value.shape)) {
      throw new ShapeError(`buffer '${name}' update has shape ${fmt(value.shape)}, expected ${fmt(b.shape)}`);
    }
    this.bufferUpdates.set(name, value);
  }

  /** Value of a (possibly symbolic) dim as a float32 scalar tensor, computed at run time if needed. */
  dimValue(dim: Dim): Tensor {
    if (typeof dim === 'number') return this.scalar(dim);
    return this.apply('DimValue', [], { dim });
  }
}

export function isStaticTensor(t: Tensor): boolean {
  return isStatic(t.shape);
}
