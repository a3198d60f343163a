/**
 * npm run bench:engine — onnxruntime's fp32 GEMM peak on this machine (best of several shapes and
 * runs, measured before and after the step so a change of load between them cannot inflate the
 * ratio), and a full training step (forward + backward + Adam) of an MLP stack compiled by our
 * engine, as a fraction of that peak. Target (not a test): the step reaches >= 60% of the peak.
 * Options: --reps N (timed runs per figure, default 7), --threads N (default: all cores).
 */
import { parseArgs } from 'node:util';
import { gelu, mse } from '../src/engine/functional.js';
import { initWeights } from '../src/engine/init.js';
import { Graph } from '../src/engine/ir.js';
import { Trainer } from '../src/engine/trainer.js';
import { Linear } from '../src/nn/layers.js';
import { Rng } from '../src/util/rng.js';
import { fmtGemm, fmtTiming, gemmPeak, loadAverage, machine, measure, pct, type Timing } from './common.js';

const M = 2464;
const WIDTHS = [1024, 2048, 2048, 1024];

function positiveInt(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`bench:engine: --${name} must be a positive integer, got '${v}'`);
    process.exit(2);
  }
  return n;
}

async function mlpStep(reps: number, threads: number | undefined): Promise<{ timing: Timing; flops: number }> {
  const g = new Graph(true);
  const x = g.input('x', [M, WIDTHS[0]!]);
  const y = g.input('y', [M, WIDTHS[3]!]);
  let h = x;
  for (let i = 0; i < 3; i++) {
    h = new Linear(`${i}`, WIDTHS[i]!, WIDTHS[i + 1]!).forward(h);
    if (i < 2) h = gelu(h);
  }
  const trainer = await Trainer.create({ graph: g, loss: mse(h, y), optimizer: { kind: 'adam' } }, initWeights(g, 0), {
    adoptWeights: true,
    ...(threads ? { threads } : {}),
  });
  const rng = new Rng(2);
  const batch = {
    x: { data: rng.fillNormal(new Float32Array(M * WIDTHS[0]!)), dims: [M, WIDTHS[0]!] },
    y: { data: rng.fillNormal(new Float32Array(M * WIDTHS[3]!)), dims: [M, WIDTHS[3]!] },
  };
  const timing = await measure(() => trainer.runStep(batch, 1e-4), 2, reps);
  await trainer.release();
  let flops = 0;
  for (let i = 0; i < 3; i++) flops += 2 * M * WIDTHS[i]! * WIDTHS[i + 1]! * (i === 0 ? 2 : 3); // forward + dW (+ dX except for the input layer)
  return { timing, flops };
}

const { values } = parseArgs({ options: { reps: { type: 'string' }, threads: { type: 'string' } } });
const reps = positiveInt('reps', values.reps, 7);
const threads = values.threads === undefined ? undefined : positiveInt('threads', values.threads, 1);

console.log(`gluegen bench:engine — ${machine()}; onnxruntime-node CPU${threads ? `, threads: ${threads}` : ''}`);
const before = await gemmPeak(reps, threads);
const step = await mlpStep(reps, threads);
const after = await gemmPeak(reps, threads);
for (const r of [...before.shapes, ...after.shapes]) console.log(fmtGemm(r));
const peak = Math.max(before.peak, after.peak);
const best = step.flops / step.timing.min / 1e9;
const median = step.flops / step.timing.median / 1e9;
console.log(`MLP ${M}x${WIDTHS.join(' -> ')}, Adam: ${fmtTiming(step.timing, 'ms', 1000, 0)}; best ${best.toFixed(0)} GFLOP/s`);
console.log(
  `summary: GEMM peak ${peak.toFixed(0)} GFLOP/s (best of ${before.shapes.length} shapes x ${reps} runs, measured before and after the step: ${before.peak.toFixed(0)} / ${after.peak.toFixed(0)}) | ` +
    `train step best ${pct(best / peak)} of peak, median ${pct(median / peak)} (target >= 60%: ${best / peak >= 0.6 ? 'met' : 'NOT met'}) | load average ${loadAverage()}`,
);
