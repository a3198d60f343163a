/**
 * A GlueNet training run, as `gluegen train` drives it: paired feature files in, a GlueNet directory
 * out. Deterministic given the seed (data order is a pure function of seed and epoch), checkpointed
 * every N steps as one verified unit (checkpoint-set.ts), resumable with the same loss trajectory and
 * weights, and never losing the last good weights (a NaN loss, Ctrl-C or SIGTERM saves them first).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initWeights } from '../engine/init.js';
import { Graph } from '../engine/ir.js';
import type { Device } from '../engine/runtime.js';
import { constant, type Schedule, stepLR, warmupCosine } from '../engine/schedules.js';
import { NonFiniteLossError, Trainer } from '../engine/trainer.js';
import { writeFileAtomic } from '../io/atomic.js';
import { linePlot } from '../io/plot.js';
import { Progress } from '../util/progress.js';
import { BatchStream } from './batches.js';
import { CheckpointError, loadGlueNet } from './checkpoint.js';
import { CHECKPOINTS_DIR, listCheckpoints, publish, readLatestCheckpoint, readLegacyCheckpoint, removeStaleTemps, writeCheckpoint } from './checkpoint-set.js';
import type { GlueNetConfig } from './config.js';
import { checkPairing, FeatureSource } from './data.js';
import { type ExtraLossTerm, glueNetLoss } from './losses.js';
import { trainedParts } from './specs.js';

export interface TrainOptions {
  /** Paired feature files (or in-memory sources). */
  x: string | FeatureSource;
  cond: string | FeatureSource;
  config: GlueNetConfig;
  out: string;
  /** Start from an existing GlueNet directory (parts it lacks start fresh). */
  init?: string;
  steps?: number;
  /** Used when steps is not given (default 4, as the release). */
  epochs?: number;
  batchSize?: number; // default 32
  lr?: number; // default 1e-4
  /** StepLR: multiply lr by gamma every this many epochs (release: 1). */
  stepLrEvery?: number;
  stepLrGamma?: number; // default 0.5
  shuffle?: boolean; // default true
  seed?: number; // default 0
  resume?: boolean;
  checkpointEvery?: number; // steps, default 500
  device?: Device;
  /** Where progress goes (default process.stderr); null silences it. */
  progress?: NodeJS.WritableStream | null;
  /** Stop after this many steps of this invocation (tests use it to simulate a crash). */
  stopAfter?: number;
  /** Feature sets larger than this (float32 bytes) stream from disk instead of loading (default 1 GiB). */
  memoryBytes?: number;
  /** Shuffle rows within buffers of this many rows (blocks of 4096 permuted) instead of globally. */
  shuffleBuffer?: number;
  /** 'step' (default: StepLR by epochs, as the release) or 'cosine' (per step, from lr to 0 over the run). */
  lrSchedule?: 'step' | 'cosine';
  /** A further loss term composed above GlueNet (the denoiser distillation); only GlueNet trains. */
  extraLoss?: ExtraLossTerm;
  /**
   * Scores the aligner on held-out pairs every `every` steps (and at the end); the result keeps the
   * best-scoring weights (lower is better) so the caller can publish them (early stopping).
   */
  validation?: { every: number; loss(weights: ReadonlyMap<string, Float32Array>): Promise<number> };
}

export interface StepRecord {
  step: number;
  epoch: number;
  lr: number;
  loss: number;
  distill: number;
  rec?: number;
  adv?: number;
  disc_acc?: number;
  /** The extra term's value (ExtraLossTerm.name is its name in the log). */
  extra?: number;
  /** Validation loss, on the steps it was measured. */
  val?: number;
  seconds: number;
}

export class TrainingStopped extends Error {
  override name = 'TrainingStopped';
}

/** The options that must not change between a run and its resume. */
function runIdentity(o: TrainOptions, cfg: GlueNetConfig): Record<string, unknown> {
  return {
    config: cfg,
    x: typeof o.x === 'string' ? o.x : o.x.path,
    cond: typeof o.cond === 'string' ? o.cond : o.cond.path,
    batchSize: o.batchSize ?? 32,
    lr: o.lr ?? 1e-4,
    stepLrEvery: o.stepLrEvery ?? null,
    stepLrGamma: o.stepLrGamma ?? 0.5,
    shuffle: o.shuffle ?? true,
    seed: o.seed ?? 0,
    ...(o.shuffleBuffer !== undefined ? { shuffleBuffer: o.shuffleBuffer } : {}),
    ...(o.lrSchedule === 'cosine' ? { lrSchedule: 'cosine', steps: o.steps ?? null } : {}),
    ...(o.extraLoss ? { extraLoss: { name: o.extraLoss.name, ...o.extraLoss.identity } } : {}),
  };
}

export interface TrainResult {
  steps: number;
  history: StepRecord[];
  outDir: string;
  /** With `validation`: the step with the lowest validation loss and its aligner weights (copies). */
  best?: { step: number; loss: number; weights: Map<string, Float32Array> };
}

/**
 * The training loop, top to bottom: data, model, resume, then step / log / checkpoint until done or
 * stopped. Everything else is a small function below.
 */
export async function trainGlueNet(o: TrainOptions): Promise<TrainResult> {
  const cfg = o.config;
  const batchSize = o.batchSize ?? 32;
  const ckptEvery = o.checkpointEvery ?? 500;
  const byEpoch = o.stepLrEvery ? stepLR(o.lr ?? 1e-4, o.stepLrEvery, o.stepLrGamma ?? 0.5) : constant(o.lr ?? 1e-4);
  const memory = o.memoryBytes !== undefined ? { memoryBytes: o.memoryBytes } : {};
  const xs = typeof o.x === 'string' ? await FeatureSource.open(o.x, memory) : o.x;
  const cs = typeof o.cond === 'string' ? await FeatureSource.open(o.cond, memory) : o.cond;
  checkPairing(xs, cs, cfg);
  const batches = new BatchStream(xs, cs, {
    batchSize,
    seed: o.seed ?? 0,
    shuffle: o.shuffle ?? true,
    ...(o.shuffleBuffer !== undefined ? { shuffleBuffer: o.shuffleBuffer } : {}),
  });
  const stepsPerEpoch = Math.ceil(xs.rows / batchSize);
  const totalSteps = o.steps ?? (o.epochs ?? 4) * stepsPerEpoch;
  const cosine: Schedule | null = o.lrSchedule === 'cosine' ? warmupCosine(o.lr ?? 1e-4, 0, totalSteps) : null;
  const lrAt = (step: number): number => (cosine ? cosine(step) : byEpoch(Math.floor(step / stepsPerEpoch)));

  const trainer = await buildTrainer(o);
  const identity = runIdentity(o, cfg);
  await removeStaleTemps(o.out);
  const history = o.resume ? await resume(o.out, trainer, identity) : await startFresh(o.out);
  const metricsPath = join(o.out, 'metrics.jsonl');
  // The metrics file always matches the checkpointed steps (a crashed run may have logged more).
  writeFileSync(metricsPath, history.map((r) => JSON.stringify(r)).join('\n') + (history.length ? '\n' : ''));

  let savedStep = -1;
  const save = async (): Promise<void> => {
    if (savedStep === trainer.step) return;
    const st = trainer.getState();
    // A composed loss term's frozen parameters (the denoiser) are not GlueNet's: not saved with it.
    for (const name of trainer.layout.frozen) st.weights.delete(name);
    await writeCheckpoint(o.out, { step: st.step, config: cfg, weights: st.weights, optimizer: st.optimizer, state: { identity, parts: trainedParts(cfg) } });
    savedStep = st.step;
  };
  const stop = watchStopSignals();
  const bar = o.progress === null ? null : new Progress({ total: totalSteps, label: 'train gluenet', stream: (o.progress ?? process.stderr) as never });
  bar?.tick(trainer.step);
  let ranThisCall = 0;
  let best: TrainResult['best'];
  const validate = async (): Promise<number> => {
    const loss = await o.validation!.loss(trainer.weights());
    if (!best || loss < best.loss) {
      best = {
        step: trainer.step,
        loss,
        weights: new Map([...trainer.weights()].filter(([k]) => k.startsWith('aligner.')).map(([k, v]) => [k, Float32Array.from(v)])),
      };
    }
    return loss;
  };
  const t0 = performance.now();
  try {
    while (trainer.step < totalSteps) {
      const epoch = Math.floor(trainer.step / stepsPerEpoch);
      const lr = lrAt(trainer.step);
      const batch = await drawBatch(batches, cfg, trainer.step, o.extraLoss);
      const r = await runStepOrSave(trainer, batch, lr, save, o.out);
      if (o.extraLoss) r.extra = r[o.extraLoss.name]!;
      if (o.validation && (trainer.step % o.validation.every === 0 || trainer.step === totalSteps)) r.val = await validate();
      const rec = stepRecord(trainer.step, epoch, lr, r, t0);
      history.push(rec);
      appendFileSync(metricsPath, `${JSON.stringify(rec)}\n`);
      bar?.tick(1, barFields(rec));
      ranThisCall++;
      if (trainer.step % ckptEvery === 0 || trainer.step === totalSteps) await save();
      if (stop.signal) {
        await save();
        throw new TrainingStopped(`${stop.signal} at step ${trainer.step}; saved in '${o.out}' (continue with --resume)`);
      }
      if (o.stopAfter !== undefined && ranThisCall >= o.stopAfter) break;
    }
  } finally {
    stop.dispose();
    bar?.done();
    await trainer.release();
    await batches.settle();
    if (typeof o.x === 'string') await xs.close();
    if (typeof o.cond === 'string') await cs.close();
  }
  if (history.length > 1) await writeFileAtomic(join(o.out, 'loss.png'), lossPlot(history));
  return { steps: trainer.step, history, outDir: o.out, ...(best ? { best } : {}) };
}

/** The loss graph, its initial weights (seeded, or from --init) and a Trainer over them. */
async function buildTrainer(o: TrainOptions): Promise<Trainer> {
  const cfg = o.config;
  const graph = new Graph(true);
  const terms = glueNetLoss(graph, cfg, o.extraLoss);
  const metrics: Record<string, NonNullable<typeof terms.distill>> = { distill: terms.distill };
  if (terms.rec) metrics.rec = terms.rec;
  if (terms.adv) metrics.adv = terms.adv;
  if (terms.discAccuracy) metrics.disc_acc = terms.discAccuracy;
  if (terms.extra && o.extraLoss) metrics[o.extraLoss.name] = terms.extra;
  const weights = initWeights(graph, o.seed ?? 0);
  for (const [k, v] of o.extraLoss?.frozen ?? []) if (weights.has(k)) weights.set(k, v);
  if (o.init) {
    const init = await loadGlueNet(o.init);
    if (JSON.stringify({ ...init.config, loss_weights: null }) !== JSON.stringify({ ...cfg, loss_weights: null })) {
      throw new TrainingStopped(`--init '${o.init}' has a different architecture/shape config than --config; they must match (loss weights may differ)`);
    }
    for (const [k, v] of init.weights) if (weights.has(k)) weights.set(k, v);
  }
  return Trainer.create({ graph, loss: terms.total, metrics, optimizer: { kind: 'adam' } }, weights, o.device ? { device: o.device } : {});
}

/** A fresh run replaces any earlier run's checkpoints in `out` (as it replaces its weights). */
async function startFresh(out: string): Promise<StepRecord[]> {
  mkdirSync(out, { recursive: true });
  rmSync(join(out, CHECKPOINTS_DIR), { recursive: true, force: true });
  return [];
}

/**
 * Restores the newest verified checkpoint set into `trainer` and returns the metrics up to its step.
 * Refuses a run started with other data or hyper-parameters, and a mixed or damaged set.
 */
async function resume(out: string, trainer: Trainer, identity: Record<string, unknown>): Promise<StepRecord[]> {
  let ckpt: Awaited<ReturnType<typeof readLatestCheckpoint>>;
  try {
    ckpt = (await readLatestCheckpoint(out)) ?? (await readLegacyCheckpoint(out));
  } catch (e) {
    if (e instanceof CheckpointError) throw new TrainingStopped(e.message);
    throw e;
  }
  if (!ckpt) throw new TrainingStopped(`--resume: '${out}' has no checkpoint to resume from (none was completed before it stopped); start without --resume`);
  if (JSON.stringify(ckpt.state.identity) !== JSON.stringify(identity)) {
    throw new TrainingStopped(
      `--resume: the run in '${out}' was started with different data, config or hyper-parameters; resume with the same ones or use a new --out`,
    );
  }
  trainer.setState({ step: ckpt.step, weights: new Map([...ckpt.weights].filter(([k]) => trainer.weights().has(k))), optimizer: ckpt.optimizer });
  // A kill after the set was renamed into place but before it was published leaves older top-level weights.
  const newest = listCheckpoints(out)[0];
  if (newest?.step === ckpt.step) await publish(out, newest.dir);
  const metricsPath = join(out, 'metrics.jsonl');
  if (!existsSync(metricsPath)) return [];
  return readFileSync(metricsPath, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as StepRecord]; // a kill mid-append leaves a torn last line
      } catch {
        return [];
      }
    })
    .filter((r) => r.step <= ckpt.step);
}

/**
 * The batch for `step`: data order is a pure function of seed and epoch, so a resumed run draws
 * exactly the batches the uninterrupted one would have.
 */
async function drawBatch(
  batches: BatchStream,
  cfg: GlueNetConfig,
  step: number,
  extra?: ExtraLossTerm,
): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
  const drawn = await batches.get(step); // the rows of this step (a global permutation per epoch; see batches.ts)
  const b = drawn.rows;
  return {
    x: { data: drawn.x, dims: [b, cfg.tokens_in, cfg.dim_in] }, // [B, Tn, Dn]
    cond: { data: drawn.cond, dims: [b, cfg.tokens_out, cfg.dim_out] }, // [B, Tg, Dg]
    ...(extra ? extra.inputs(step, { x: drawn.x, cond: drawn.cond, rows: b, indices: drawn.indices }) : {}),
  };
}

/** One optimizer step; a NaN/Inf loss saves the last good weights and stops with the failing step. */
async function runStepOrSave(
  trainer: Trainer,
  batch: Parameters<Trainer['runStep']>[0],
  lr: number,
  save: () => Promise<void>,
  out: string,
): Promise<Record<string, number>> {
  try {
    return await trainer.runStep(batch, lr);
  } catch (e) {
    if (e instanceof NonFiniteLossError) {
      await save();
      throw new TrainingStopped(`${e.message} The last good weights (step ${trainer.step}) are saved in '${out}'.`);
    }
    throw e;
  }
}

function stepRecord(step: number, epoch: number, lr: number, r: Record<string, number>, t0: number): StepRecord {
  const rec: StepRecord = { step, epoch, lr, loss: r.loss!, distill: r.distill!, seconds: (performance.now() - t0) / 1000 };
  for (const key of ['rec', 'adv', 'disc_acc', 'extra', 'val'] as const) if (r[key] !== undefined) rec[key] = r[key];
  return rec;
}

function barFields(rec: StepRecord): Record<string, string> {
  return {
    loss: fmt(rec.loss),
    distill: fmt(rec.distill),
    ...(rec.rec !== undefined ? { rec: fmt(rec.rec) } : {}),
    ...(rec.adv !== undefined ? { adv: fmt(rec.adv) } : {}),
    ...(rec.extra !== undefined ? { extra: fmt(rec.extra) } : {}),
  };
}

/**
 * Ctrl-C (SIGINT) and SIGTERM (schedulers, container stops) both ask the loop to save and stop after
 * the current step, instead of losing the work since the last checkpoint.
 */
function watchStopSignals(): { readonly signal: string | null; dispose(): void } {
  let signal: string | null = null;
  const onInt = (): void => void (signal = 'interrupted (SIGINT)');
  const onTerm = (): void => void (signal = 'terminated (SIGTERM)');
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  return {
    get signal() {
      return signal;
    },
    dispose() {
      process.removeListener('SIGINT', onInt);
      process.removeListener('SIGTERM', onTerm);
    },
  };
}

const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(3));

export function lossPlot(history: StepRecord[]): Uint8Array {
  const xsteps = history.map((r) => r.step);
  const series = [
    { name: 'total', xs: xsteps, ys: history.map((r) => r.loss) },
    { name: 'distill', xs: xsteps, ys: history.map((r) => r.distill) },
  ];
  if (history[0]?.rec !== undefined) series.push({ name: 'rec', xs: xsteps, ys: history.map((r) => r.rec ?? NaN) });
  if (history[0]?.adv !== undefined) series.push({ name: 'adv', xs: xsteps, ys: history.map((r) => r.adv ?? NaN) });
  if (history[0]?.extra !== undefined) series.push({ name: 'extra', xs: xsteps, ys: history.map((r) => r.extra ?? NaN) });
  const val = history.filter((r) => r.val !== undefined);
  if (val.length) series.push({ name: 'validation', xs: val.map((r) => r.step), ys: val.map((r) => r.val!) });
  return linePlot({ title: 'GlueNet training losses', xLabel: 'step', yLabel: 'loss (log)', series, logY: true });
}
