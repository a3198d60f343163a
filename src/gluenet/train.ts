/**
 * A GlueNet training run, as `gluegen train` drives it: paired feature files in, a GlueNet directory
 * out. Deterministic given the seed (data order is a pure function of seed and epoch), checkpointed
 * atomically every N steps, resumable with the same loss trajectory, and never losing the last good
 * weights (a NaN loss or Ctrl-C saves them before stopping).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Graph } from '../engine/ir.js';
import { initWeights } from '../engine/init.js';
import { NonFiniteLossError, Trainer } from '../engine/trainer.js';
import type { Device } from '../engine/runtime.js';
import { writeFileAtomic } from '../io/atomic.js';
import { linePlot } from '../io/plot.js';
import { openSafetensors, writeSafetensors } from '../io/safetensors.js';
import { Progress } from '../util/progress.js';
import { loadGlueNet, saveGlueNet } from './checkpoint.js';
import type { GlueNetConfig } from './config.js';
import { BatchStream } from './batches.js';
import { checkPairing, FeatureSource } from './data.js';
import { glueNetLoss } from './losses.js';
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
  };
}

export interface TrainResult {
  steps: number;
  history: StepRecord[];
  outDir: string;
}

export async function trainGlueNet(o: TrainOptions): Promise<TrainResult> {
  const cfg = o.config;
  const batchSize = o.batchSize ?? 32;
  const lr0 = o.lr ?? 1e-4;
  const seed = o.seed ?? 0;
  const shuffle = o.shuffle ?? true;
  const ckptEvery = o.checkpointEvery ?? 500;
  const memory = o.memoryBytes !== undefined ? { memoryBytes: o.memoryBytes } : {};
  const xs = typeof o.x === 'string' ? await FeatureSource.open(o.x, memory) : o.x;
  const cs = typeof o.cond === 'string' ? await FeatureSource.open(o.cond, memory) : o.cond;
  checkPairing(xs, cs, cfg);
  const batches = new BatchStream(xs, cs, { batchSize, seed, shuffle, ...(o.shuffleBuffer !== undefined ? { shuffleBuffer: o.shuffleBuffer } : {}) });
  const n = xs.rows;
  const stepsPerEpoch = Math.ceil(n / batchSize);
  const totalSteps = o.steps ?? (o.epochs ?? 4) * stepsPerEpoch;

  const graph = new Graph(true);
  const terms = glueNetLoss(graph, cfg);
  const metrics: Record<string, NonNullable<typeof terms.distill>> = { distill: terms.distill };
  if (terms.rec) metrics.rec = terms.rec;
  if (terms.adv) metrics.adv = terms.adv;
  if (terms.discAccuracy) metrics.disc_acc = terms.discAccuracy;
  const weights = initWeights(graph, seed);
  if (o.init) {
    const init = await loadGlueNet(o.init);
    if (JSON.stringify({ ...init.config, loss_weights: null }) !== JSON.stringify({ ...cfg, loss_weights: null })) {
      throw new TrainingStopped(`--init '${o.init}' has a different architecture/shape config than --config; they must match (loss weights may differ)`);
    }
    for (const [k, v] of init.weights) if (weights.has(k)) weights.set(k, v);
  }
  const trainer = await Trainer.create({ graph, loss: terms.total, metrics, optimizer: { kind: 'adam' } }, weights, o.device ? { device: o.device } : {});

  const statePath = join(o.out, 'trainer_state.json');
  const metricsPath = join(o.out, 'metrics.jsonl');
  const identity = runIdentity(o, cfg);
  let history: StepRecord[] = [];
  if (o.resume) {
    if (!existsSync(statePath)) throw new TrainingStopped(`--resume: '${o.out}' has no trainer_state.json to resume from; start without --resume`);
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as { step: number; identity: Record<string, unknown> };
    if (JSON.stringify(state.identity) !== JSON.stringify(identity)) {
      throw new TrainingStopped(`--resume: the run in '${o.out}' was started with different data, config or hyper-parameters; resume with the same ones or use a new --out`);
    }
    const saved = await loadGlueNet(o.out);
    const opt = await openSafetensors(join(o.out, 'optimizer.safetensors'));
    const optimizer = new Map<string, Float32Array>();
    for (const name of opt.names()) optimizer.set(name, await opt.readFloat32(name));
    await opt.close();
    trainer.setState({ step: state.step, weights: new Map([...saved.weights].filter(([k]) => trainer.weights().has(k))), optimizer });
    if (existsSync(metricsPath)) {
      history = readFileSync(metricsPath, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as StepRecord)
        .filter((r) => r.step <= state.step);
    }
  }
  mkdirSync(o.out, { recursive: true });
  // The metrics file always matches the checkpointed steps (a crashed run may have logged more).
  writeFileSync(metricsPath, history.map((r) => JSON.stringify(r)).join('\n') + (history.length ? '\n' : ''));

  const save = async (): Promise<void> => {
    const st = trainer.getState();
    await saveGlueNet(o.out, cfg, st.weights, { step: String(st.step) });
    await writeSafetensors(join(o.out, 'optimizer.safetensors'), Object.fromEntries([...st.optimizer].map(([k, v]) => [k, { dtype: 'F32' as const, shape: [v.length], data: v }])), {
      step: String(st.step),
    });
    await writeFileAtomic(statePath, JSON.stringify({ step: st.step, identity, parts: trainedParts(cfg) }, null, 1) + '\n');
  };

  let interrupted = false;
  const onSigint = (): void => {
    interrupted = true;
  };
  process.once('SIGINT', onSigint);
  const bar = o.progress === null ? null : new Progress({ total: totalSteps, label: 'train gluenet', stream: (o.progress ?? process.stderr) as never });
  bar?.tick(trainer.step);
  let ranThisCall = 0;
  const t0 = performance.now();
  try {
    while (trainer.step < totalSteps) {
      const s = trainer.step;
      const epoch = Math.floor(s / stepsPerEpoch);
      const lr = o.stepLrEvery ? lr0 * Math.pow(o.stepLrGamma ?? 0.5, Math.floor(epoch / o.stepLrEvery)) : lr0;
      const drawn = await batches.get(s);
      const b = drawn.rows;
      const batch = {
        x: { data: drawn.x, dims: [b, cfg.tokens_in, cfg.dim_in] },
        cond: { data: drawn.cond, dims: [b, cfg.tokens_out, cfg.dim_out] },
      };
      let r: Record<string, number>;
      try {
        r = await trainer.runStep(batch, lr);
      } catch (e) {
        if (e instanceof NonFiniteLossError) {
          await save();
          throw new TrainingStopped(`${e.message} The last good weights (step ${trainer.step}) are saved in '${o.out}'.`);
        }
        throw e;
      }
      const rec: StepRecord = { step: trainer.step, epoch, lr, loss: r.loss!, distill: r.distill!, seconds: (performance.now() - t0) / 1000 };
      for (const key of ['rec', 'adv', 'disc_acc'] as const) if (r[key] !== undefined) rec[key] = r[key];
      history.push(rec);
      appendFileSync(metricsPath, JSON.stringify(rec) + '\n');
      bar?.tick(1, { loss: fmt(rec.loss), distill: fmt(rec.distill), ...(rec.rec !== undefined ? { rec: fmt(rec.rec) } : {}), ...(rec.adv !== undefined ? { adv: fmt(rec.adv) } : {}) });
      ranThisCall++;
      if (trainer.step % ckptEvery === 0 || trainer.step === totalSteps) await save();
      if (interrupted) {
        await save();
        throw new TrainingStopped(`interrupted at step ${trainer.step}; saved in '${o.out}' (continue with --resume)`);
      }
      if (o.stopAfter !== undefined && ranThisCall >= o.stopAfter) break;
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
    bar?.done();
    await trainer.release();
    await batches.settle();
    if (typeof o.x === 'string') await xs.close();
    if (typeof o.cond === 'string') await cs.close();
  }
  if (history.length > 1) await writeFileAtomic(join(o.out, 'loss.png'), lossPlot(history));
  return { steps: trainer.step, history, outDir: o.out };
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
  return linePlot({ title: 'GlueNet training losses', xLabel: 'step', yLabel: 'loss (log)', series, logY: true });
}
