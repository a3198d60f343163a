/**
 * The Generator interface: a frozen conditional image generator driven by condition tensors —
 * never by prompts. Real Stable Diffusion folders and the bundled world's mini generator both
 * implement it, so everything upstream (encoders, GlueNet, mixing) is shared.
 */
import type { Rng } from '../util/rng.js';

export interface ConditionSpec {
  /** Tokens of the condition the denoiser cross-attends to (77 for SD 1.x). */
  tokens: number;
  /** Width of each condition token (768 for SD 1.x). */
  dim: number;
}

export interface GenerateOptions {
  /** [B, T, D] conditions, one per image. */
  cond: Float32Array;
  /** [1, T, D] or [B, T, D] unconditional condition for classifier-free guidance. */
  uncond: Float32Array;
  batch: number;
  steps: number;
  guidance: number;
  scheduler: string;
  height?: number;
  width?: number;
  /** Noise source; a seed reproduces the images. */
  rng: Rng;
  /** Called after each denoising step. */
  onStep?: (step: number, total: number) => void;
  /** Aborts between steps. */
  signal?: AbortSignal;
}

export interface GeneratedImages {
  /** Each image as RGB bytes, HWC. */
  images: Uint8Array[];
  width: number;
  height: number;
}

export interface Generator {
  readonly name: string;
  readonly condition: ConditionSpec;
  /** Default output size (pixels). */
  readonly defaultSize: { width: number; height: number };
  generate(opts: GenerateOptions): Promise<GeneratedImages>;
  /** The scheduler name a choice ('default' or a name) runs as, for records such as PNG metadata. */
  resolveScheduler?(choice: string): string;
  release(): Promise<void>;
}
