/**
 * Runs a compiled training step again and again. Parameters, optimizer state and buffers stay in
 * typed arrays owned by the Trainer and are fed to each step without a copy. New values come back
 * two ways: where the step graph allows it (layout.inPlace: optimizer state, biases, buffers)
 * onnxruntime writes them over the old arrays; the others (weights that the backward pass may still
 * read after their update ran) come back as the fresh arrays onnxruntime-node returns for every
 * output anyway, and replace the old ones (no second set of arrays is kept).
 * A step whose loss is not finite is not committed: the weights stay at the last good values
 * (in-place updates keep the old value then, see compile.ts).
 */
import { compileTrainStep, newName, stateName, type TrainStepLayout, type TrainStepSpec } from './compile.js';
import { type OptimizerConfig, scalarValues } from './optim.js';
import { type HostTensor, Session, type SessionOptions } from './runtime.js';

export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
  constructor(
    readonly step: number,
    readonly values: Record<string, number>,
  ) {
    super(
      `loss is not finite at step ${step} (${Object.entries(values)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}); the update was discarded and the weights are those after step ${step - 1}. ` +
        'Lower the learning rate, enable gradient clipping, or check the inputs for NaN/Inf.',
    );
  }
}

export interface TrainerState {
  step: number;
  weights: Map<string, Float32Array>;
  optimizer: Map<string, Float32Array>;
}

export interface TrainerOptions extends SessionOptions {
  /**
   * Keep the given weight arrays as the trainer's own instead of copying them (saves one copy of
   * the model); the caller must not use or mutate them afterwards.
   */
  adoptWeights?: boolean;
}

export class Trainer {
  /** Completed optimisation steps. */
  step = 0;
  private front = new Map<string, Float32Array>();
  private readonly shapes = new Map<string, number[]>();
  private readonly inPlace: ReadonlySet<string>;

  private constructor(
    private readonly session: Session,
    readonly layout: TrainStepLayout,
    readonly optimizer: OptimizerConfig,
  ) {
    this.inPlace = new Set(layout.inPlace);
  }

  /**
   * Compiles the step and creates the session. `weights` must hold every param and buffer of the
   * graph (see init.ts); optimizer state starts at zero unless restored with setState().
   */
  static async create(spec: TrainStepSpec, weights: ReadonlyMap<string, Float32Array>, opts: TrainerOptions = {}): Promise<Trainer> {
    const { model, layout } = compileTrainStep(spec);
    // No memory pattern: it would allocate one planned block per step beside the arena's chunks
    // from the first step, doubling the peak; a training step is long enough that per-tensor
    // allocation from the arena costs nothing measurable.
    const session = await Session.create(model, { memoryPattern: false, ...opts });
    const t = new Trainer(session, layout, spec.optimizer);
    const info = [...spec.graph.params.values(), ...spec.graph.buffers.values()];
    for (const p of info) {
      const v = weights.get(p.name);
      const n = p.shape.reduce((a, b) => a * b, 1);
      if (!v) throw new Error(`Trainer: no initial value for '${p.name}'`);
      if (v.length !== n) throw new Error(`Trainer: '${p.name}' has ${v.length} values, expected ${n} for shape [${p.shape}]`);
      t.shapes.set(p.name, p.shape);
      t.front.set(p.name, opts.adoptWeights ? v : Float32Array.from(v));
      if (p.trainable && layout.params.includes(p.name)) {
        for (const s of layout.slots) {
          const k = stateName(p.name, s);
          t.shapes.set(k, p.shape);
          t.front.set(k, new Float32Array(n));
        }
      }
    }
    return t;
  }

  private updated(): string[] {
    const names = [...this.layout.params, ...this.layout.updatedBuffers];
    for (const p of this.layout.params) for (const s of this.layout.slots) names.push(stateName(p, s));
    return names;
  }

  /** One optimisation step on a batch; returns the loss and metrics of this batch (before the update). */
  async runStep(batch: Record<string, HostTensor>, lr: number): Promise<Record<string, number>> {
    const feeds: Record<string, HostTensor> = {};
    for (const name of this.layout.batchInputs) {
      const v = batch[name];
      if (!v) throw new Error(`Trainer: batch is missing input '${name}' (expected ${this.layout.batchInputs.join(', ')})`);
      feeds[name] = v;
    }
    for (const [name, v] of this.front) feeds[name] = { data: v, dims: this.shapes.get(name)! };
    const sc = scalarValues(this.optimizer, this.step + 1, lr);
    for (const [k, v] of Object.entries(sc)) feeds[k] = { data: Float32Array.of(v), dims: [] };
    const into: Record<string, HostTensor | null> = { loss: null };
    for (const m of this.layout.metrics) into[`metric.${m}`] = null;
    const updated = this.updated();
    // Bound outputs are written in place; null ones are allocated by onnxruntime and returned.
    for (const name of updated) into[newName(name)] = this.inPlace.has(name) ? { data: this.front.get(name)!, dims: this.shapes.get(name)! } : null;
    const out = await this.session.run(feeds, into);
    const values: Record<string, number> = { loss: (out.loss!.data as Float32Array)[0]! };
    for (const m of this.layout.metrics) values[m] = (out[`metric.${m}`]!.data as Float32Array)[0]!;
    if (!Number.isFinite(values.loss!)) throw new NonFiniteLossError(this.step + 1, values);
    for (const name of updated) {
      if (this.inPlace.has(name)) continue;
      const v = out[newName(name)]?.data;
      if (!(v instanceof Float32Array) || v.length !== this.front.get(name)!.length)
        throw new Error(`internal: step output '${newName(name)}' is missing or has the wrong size`);
      this.front.set(name, v);
    }
    this.step++;
    return values;
  }

  /** Current parameters and buffers (live arrays: copy before mutating). */
  weights(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [k, v] of this.front) if (this.shapes.has(k) && !this.isState(k)) out.set(k, v);
    return out;
  }

  private isState(name: string): boolean {
    return this.layout.slots.some((s) => name.endsWith(`.${s}`) && this.layout.params.includes(name.slice(0, -s.length - 1)));
  }

  /** A copy of everything needed to resume bit-identically. */
  getState(): TrainerState {
    const weights = new Map<string, Float32Array>();
    const optimizer = new Map<string, Float32Array>();
    for (const [k, v] of this.front) (this.isState(k) ? optimizer : weights).set(k, Float32Array.from(v));
    return { step: this.step, weights, optimizer };
  }

  setState(state: TrainerState): void {
    for (const [k, v] of [...state.weights, ...state.optimizer]) {
      const cur = this.front.get(k);
      if (!cur) throw new Error(`cannot restore '${k}': the model has no such parameter or optimizer state`);
      if (cur.length !== v.length) throw new Error(`cannot restore '${k}': ${v.length} values, expected ${cur.length}`);
      cur.set(v);
    }
    this.step = state.step;
  }

  /** Ends profiling (when the trainer was created with `profile`) and writes the trace file. */
  endProfiling(): void {
    this.session.endProfiling();
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
