/**
 * Compiling graphs to runnable ONNX: an inference model (weights baked in as initializers) and a
 * training-step model (inputs: parameters, optimizer state, buffers, batch, step scalars; outputs:
 * updated parameters/state/buffers, the loss and metrics).
 */
import { gradients } from './autodiff.js';
import { emitOnnx } from './emit.js';
import type { Graph, Tensor } from './ir.js';
import { serializeModel } from './onnx/model.js';
import { applyUpdate, clipByGlobalNorm, declareScalars, stateSlots, type OptimizerConfig } from './optim.js';

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
  let grads = gradients(loss, trainable.map((p) => p.tensor));
  const missing = trainable.filter((_, i) => !grads[i]).map((p) => p.name);
  if (missing.length) {
    throw new Error(`the loss does not depend on trainable parameter(s) ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}: freeze them or remove them`);
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
    },
  };
}
