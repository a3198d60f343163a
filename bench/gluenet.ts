/**
 * npm run bench:gluenet — the paper's multilingual GlueNet (translator_noln 77x1024 -> 77x768,
 * mult 2, depth 5, + decoder + discriminator, Adam, batch 32) on this machine: seconds per training
 * step, achieved GFLOP/s as a share of the machine's GEMM peak, aligner inference latency at batch
 * 1, and the peak memory (RSS high-water) of the training process.
 *
 * --vs-pytorch runs the same configuration in PyTorch (bench/gluenet_torch.py) first, in a child
 * process, when a Python with torch is present (--python, else python3, else the system python3
 * that Debian's python3-torch installs into), and prints both and the ratios. The two never run at
 * the same time, so neither's memory or cores disturb the other.
 * Options: --batch N (32), --steps N (timed steps, 3), --threads N (all cores), --python PATH,
 * --profile PREFIX (write onnxruntime's per-node trace of the training steps and print its top op types).
 * Targets (benchmark, not test): memory <= PyTorch's, >= 70% of the GEMM peak, inference <= 20 ms.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initWeights } from '../src/engine/init.js';
import { Graph, type Tensor } from '../src/engine/ir.js';
import { Session } from '../src/engine/runtime.js';
import { resolveShape } from '../src/engine/shape.js';
import { Trainer } from '../src/engine/trainer.js';
import { parseConfig } from '../src/gluenet/config.js';
import { ALIGN_INPUT, alignerOnnx } from '../src/gluenet/inference.js';
import { glueNetLoss } from '../src/gluenet/losses.js';
import { aligner } from '../src/gluenet/model.js';
import { RELEASE_CONFIGS } from '../src/gluenet/presets.js';
import { Rng } from '../src/util/rng.js';
import { fmtTiming, GEMM_SHAPES, gemmPeak, loadAverage, machine, measure, pct, peakRssMb, profileTop, summarise, type Timing } from './common.js';

function fail(msg: string): never {
  console.error(`bench:gluenet: ${msg}`);
  process.exit(2);
}

function positiveInt(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a positive integer, got '${v}'`);
  return n;
}

/** FLOPs of the MatMuls among `roots`' dependencies, with symbolic dims resolved. */
function matmulFlops(roots: Tensor[], symbols: Record<string, number>): number {
  const seen = new Set<number>();
  const stack = [...roots];
  let flops = 0;
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    if (t.node.kind !== 'op') continue;
    if (t.node.op === 'MatMul') {
      const a = resolveShape(t.node.inputs[0]!.shape, symbols);
      const out = resolveShape(t.shape, symbols);
      flops += 2 * out.reduce((x, y) => x * y, 1) * a[a.length - 1]!;
    }
    stack.push(...t.node.inputs);
  }
  return flops;
}

interface TorchResult {
  torch: string;
  threads: number;
  step: Timing;
  infer: Timing;
  peakRssMb: number;
  gemmGflops: number;
}

/** Runs the PyTorch reference; null (with the reason printed) when no Python with torch is found. */
function runPytorch(python: string | undefined, batch: number, steps: number, threads: number | undefined): TorchResult | null {
  const script = fileURLToPath(new URL('../../bench/gluenet_torch.py', import.meta.url));
  if (!existsSync(script)) fail(`the PyTorch reference script is missing (expected bench/gluenet_torch.py in the source tree)`);
  const candidates = python ? [python] : ['python3', '/usr/bin/python3'];
  const found = candidates.find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore', timeout: 120_000 }).status === 0);
  if (!found) {
    console.log(`PyTorch reference not run: no Python with torch among ${candidates.join(', ')} (install python3-torch, or pass --python)`);
    return null;
  }
  const args = [script, '--batch', String(batch), '--steps', String(steps), ...(threads ? ['--threads', String(threads)] : [])];
  console.log(`PyTorch reference: ${found} bench/gluenet_torch.py ${args.slice(1).join(' ')} (load average ${loadAverage()})`);
  // OpenMP threads sleep while waiting, as onnxruntime's do here (no spinning): on a busy machine
  // spinning threads starve each other and the comparison would measure the scheduler.
  // Debian's torch calls the system BLAS (OpenBLAS with libopenblas0-pthread), which sizes its
  // own thread pool: hold it to the same thread count.
  const env = {
    ...process.env,
    OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE',
    ...(threads && !process.env.OPENBLAS_NUM_THREADS ? { OPENBLAS_NUM_THREADS: String(threads) } : {}),
  };
  const r = spawnSync(found, args, { encoding: 'utf8', maxBuffer: 1 << 20, env });
  const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{')) {
    const why = (r.stderr ?? '').trim().split('\n').pop() || r.error?.message || `exit status ${r.status}`;
    console.log(`PyTorch reference failed: ${why}`);
    return null;
  }
  const j = JSON.parse(last) as { torch: string; threads: number; step_s: number[]; infer_ms: number[]; peak_rss_mb: number; gemm_gflops: number };
  return {
    torch: j.torch,
    threads: j.threads,
    step: summarise(j.step_s),
    infer: summarise(j.infer_ms.map((v) => v / 1000)),
    peakRssMb: j.peak_rss_mb,
    gemmGflops: j.gemm_gflops,
  };
}

const { values } = parseArgs({
  options: {
    'vs-pytorch': { type: 'boolean', default: false },
    batch: { type: 'string' },
    steps: { type: 'string' },
    threads: { type: 'string' },
    python: { type: 'string' },
    profile: { type: 'string' },
  },
});
const BATCH = positiveInt('batch', values.batch, 32);
const STEPS = positiveInt('steps', values.steps, 3);
const threads = values.threads === undefined ? undefined : positiveInt('threads', values.threads, 1);

const cfg = parseConfig(RELEASE_CONFIGS['multilingual-xlmr-sd1']);
console.log(`gluegen bench:gluenet — ${machine()}`);
console.log(
  `config: ${cfg.arch} ${cfg.tokens_in}x${cfg.dim_in} -> ${cfg.tokens_out}x${cfg.dim_out}, mult ${cfg.mult}, depth ${cfg.depth}; batch ${BATCH}, Adam`,
);

// The GEMM peak is measured at the start and again at the end (the best counts), so a burst of
// load during one of them cannot inflate the shares printed below.
const gemmBefore = await gemmPeak(5, threads);
// PyTorch next, in its own process, before this one allocates anything big.
const torch = values['vs-pytorch'] ? runPytorch(values.python, BATCH, STEPS, threads) : null;

const g = new Graph(true);
const terms = glueNetLoss(g, cfg);
const trainFlops = 3 * matmulFlops([terms.total], { batch: BATCH }); // backward: dX and dW for every MatMul
const t = performance.now();
const trainer = await Trainer.create({ graph: g, loss: terms.total, optimizer: { kind: 'adam' } }, initWeights(g, 0), {
  adoptWeights: true,
  ...(threads ? { threads } : {}),
  ...(values.profile ? { profile: values.profile } : {}),
});
console.log(`compile + session: ${((performance.now() - t) / 1000).toFixed(1)} s`);
const rng = new Rng(1);
const batch = {
  x: { data: rng.fillNormal(new Float32Array(BATCH * 77 * 1024)), dims: [BATCH, 77, 1024] },
  cond: { data: rng.fillNormal(new Float32Array(BATCH * 77 * 768), 28 / Math.sqrt(768)), dims: [BATCH, 77, 768] },
};
const loadTrain = loadAverage();
const step = await measure(() => trainer.runStep(batch, 1e-4), 1, STEPS);
const trainPeak = peakRssMb(); // before anything else is allocated
const weights = trainer.weights();
if (values.profile) {
  trainer.endProfiling();
  for (const line of profileTop(values.profile)) console.log(line);
}
await trainer.release();

// The aligner graph Aligner runs, in a session with the same thread count as training.
const al = await Session.create(alignerOnnx(cfg, weights), threads ? { threads } : {});
const one = { [ALIGN_INPUT]: { data: rng.fillNormal(new Float32Array(77 * 1024)).map((v) => v / cfg.x_scale), dims: [1, 77, 1024] } };
const infer = await measure(() => al.run(one), 3, 15);
await al.release();

const gi = new Graph();
const inferFlops = matmulFlops([aligner(cfg, gi.input('x', [1, cfg.tokens_in, cfg.dim_in]))], {});
const gemmAfter = await gemmPeak(5, threads);
const peak = Math.max(gemmBefore.peak, gemmAfter.peak, torch?.gemmGflops ?? 0);
const share = (sec: number): string => pct(trainFlops / sec / 1e9 / peak);

console.log(
  `GEMM peak: ${peak.toFixed(0)} GFLOP/s (best of ${GEMM_SHAPES.length} shapes x 5 runs in onnxruntime, at the start / end: ` +
    `${gemmBefore.peak.toFixed(0)} / ${gemmAfter.peak.toFixed(0)}${torch ? `; in torch: ${torch.gemmGflops.toFixed(0)}` : ''})`,
);
console.log(
  `gluegen train step: ${fmtTiming(step, 's')}; ${(trainFlops / 1e9).toFixed(0)} GFLOP/step; best ${share(step.min)} of GEMM peak, median ${share(step.median)} (load average at start ${loadTrain})`,
);
console.log(
  `gluegen aligner inference, batch 1: ${fmtTiming(infer, 'ms', 1000, 1)}; ${(inferFlops / 1e9).toFixed(2)} GFLOP, ` +
    `${pct(inferFlops / infer.min / 1e9 / peak)} of GEMM peak (at 100% of the peak: ${((inferFlops / peak / 1e9) * 1000).toFixed(1)} ms)`,
);
console.log(`gluegen peak memory (RSS high-water, training process): ${trainPeak.toFixed(0)} MB`);
if (torch) {
  console.log(`PyTorch ${torch.torch} (${torch.threads} threads) train step: ${fmtTiming(torch.step, 's')}; best ${share(torch.step.min)} of GEMM peak`);
  console.log(`PyTorch aligner inference, batch 1: ${fmtTiming(torch.infer, 'ms', 1000, 1)}`);
  console.log(`PyTorch peak memory (RSS high-water): ${torch.peakRssMb.toFixed(0)} MB`);
}
const ms = (s: number): string => (s * 1000).toFixed(1);
const vs = (ours: number, theirs: number): string => `${(theirs / ours).toFixed(2)}x`;
console.log(
  `summary: train ${step.min.toFixed(2)} s/step = ${share(step.min)} of GEMM peak (target >= 70%)` +
    (torch ? `, PyTorch ${torch.step.min.toFixed(2)} s (gluegen ${vs(step.min, torch.step.min)} as fast)` : '') +
    ` | inference ${ms(infer.min)} ms (target <= 20)` +
    (torch ? `, PyTorch ${ms(torch.infer.min)} ms (${vs(infer.min, torch.infer.min)})` : '') +
    ` | peak memory ${trainPeak.toFixed(0)} MB` +
    (torch ? `, PyTorch ${torch.peakRssMb.toFixed(0)} MB (gluegen/PyTorch ${(trainPeak / torch.peakRssMb).toFixed(2)})` : '') +
    ` | load average ${loadAverage()}`,
);
