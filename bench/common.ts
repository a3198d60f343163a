/**
 * Measurement helpers shared by the benchmarks. The machine they run on may be shared and busy, so
 * every figure is taken after a warm-up, repeated, and reported as min / median / max; the best
 * (min time) is the one compared, since load only ever makes a run slower. The load average is
 * printed beside the figures so a reader can tell a quiet run from a noisy one.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileInference } from '../src/engine/compile.js';
import { Graph } from '../src/engine/ir.js';
import { Session } from '../src/engine/runtime.js';
import { Rng } from '../src/util/rng.js';

export interface Timing {
  /** Seconds per run, sorted ascending. */
  samples: number[];
  min: number;
  median: number;
  max: number;
}

export function summarise(samples: number[]): Timing {
  const s = [...samples].sort((a, b) => a - b);
  if (!s.length) throw new Error('internal: no samples to summarise');
  return { samples: s, min: s[0]!, median: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]! };
}

/** Runs fn `warmup` times untimed, then `reps` times timed (seconds). */
export async function measure(fn: () => Promise<unknown>, warmup: number, reps: number): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    samples.push((performance.now() - t0) / 1000);
  }
  return summarise(samples);
}

/** "min / median / max" with a unit and scale (e.g. 1000 for ms). */
export function fmtTiming(t: Timing, unit: string, scale = 1, digits = 2): string {
  const f = (v: number): string => (v * scale).toFixed(digits);
  return `${f(t.min)} / ${f(t.median)} / ${f(t.max)} ${unit} (min / median / max of ${t.samples.length})`;
}

export function loadAverage(): string {
  return os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(', ');
}

/** Peak resident memory of this process so far, in MB (VmHWM on Linux, current RSS elsewhere). */
export function peakRssMb(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    /* not Linux */
  }
  return process.memoryUsage().rss / 2 ** 20;
}

export function machine(): string {
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  return `${os.cpus()[0]?.model ?? 'cpu'}, ${cores} cores; load average ${loadAverage()}`;
}

/** GEMM shapes [M, K, N] the peak is taken over: the training step's own and square ones. */
export const GEMM_SHAPES: readonly [number, number, number][] = [
  [2464, 1024, 2048],
  [2048, 2048, 2048],
  [4096, 1024, 1024],
  [2464, 2048, 1024],
];

export interface GemmShapeResult {
  shape: [number, number, number];
  /** GFLOP/s of the best run. */
  best: number;
  timing: Timing;
}

/**
 * onnxruntime fp32 GEMM rate on this machine: each shape warmed up and run `reps` times; the
 * machine's peak is the best rate of any shape and run (load only lowers it).
 */
export async function gemmPeak(reps = 7, threads?: number): Promise<{ peak: number; shapes: GemmShapeResult[] }> {
  const shapes: GemmShapeResult[] = [];
  const rng = new Rng(1);
  for (const [m, k, n] of GEMM_SHAPES) {
    const g = new Graph();
    const a = g.input('a', [m, k]);
    const b = g.input('b', [k, n]);
    const s = await Session.create(compileInference(g, { c: a.matmul(b) }, new Map()), threads ? { threads } : {});
    const av = rng.fillUniform(new Float32Array(m * k), -1, 1);
    const bv = rng.fillUniform(new Float32Array(k * n), -1, 1);
    const out = new Float32Array(m * n);
    const feeds = { a: { data: av, dims: [m, k] }, b: { data: bv, dims: [k, n] } };
    const timing = await measure(() => s.run(feeds, { c: { data: out, dims: [m, n] } }), 2, reps);
    await s.release();
    shapes.push({ shape: [m, k, n], best: (2 * m * k * n) / timing.min / 1e9, timing });
  }
  return { peak: Math.max(...shapes.map((r) => r.best)), shapes };
}

export function fmtGemm(r: GemmShapeResult): string {
  const [m, k, n] = r.shape;
  const rate = (sec: number): string => ((2 * m * k * n) / sec / 1e9).toFixed(0);
  return `GEMM ${m}x${k}x${n}: ${rate(r.timing.min)} / ${rate(r.timing.median)} / ${rate(r.timing.max)} GFLOP/s (best / median / worst of ${r.timing.samples.length})`;
}

export const pct = (ratio: number): string => `${(ratio * 100).toFixed(0)}%`;

/**
 * Top op types of an onnxruntime profile (Chrome trace JSON written by a session created with
 * `profile: prefix`): total kernel time per op type, as lines "share  ms  calls  op". Reads the
 * newest trace whose name starts with the prefix.
 */
export function profileTop(prefix: string, top = 12): string[] {
  const dir = path.dirname(path.resolve(prefix));
  const base = path.basename(prefix);
  const files = readdirSync(dir)
    .filter((f) => f.startsWith(base) && f.endsWith('.json'))
    .map((f) => path.join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!files.length) return [`no profile written under '${prefix}'`];
  const events = JSON.parse(readFileSync(files[0]!, 'utf8')) as { cat?: string; name?: string; dur?: number; args?: { op_name?: string } }[];
  const byOp = new Map<string, { us: number; calls: number }>();
  let total = 0;
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !e.args?.op_name) continue;
    const r = byOp.get(e.args.op_name) ?? { us: 0, calls: 0 };
    r.us += e.dur ?? 0;
    r.calls++;
    byOp.set(e.args.op_name, r);
    total += e.dur ?? 0;
  }
  return [
    `profile ${files[0]}: ${(total / 1e6).toFixed(1)} s of kernel time`,
    ...[...byOp.entries()]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)
      .map(([op, r]) => `  ${pct(r.us / total).padStart(4)}  ${(r.us / 1e3).toFixed(0).padStart(8)} ms  ${String(r.calls).padStart(6)} calls  ${op}`),
  ];
}
