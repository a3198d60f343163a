/**
 * The aligner as deployed: raw new-encoder features in, generator-ready condition out
 * (x / x_scale -> aligner -> * cond_norm / 2), compiled once to ONNX with the weights baked in.
 * The same graph is what `gluegen export` writes for other ONNX pipelines.
 */
import { compileInference } from '../engine/compile.js';
import { Graph } from '../engine/ir.js';
import { type Device, Session } from '../engine/runtime.js';
import { condNormValues, type GlueNetConfig } from './config.js';
import { ALIGN_INPUT, ALIGN_OUTPUT, checkAlignerFeatures } from './exported-aligner.js';
import { aligner } from './model.js';

export { ALIGN_INPUT, ALIGN_OUTPUT };

/** ONNX bytes of the standalone aligner: features [batch, Tn, Dn] -> aligned [batch, Tg, Dg]. */
export function alignerOnnx(cfg: GlueNetConfig, weights: ReadonlyMap<string, Float32Array>): Uint8Array {
  const g = new Graph(false);
  const x = g.input(ALIGN_INPUT, ['batch', cfg.tokens_in, cfg.dim_in]);
  const halfNorm = g.constant(
    condNormValues(cfg).map((v) => v / 2),
    [1, cfg.tokens_out, 1],
  );
  const y = aligner(cfg, x.div(cfg.x_scale)).mul(halfNorm);
  const aligned = new Map([...weights].filter(([k]) => k.startsWith('aligner.')));
  return compileInference(g, { [ALIGN_OUTPUT]: y }, aligned, {
    name: 'gluenet_aligner',
    metadata: { gluegen_config: JSON.stringify(cfg) },
  });
}

/** A loaded aligner, ready to map batches of features. */
export class Aligner {
  private constructor(
    private readonly session: Session,
    readonly config: GlueNetConfig,
  ) {}

  static async create(cfg: GlueNetConfig, weights: ReadonlyMap<string, Float32Array>, opts: { device?: Device } = {}): Promise<Aligner> {
    return new Aligner(await Session.create(alignerOnnx(cfg, weights), opts), cfg);
  }

  /** features: [B, Tn, Dn] flat -> [B, Tg, Dg] flat, in the generator's units. */
  async align(features: Float32Array, batch: number): Promise<Float32Array> {
    const { tokens_in: t, dim_in: d } = this.config;
    checkAlignerFeatures(this.config, features, batch);
    const out = await this.session.run({ [ALIGN_INPUT]: { data: features, dims: [batch, t, d] } });
    return out[ALIGN_OUTPUT]!.data as Float32Array;
  }

  /** Any number of rows [n, Tn, Dn], aligned in batches. */
  async alignAll(features: Float32Array, n: number, batchSize = 64): Promise<Float32Array> {
    const { tokens_in: ti, dim_in: di, tokens_out: to, dim_out: dout } = this.config;
    const out = new Float32Array(n * to * dout);
    for (let s = 0; s < n; s += batchSize) {
      const b = Math.min(batchSize, n - s);
      out.set(await this.align(features.subarray(s * ti * di, (s + b) * ti * di), b), s * to * dout);
    }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
