/**
 * `gluegen eval`: how well a GlueNet maps held-out new-encoder features onto the generator's own
 * features for the same items — alignment metrics, reconstruction error, and a PCA picture of
 * old / aligned / naive (un-aligned) features.
 */
import { compileInference } from '../engine/compile.js';
import { Graph } from '../engine/ir.js';
import { Session } from '../engine/runtime.js';
import { scatterPlot } from '../io/plot.js';
import { naivePlugIn } from './baselines.js';
import type { GlueNet } from './checkpoint.js';
import type { FeatureSource } from './data.js';
import { Aligner } from './inference.js';
import { type AlignmentMetrics, alignmentMetrics, pca2, pooled } from './metrics.js';
import { aligner as alignerNet, decoder as decoderNet } from './model.js';

export interface EvalReport extends AlignmentMetrics {
  rows: number;
  /** Mean squared error of decoder(aligner(x)) against x, in the aligner's input units (x / x_scale); null without a decoder. */
  reconstructionMse: number | null;
  /** The same metrics for the naive plug-in (new features zero-padded/truncated into the generator's shape). */
  naive: AlignmentMetrics;
}

async function reconstructionMse(g: GlueNet, x: Float32Array, n: number): Promise<number | null> {
  if (!g.parts.includes('decoder')) return null;
  const cfg = g.config;
  const graph = new Graph(false);
  const xin = graph.input('x', ['batch', cfg.tokens_in, cfg.dim_in]);
  const xs = xin.div(cfg.x_scale);
  const r = decoderNet(cfg, alignerNet(cfg, xs)).sub(xs);
  const mse = r.mul(r).mean([0, 1, 2]);
  const s = await Session.create(compileInference(graph, { mse }, g.weights));
  const res = await s.run({ x: { data: x, dims: [n, cfg.tokens_in, cfg.dim_in] } });
  await s.release();
  return (res.mse!.data as Float32Array)[0]!;
}

export async function evaluateGlueNet(
  g: GlueNet,
  xs: FeatureSource,
  cs: FeatureSource,
  opts: { maxRows?: number } = {},
): Promise<{ report: EvalReport; plot: Uint8Array }> {
  const cfg = g.config;
  const n = Math.min(xs.rows, opts.maxRows ?? 2000);
  const idx = Array.from({ length: n }, (_, i) => i);
  const x = await xs.batch(idx);
  const c = await cs.batch(idx);
  const al = await Aligner.create(cfg, g.weights);
  const aligned = await al.alignAll(x, n);
  await al.release();
  const naive = naivePlugIn(x, n, cfg.tokens_in, cfg.dim_in, cfg.tokens_out, cfg.dim_out);
  const report: EvalReport = {
    rows: n,
    ...alignmentMetrics(aligned, c, n, cfg.tokens_out, cfg.dim_out),
    reconstructionMse: await reconstructionMse(g, x, n),
    naive: alignmentMetrics(naive, c, n, cfg.tokens_out, cfg.dim_out),
  };

  // PCA fitted on the generator's own pooled features; the others projected into the same plane.
  const d = cfg.dim_out;
  const pc = pooled(c, n, cfg.tokens_out, d);
  const pa = pooled(aligned, n, cfg.tokens_out, d);
  const pn = pooled(naive, n, cfg.tokens_out, d);
  const pca = pca2(pc, n, d);
  const shown = Math.min(n, 400);
  const points = (v: Float32Array): [number, number][] => Array.from({ length: shown }, (_, i) => pca.project(v, i * d));
  const plot = scatterPlot({
    title: 'Pooled features, PCA of the generator encoder',
    xLabel: 'PC 1',
    yLabel: 'PC 2',
    groups: [
      { name: 'generator encoder (old)', points: points(pc) },
      { name: 'GlueNet aligned (new)', points: points(pa) },
      { name: 'naive plug-in (new)', points: points(pn) },
    ],
  });
  return { report, plot };
}
