/**
 * Compiling graphs to runnable ONNX: an inference model (weights baked in as initializers) and a
 * training-step model (inputs: parameters, optimizer state, buffers, batch, step scalars; outputs:
 * updated parameters/state/buffers, the loss and metrics).
 */
import { gradients } from './autodiff.js';
import { emitOnnx } from './emit.js';
import { where } from './functional.js';
import type { Graph, Tensor } from './ir.js';
import { serializeModel } from './onnx/model.js';
import type { Op } from './ops.js';
import { applyUpdate, clipByGlobalNorm, declareScalars, type OptimizerConfig, stateSlots } from './optim.js';

export function compileInference(
  graph: Graph,
  outputs: Record<string, Tensor>,
  weights: ReadonlyMap<string, Float32Array>,
  opts: { name?: string; metadata?: Record<string, string> } = {},
): Uint8Array {
  return serializeModel(emitOnnx(graph, { outputs, weights: 'initializers', weightValues: weights, portable: true, ...opts }));
}

export interface TrainStepSpec {
  /** A graph built with training = true; its batch inputs are declared with graph.input(). */
  graph: Graph;
  /** Scalar loss to minimise. */
  loss: Tensor;
  /** Extra scalar outputs reported each step (loss terms, accuracies). */
  metrics?: Record<string, Tensor>;
  optimizer: OptimizerConfig;
  /** Clip the global gradient norm to this value (reported as metric 'grad_norm'). */
  clipGradNorm?: number;
  /**
   * Write updated state over the input arrays where that is safe (default true: saves a second copy
   * of the optimizer state); 'state' excludes parameters, false keeps every update double-buffered.
   */
  inPlace?: boolean | 'state';
}

export interface TrainStepLayout {
  /** Trainable parameters, in order. */
  params: string[];
  /** Frozen parameters (fed, never updated). */
  frozen: string[];
  /** Optimizer slots per parameter, e.g. ['exp_avg', 'exp_avg_sq']. */
  slots: string[];
  /** Buffers updated by the forward pass (BatchNorm running stats). */
  updatedBuffers: string[];
  /** Buffers only read. */
  readBuffers: string[];
  /** Batch inputs (graph inputs other than the step scalars). */
  batchInputs: string[];
  metrics: string[];
  /**
   * Updated values (optimizer state, buffers, some parameters) that onnxruntime may write over
   * their own input array: every read of the old value happens before the new one is computed.
   */
  inPlace: string[];
}

export const stateName = (param: string, slot: string): string => `${param}.${slot}`;
export const newName = (name: string): string => `new.${name}`;

export function compileTrainStep(spec: TrainStepSpec): { model: Uint8Array; layout: TrainStepLayout } {
  const { graph, loss } = spec;
  if (!graph.training) throw new Error('internal: compileTrainStep needs a graph built with training = true');
  const batchInputs = [...graph.inputs.keys()];
  const scalars = declareScalars(graph);
  const trainable = [...graph.params.values()].filter((p) => p.trainable);
  const frozen = [...graph.params.values()].filter((p) => !p.trainable).map((p) => p.name);
  let grads = gradients(
    loss,
    trainable.map((p) => p.tensor),
  );
  const missing = trainable.filter((_, i) => !grads[i]).map((p) => p.name);
  if (missing.length) {
    throw new Error(
      `the loss does not depend on trainable parameter(s) ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}: freeze them or remove them`,
    );
  }
  const outputs: Record<string, Tensor> = { loss };
  const metrics: Record<string, Tensor> = { ...(spec.metrics ?? {}) };
  if (spec.clipGradNorm !== undefined) {
    const clipped = clipByGlobalNorm(grads as Tensor[], spec.clipGradNorm);
    grads = clipped.grads;
    metrics.grad_norm = clipped.norm;
  }
  for (const [k, v] of Object.entries(metrics)) outputs[`metric.${k}`] = v;

  const slots = stateSlots(spec.optimizer);
  trainable.forEach((p, i) => {
    const state = slots.map((s) => graph.input(stateName(p.name, s), p.shape));
    const upd = applyUpdate(spec.optimizer, p.tensor, grads[i]!, state, scalars);
    outputs[newName(p.name)] = upd.param;
    slots.forEach((s, k) => (outputs[newName(stateName(p.name, s))] = upd.state[k]!));
  });
  for (const [name, t] of graph.bufferUpdates) outputs[newName(name)] = t;

  // Updates written in place must not land when the step is discarded (non-finite loss), so
  // they keep the old value then: where(loss is finite, new, old); equal values otherwise.
  const leaves = new Map<string, Tensor>();
  for (const p of trainable) leaves.set(p.name, p.tensor);
  for (const [name, b] of graph.buffers) leaves.set(name, b.tensor);
  for (const p of trainable) for (const s of slots) leaves.set(stateName(p.name, s), graph.inputs.get(stateName(p.name, s))!);
  const inPlace = spec.inPlace === false ? [] : inPlaceUpdates(leaves, outputs, spec.inPlace === 'state' ? new Set(trainable.map((p) => p.name)) : new Set());
  if (inPlace.length) {
    const finite = loss.sub(loss).equal(0); // false for NaN and +-Inf
    for (const name of inPlace) outputs[newName(name)] = where(finite, outputs[newName(name)]!, leaves.get(name)!);
  }

  const model = serializeModel(emitOnnx(graph, { outputs, weights: 'inputs', name: 'train_step' }));
  const updatedBuffers = [...graph.bufferUpdates.keys()];
  return {
    model,
    layout: {
      params: trainable.map((p) => p.name),
      frozen,
      slots,
      updatedBuffers,
      readBuffers: [...graph.buffers.keys()].filter((b) => !graph.bufferUpdates.has(b)),
      batchInputs,
      metrics: Object.keys(metrics),
      inPlace,
    },
  };
}

/** Ops whose result onnxruntime may alias to their input, or fuse into the op that reads it. */
const VIEW_OPS: ReadonlySet<Op> = new Set<Op>(['Reshape', 'Identity', 'StopGradient', 'GradReverse', 'Transpose', 'Expand', 'Slice']);

/**
 * Names whose new value may overwrite the old one in the same array. onnxruntime runs nodes in any
 * order that respects data dependencies, so this is safe exactly when every op that reads the old
 * value (directly or through views) is an ancestor of the op producing the new one.
 */
function inPlaceUpdates(leaves: ReadonlyMap<string, Tensor>, outputs: Record<string, Tensor>, exclude: ReadonlySet<string>): string[] {
  const consumers = new Map<number, Tensor[]>();
  const seen = new Set<number>();
  const stack = Object.values(outputs);
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    if (t.node.kind !== 'op') continue;
    for (const i of t.node.inputs) {
      const list = consumers.get(i.id) ?? [];
      if (!list.includes(t)) list.push(t);
      consumers.set(i.id, list);
      stack.push(i);
    }
  }
  const out: string[] = [];
  for (const [name, leaf] of leaves) {
    const updated = outputs[newName(name)];
    if (!updated || exclude.has(name) || updated.node.kind !== 'op' || VIEW_OPS.has(updated.node.op)) continue;
    // Readers of the old value: its consumers, and the consumers of any view of it.
    const readers: Tensor[] = [];
    const pending = [...(consumers.get(leaf.id) ?? [])];
    while (pending.length) {
      const r = pending.pop()!;
      readers.push(r);
      if (r.node.kind === 'op' && VIEW_OPS.has(r.node.op)) pending.push(...(consumers.get(r.id) ?? []));
    }
    // Ids are topological, so the walk back from the update can stop below the oldest reader.
    const missing = new Set(readers.map((r) => r.id));
    const oldest = Math.min(...missing);
    const visited = new Set<number>();
    const walk = [updated];
    while (walk.length && missing.size) {
      const t = walk.pop()!;
      if (visited.has(t.id) || t.id < oldest) continue;
      visited.add(t.id);
      missing.delete(t.id);
      if (t.node.kind === 'op') walk.push(...t.node.inputs);
    }
    if (!missing.size) out.push(name);
  }
  return out;
}
