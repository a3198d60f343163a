/**
 * A GlueNet aligner run from its exported ONNX graph (aligner.onnx, the graph `gluegen export`
 * writes with alignerOnnx) and its config.json, read through a file source. It needs no graph
 * compiler, so it is how the browser page runs GlueNets: the web build exports the graph, the page
 * only loads it.
 */
import { type Device, Session } from '../engine/runtime.js';
import { type FileSource, readJson } from '../io/file-source.js';
import { type GlueNetConfig, parseConfig } from './config.js';
import type { LoadedAligner } from './load.js';

export const ALIGN_INPUT = 'features';
export const ALIGN_OUTPUT = 'aligned';
/** The exported graph's file name in a GlueNet folder. */
export const EXPORTED_ALIGNER_FILE = 'aligner.onnx';

/** Throws a clear Error unless `features` is [batch, tokens_in, dim_in] of finite numbers. */
export function checkAlignerFeatures(cfg: GlueNetConfig, features: Float32Array, batch: number): void {
  const { tokens_in: t, dim_in: d } = cfg;
  if (features.length !== batch * t * d) {
    throw new Error(`align: got ${features.length} values for batch ${batch}, expected ${batch} x ${t} x ${d} = ${batch * t * d}`);
  }
  for (let i = 0; i < features.length; i++) {
    if (!Number.isFinite(features[i]!)) {
      throw new Error(`align: features contain ${features[i]} at row ${Math.floor(i / (t * d))}, token ${Math.floor(i / d) % t}: check the encoder output`);
    }
  }
}

/** Loads config.json + aligner.onnx of a GlueNet folder. */
export async function loadExportedAligner(files: FileSource, opts: { device?: Device } = {}): Promise<LoadedAligner> {
  const config = parseConfig(await readJson(files, 'config.json', { what: 'pass a GlueNet folder' }), files.describe('config.json'));
  const session = await Session.create(await files.bytes(EXPORTED_ALIGNER_FILE), opts);
  const { tokens_in: t, dim_in: d, tokens_out, dim_out } = config;
  return {
    config,
    async align(features, batch) {
      checkAlignerFeatures(config, features, batch);
      const out = (await session.run({ [ALIGN_INPUT]: { data: features, dims: [batch, t, d] } }))[ALIGN_OUTPUT]?.data;
      if (!(out instanceof Float32Array) || out.length !== batch * tokens_out * dim_out) {
        throw new Error(
          `${files.describe(EXPORTED_ALIGNER_FILE)} does not map [${batch}, ${t}, ${d}] features to [${batch}, ${tokens_out}, ${dim_out}]; export it again from this GlueNet (gluegen export)`,
        );
      }
      return out;
    },
    release: () => session.release(),
  };
}
