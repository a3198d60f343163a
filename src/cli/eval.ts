import { join } from 'node:path';
import { loadGlueNet } from '../gluenet/checkpoint.js';
import { checkPairing, FeatureSource } from '../gluenet/data.js';
import { evaluateGlueNet } from '../gluenet/evaluate.js';
import { writeFileAtomic } from '../io/atomic.js';
import { type Command, numberFlag, parseFlags, requireString } from './command.js';

const usage = `gluegen eval — alignment quality of a GlueNet on held-out paired features

usage: gluegen eval --gluenet DIR --x X.safetensors --cond C.safetensors [--out DIR] [--max-rows 2000]

Reports MSE, token-wise and pooled cosine, retrieval R@1/R@5 (aligned item i must find its own
generator features among all rows), the reconstruction error, and the same metrics for the naive
plug-in (no alignment). Writes eval.json and pca.png (default --out: the GlueNet directory).`;

export const evalCommand: Command = {
  name: 'eval',
  summary: 'measure a GlueNet on held-out paired features (JSON + PCA plot)',
  usage,
  async run(argv) {
    const { values } = parseFlags(
      argv,
      { gluenet: { type: 'string' }, x: { type: 'string' }, cond: { type: 'string' }, out: { type: 'string' }, 'max-rows': { type: 'string' } },
      'eval',
    );
    const dir = requireString(values, 'gluenet', 'eval');
    const g = await loadGlueNet(dir);
    const xs = await FeatureSource.open(requireString(values, 'x', 'eval'));
    const cs = await FeatureSource.open(requireString(values, 'cond', 'eval'));
    try {
      checkPairing(xs, cs, g.config);
      const maxRows = numberFlag(values, 'max-rows', 'eval', { min: 2, integer: true, default: 2000 })!;
      const { report, plot } = await evaluateGlueNet(g, xs, cs, { maxRows });
      const out = (values.out as string | undefined) ?? dir;
      await writeFileAtomic(join(out, 'eval.json'), `${JSON.stringify(report, null, 2)}\n`);
      await writeFileAtomic(join(out, 'pca.png'), plot);
      const f = (v: number): string => v.toFixed(3);
      console.log(`rows ${report.rows}            GlueNet    naive plug-in`);
      console.log(`mse              ${report.mse.toPrecision(4).padStart(9)}  ${report.naive.mse.toPrecision(4).padStart(9)}`);
      console.log(`token cosine     ${f(report.tokenCosine).padStart(9)}  ${f(report.naive.tokenCosine).padStart(9)}`);
      console.log(`pooled cosine    ${f(report.pooledCosine).padStart(9)}  ${f(report.naive.pooledCosine).padStart(9)}`);
      console.log(`R@1 / R@5        ${f(report.recallAt1)}/${f(report.recallAt5)}  ${f(report.naive.recallAt1)}/${f(report.naive.recallAt5)}`);
      console.log(`reconstruction   ${report.reconstructionMse === null ? 'n/a (no decoder)' : report.reconstructionMse.toPrecision(4)}`);
      console.log(`written: ${join(out, 'eval.json')}, ${join(out, 'pca.png')}`);
    } finally {
      await xs.close();
      await cs.close();
    }
  },
};
