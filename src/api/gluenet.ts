/**
 * GlueNet as a library object: load a trained one and align features with it, or train one from
 * paired feature files (new encoder's features x, generator encoder's features cond).
 */
import type { Device } from '../engine/runtime.js';
import { loadGlueNet, readConfigFile } from '../gluenet/checkpoint.js';
import type { GlueNetConfig } from '../gluenet/config.js';
import { Aligner } from '../gluenet/inference.js';
import { type StepRecord, trainGlueNet } from '../gluenet/train.js';
import { resolveModelName } from '../world/assets.js';

export interface TrainGlueNetOptions {
  /** New-encoder features: a safetensors file with 'features' [N, tokens_in, dim_in] (see `gluegen extract`). */
  x: string;
  /** The generator's encoder features of the same N items, [N, tokens_out, dim_out]. */
  cond: string;
  /** The GlueNet config, or the path of its config.json. */
  config: GlueNetConfig | string;
  /** Output folder: config.json, model.safetensors, metrics.jsonl, loss.png (written atomically). */
  out: string;
  /** Training length: steps, or epochs (default 4 epochs, as the release). */
  steps?: number;
  epochs?: number;
  batchSize?: number; // 32
  lr?: number; // 1e-4
  seed?: number; // 0
  /** Continue an interrupted run in `out`. */
  resume?: boolean;
  device?: Device; // 'cpu'
  /** Where progress lines go (default stderr); null for none. */
  progress?: NodeJS.WritableStream | null;
}

export interface TrainGlueNetResult {
  /** The trained GlueNet, loaded and ready to align (release it when done). */
  glueNet: GlueNet;
  steps: number;
  /** Loss per step. */
  history: StepRecord[];
}

export class GlueNet {
  private released = false;

  private constructor(
    readonly config: GlueNetConfig,
    private readonly aligner: Aligner,
  ) {}

  /** Loads a GlueNet folder (config.json + model.safetensors), or 'world-multilingual' / 'world-sound'. */
  static async load(dir: string, options: { device?: Device } = {}): Promise<GlueNet> {
    // The bundled world's GlueNets by name, like everywhere a GlueNet folder is accepted.
    const resolved = resolveModelName(dir, 'gluenet');
    const g = await loadGlueNet(resolved);
    return new GlueNet(g.config, await Aligner.create(g.config, g.weights, options));
  }

  /** Trains a GlueNet on paired feature files and loads the result. */
  static async train(options: TrainGlueNetOptions): Promise<TrainGlueNetResult> {
    const { config, x, cond, out, ...rest } = options;
    const r = await trainGlueNet({ ...rest, x, cond, out, config: typeof config === 'string' ? readConfigFile(config) : config });
    return { glueNet: await GlueNet.load(r.outDir, options.device ? { device: options.device } : {}), steps: r.steps, history: r.history };
  }

  /** What it takes: [tokens, dim] of the new encoder's features. */
  get input(): { tokens: number; dim: number } {
    return { tokens: this.config.tokens_in, dim: this.config.dim_in };
  }

  /** What it gives: [tokens, dim] of the generator's condition. */
  get output(): { tokens: number; dim: number } {
    return { tokens: this.config.tokens_out, dim: this.config.dim_out };
  }

  /**
   * Maps new-encoder features [N, tokens_in, dim_in] (row-major) to generator conditions
   * [N, tokens_out, dim_out]. N is the length over tokens_in * dim_in.
   */
  async align(features: Float32Array): Promise<Float32Array> {
    if (this.released) throw new Error('align: this GlueNet was released; load it again');
    if (!(features instanceof Float32Array))
      throw new Error(
        `align: features must be a Float32Array [N, ${this.config.tokens_in}, ${this.config.dim_in}], got ${features === null ? 'null' : typeof features}`,
      );
    const row = this.config.tokens_in * this.config.dim_in;
    if (features.length === 0 || features.length % row !== 0) {
      throw new Error(
        `align: features have ${features.length} values, not a positive multiple of tokens_in x dim_in = ${this.config.tokens_in} x ${this.config.dim_in} = ${row}`,
      );
    }
    return this.aligner.alignAll(features, features.length / row);
  }

  /** Frees the onnxruntime session. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.aligner.release();
  }
}
