/**
 * The shared training loop of the world models: a Trainer over a compiled step, a warm-up + cosine
 * learning rate, a progress bar (or a quiet callback) and a loss history for the build report.
 */

import type { Graph } from '../../engine/ir.js';
import type { HostTensor } from '../../engine/runtime.js';
import { warmupCosine } from '../../engine/schedules.js';
import type { Trainer } from '../../engine/trainer.js';
import { Progress } from '../../util/progress.js';

export interface LoopOptions {
  label: string;
  steps: number;
  lr: number;
  warmup: number;
  /** Draw the progress bar on stderr (the CLI); tests pass false. */
  progress: boolean;
  /** Called every `every` steps (and after the last) with the step count; may run checks. */
  onCheckpoint?: (step: number) => Promise<Record<string, number> | undefined>;
  every?: number;
  /** Called after every step (e.g. to update an EMA of the weights). */
  afterStep?: (trainer: Trainer) => void;
}

export interface LoopResult {
  /** Mean loss over consecutive windows of ~steps/20 steps: [step at window end, mean loss]. */
  lossCurve: [number, number][];
  firstLoss: number;
  lastLoss: number;
  seconds: number;
  checks: { step: number; values: Record<string, number> }[];
}

/** What every world-model trainer returns (plus its own checks). */
export interface TrainedModel {
  onnx: Uint8Array;
  weights: Map<string, Float32Array>;
  params: number;
  shapes: Map<string, number[]>;
  loop: LoopResult;
}

export async function trainLoop(
  trainer: Trainer,
  nextBatch: (step: number) => Record<string, HostTensor> | Promise<Record<string, HostTensor>>,
  o: LoopOptions,
): Promise<LoopResult> {
  const schedule = warmupCosine(o.lr, o.warmup, o.steps, o.lr * 0.05);
  const bar = o.progress ? new Progress({ total: o.steps, label: o.label }) : null;
  const window = Math.max(1, Math.round(o.steps / 20));
  const lossCurve: [number, number][] = [];
  const checks: LoopResult['checks'] = [];
  let sum = 0;
  let count = 0;
  let firstLoss = NaN;
  let lastWindow = NaN;
  const start = Date.now();
  for (let step = 0; step < o.steps; step++) {
    const r = await trainer.runStep(await nextBatch(step), schedule(step));
    if (step === 0) firstLoss = r.loss!;
    o.afterStep?.(trainer);
    sum += r.loss!;
    count++;
    if (count === window || step === o.steps - 1) {
      lastWindow = sum / count;
      lossCurve.push([step + 1, lastWindow]);
      sum = 0;
      count = 0;
    }
    bar?.tick(1, { loss: Number(r.loss!.toFixed(4)) });
    const every = o.every ?? 0;
    if (o.onCheckpoint && ((every > 0 && (step + 1) % every === 0) || step === o.steps - 1)) {
      const values = await o.onCheckpoint(step + 1);
      if (values) checks.push({ step: step + 1, values });
    }
  }
  bar?.done();
  return { lossCurve, firstLoss, lastLoss: lastWindow, seconds: (Date.now() - start) / 1000, checks };
}

export function countParams(weights: ReadonlyMap<string, Float32Array>): number {
  let n = 0;
  for (const v of weights.values()) n += v.length;
  return n;
}

/** Shapes of a graph's params and buffers (for safetensors headers). */
export function paramShapes(graph: Graph): Map<string, number[]> {
  return new Map([...graph.params.values(), ...graph.buffers.values()].map((p) => [p.name, [...p.shape]]));
}
