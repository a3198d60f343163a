/**
 * npm run bench:engine — onnxruntime GEMM throughput on this machine, and a full training step
 * (forward + backward + Adam) of an MLP stack compiled by our engine, as a fraction of that GEMM rate.
 * Target (not a test): the training step reaches >= 60% of the GEMM throughput.
 */
import os from 'node:os';
import { compileInference } from '../src/engine/compile.js';
import { gelu, mse } from '../src/engine/functional.js';
import { initWeights } from '../src/engine/init.js';
import { Graph } from '../src/engine/ir.js';
import { Session } from '../src/engine/runtime.js';
import { Trainer } from '../src/engine/trainer.js';
import { Linear } from '../src/nn/layers.js';
import { Rng } from '../src/util/rng.js';

const M = 2464;
const K = 1024;
const N = 2048;

async function timeIt(fn: () => Promise<unknown>, warmup: number, reps: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]! / 1000;
}

async function gemm(): Promise<number> {
  const g = new Graph();
  const a = g.input('a', [M, K]);
  const b = g.input('b', [K, N]);
  const model = compileInference(g, { c: a.matmul(b) }, new Map());
  const s = await Session.create(model);
  const rng = new Rng(1);
  const av = rng.fillUniform(new Float32Array(M * K), -1, 1);
  const bv = rng.fillUniform(new Float32Array(K * N), -1, 1);
  const out = new Float32Array(M * N);
  const sec = await timeIt(() => s.run({ a: { data: av, dims: [M, K] }, b: { data: bv, dims: [K, N] } }, { c: { data: out, dims: [M, N] } }), 2, 7);
  await s.release();
  return (2 * M * K * N) / sec / 1e9;
}

async function mlpStep(): Promise<{ sec: number; gflops: number }> {
  const widths = [1024, 2048, 2048, 1024];
  const g = new Graph(true);
  const x = g.input('x', [M, widths[0]!]);
  const y = g.input('y', [M, widths[3]!]);
  let h = x;
  for (let i = 0; i < 3; i++) {
    h = new Linear(`${i}`, widths[i]!, widths[i + 1]!).forward(h);
    if (i < 2) h = gelu(h);
  }
  const trainer = await Trainer.create({ graph: g, loss: mse(h, y), optimizer: { kind: 'adam' } }, initWeights(g, 0));
  const rng = new Rng(2);
  const batch = {
    x: { data: rng.fillNormal(new Float32Array(M * widths[0]!)), dims: [M, widths[0]!] },
    y: { data: rng.fillNormal(new Float32Array(M * widths[3]!)), dims: [M, widths[3]!] },
  };
  const sec = await timeIt(() => trainer.runStep(batch, 1e-4), 2, 5);
  await trainer.release();
  let flops = 0;
  for (let i = 0; i < 3; i++) {
    const f = 2 * M * widths[i]! * widths[i + 1]!;
    flops += f * (i === 0 ? 2 : 3); // forward + dW (+ dX except for the input layer)
  }
  return { sec, gflops: flops / sec / 1e9 };
}

const cores = os.availableParallelism?.() ?? os.cpus().length;
console.log(`gluegen bench:engine — ${os.cpus()[0]?.model ?? 'cpu'}, ${cores} cores, onnxruntime-node CPU`);
const gemmRate = await gemm();
console.log(`GEMM ${M}x${K}x${N} fp32: ${gemmRate.toFixed(1)} GFLOP/s`);
const step = await mlpStep();
console.log(`MLP ${M}x1024 -> 2048 -> 2048 -> 1024, Adam: ${(step.sec * 1000).toFixed(0)} ms/step, ${step.gflops.toFixed(1)} GFLOP/s`);
const ratio = step.gflops / gemmRate;
console.log(`summary: GEMM ${gemmRate.toFixed(1)} GFLOP/s; train step ${(step.sec * 1000).toFixed(0)} ms = ${step.gflops.toFixed(1)} GFLOP/s = ${(ratio * 100).toFixed(0)}% of GEMM (target >= 60%: ${ratio >= 0.6 ? 'met' : 'NOT met'})`);
