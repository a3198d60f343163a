import { FeatureSource } from '../gluenet/data.js';
import { loadAligner } from '../gluenet/load.js';
import { writeSafetensors } from '../io/safetensors.js';
import { type Command, numberFlag, parseFlags, renamedFlag, requireString, UsageError } from './command.js';

const usage = `gluegen align — map new-encoder features into the generator's condition space

usage: gluegen align --gluenet DIR --x X.safetensors --out OUT.safetensors [--batch-size 64] [--device cpu|cuda]

X (--x, formerly --features; as in train and eval) holds tensor 'features' [B, tokens_in, dim_in] of raw new-encoder output. OUT gets 'aligned'
[B, tokens_out, dim_out], already multiplied back by cond_norm/2: ready for the generator's UNet.`;

export const alignCommand: Command = {
  name: 'align',
  summary: 'run a GlueNet aligner on a feature file',
  usage,
  async run(argv) {
    const { values } = parseFlags(
      argv,
      {
        gluenet: { type: 'string' },
        x: { type: 'string' },
        features: { type: 'string' },
        out: { type: 'string' },
        'batch-size': { type: 'string' },
        device: { type: 'string' },
      },
      'align',
    );
    renamedFlag(values, 'x', 'features', 'align');
    const aligner = await loadAligner(requireString(values, 'gluenet', 'align'), { device: (values.device as 'cpu' | 'cuda' | undefined) ?? 'cpu' });
    const src = await FeatureSource.open(requireString(values, 'x', 'align'));
    const cfg = aligner.config;
    try {
      if (src.tokens !== cfg.tokens_in || src.dim !== cfg.dim_in) {
        throw new UsageError(
          `align: '${src.path}' holds [${src.rows}, ${src.tokens}, ${src.dim}] features; this GlueNet expects [N, ${cfg.tokens_in}, ${cfg.dim_in}]`,
        );
      }
      const bs = numberFlag(values, 'batch-size', 'align', { min: 1, integer: true, default: 64 })!;
      const out = new Float32Array(src.rows * cfg.tokens_out * cfg.dim_out);
      for (let s = 0; s < src.rows; s += bs) {
        const idx = Array.from({ length: Math.min(bs, src.rows - s) }, (_, i) => s + i);
        out.set(await aligner.align(await src.batch(idx), idx.length), s * cfg.tokens_out * cfg.dim_out);
      }
      const outPath = requireString(values, 'out', 'align');
      await writeSafetensors(outPath, { aligned: { dtype: 'F32', shape: [src.rows, cfg.tokens_out, cfg.dim_out], data: out } });
      console.log(`aligned ${src.rows} x [${cfg.tokens_in}, ${cfg.dim_in}] -> [${cfg.tokens_out}, ${cfg.dim_out}]: ${outPath}`);
    } finally {
      await src.close();
      await aligner.release();
    }
  },
};
