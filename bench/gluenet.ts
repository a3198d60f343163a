/**
 * npm run bench:gluenet — the paper's multilingual GlueNet (translator_noln 77x1024 -> 77x768,
 * mult 2, depth 5, + decoder + discriminator, Adam, batch 32) on this machine: seconds per training
 * step, samples/s, achieved GFLOP/s, aligner inference latency at batch 1, and peak memory.
 * Targets (benchmark, not test): training step <= 12 s, inference <= 100 ms.
 * Reference measured on this 2-core machine: PyTorch 1.13 + OpenBLAS 14.4 s/step, 271 ms inference.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Graph, type Tensor } from '../src/engine/ir.js';
import { initWeights } from '../src/engine/init.js';
import { Trainer } from '../src/engine/trainer.js';
import { parseConfig } from '../src/gluenet/config.js';
import { Aligner } from '../src/gluenet/inference.js';
import { glueNetLoss } from '../src/gluenet/losses.js';
import { RELEASE_CONFIGS } from '../src/gluenet/presets.js';
import { resolveShape } from '../src/engine/shape.js';
import { Rng } from '../src/util/rng.js';

const BATCH = Number(process.env.BENCH_BATCH ?? 32);
const STEPS = Number(process.env.BENCH_STEPS ?? 3);

function peakRssMb(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    /* not Linux */
  }
  return process.memoryUsage().rss / 1e6;
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

const cfg = parseConfig(RELEASE_CONFIGS['multilingual-xlmr-sd1']);
console.log(`gluegen bench:gluenet — ${os.cpus()[0]?.model ?? 'cpu'}, ${os.availableParallelism?.() ?? os.cpus().length} cores`);
console.log(`config: ${cfg.arch} ${cfg.tokens_in}x${cfg.dim_in} -> ${cfg.tokens_out}x${cfg.dim_out}, mult ${cfg.mult}, depth ${cfg.depth}; batch ${BATCH}, Adam`);

const g = new Graph(true);
const terms = glueNetLoss(g, cfg);
const forwardFlops = matmulFlops([terms.total], { batch: BATCH });
const weights = initWeights(g, 0);
let t = performance.now();
const trainer = await Trainer.create({ graph: g, loss: terms.total, optimizer: { kind: 'adam' } }, weights);
console.log(`compile + session: ${((performance.now() - t) / 1000).toFixed(1)} s`);
const rng = new Rng(1);
const batch = {
  x: { data: rng.fillNormal(new Float32Array(BATCH * 77 * 1024)), dims: [BATCH, 77, 1024] },
  cond: { data: rng.fillNormal(new Float32Array(BATCH * 77 * 768), 28 / Math.sqrt(768)), dims: [BATCH, 77, 768] },
};
await trainer.runStep(batch, 1e-4); // warm-up
const times: number[] = [];
for (let i = 0; i < STEPS; i++) {
  t = performance.now();
  await trainer.runStep(batch, 1e-4);
  times.push((performance.now() - t) / 1000);
}
times.sort((a, b) => a - b);
const step = times[Math.floor(times.length / 2)]!;
// Backward costs about twice the forward (dX and dW for every MatMul).
const trainFlops = 3 * forwardFlops;
const weightsForInference = trainer.weights();
await trainer.release();

const al = await Aligner.create(cfg, weightsForInference);
const one = rng.fillNormal(new Float32Array(77 * 1024));
for (let i = 0; i < 3; i++) await al.align(one, 1);
const lat: number[] = [];
for (let i = 0; i < 15; i++) {
  t = performance.now();
  await al.align(one, 1);
  lat.push(performance.now() - t);
}
lat.sort((a, b) => a - b);
const infer = lat[Math.floor(lat.length / 2)]!;
await al.release();

console.log(`train step: ${step.toFixed(2)} s (median of ${STEPS}), ${(BATCH / step).toFixed(1)} samples/s, ${(trainFlops / step / 1e9).toFixed(1)} GFLOP/s (${(trainFlops / 1e9).toFixed(0)} GFLOP/step)`);
console.log(`aligner inference, batch 1: ${infer.toFixed(0)} ms (median of 15)`);
console.log(`peak memory (RSS high-water): ${peakRssMb().toFixed(0)} MB`);
console.log(
  `summary: train ${step.toFixed(2)} s/step (target <= 12, PyTorch 14.4: ${(14.4 / step).toFixed(2)}x) | inference ${infer.toFixed(0)} ms (target <= 100, PyTorch 271: ${(271 / infer).toFixed(2)}x) | peak ${peakRssMb().toFixed(0)} MB`,
);
