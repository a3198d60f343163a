/**
 * Stable Diffusion 1.x (and 2.x-shaped) image generation from an ONNX export folder, driven by
 * condition tensors: the Generator interface over a diffusers / Optimum ONNX layout.
 *
 * generate(): latents ~ N(0, 1) * init_noise_sigma from the seeded Rng; for each scheduler timestep,
 * the guided UNet prediction and one scheduler step; then each latent / scaling_factor through the
 * VAE decoder to RGB bytes. The UNet and VAE sessions are opened from their file paths (external data
 * loads, no second copy in memory) and fed the dtypes their inputs declare.
 */
import { type Device, Session } from '../../engine/runtime.js';
import { denoise } from '../denoise.js';
import type { ConditionSpec, GeneratedImages, GenerateOptions, Generator } from '../types.js';
import { readSdFolder, type SdFolder } from './folder.js';
import { createScheduler, SCHEDULER_NAMES, type SchedulerName, schedulerNameForConfig } from './schedulers/index.js';
import { readUnetSignature, type UnetSignature } from './unet.js';
import { VaeDecoder } from './vae.js';

export interface SdLoadOptions {
  /** Execution provider: 'cpu' (default) or 'cuda' (needs onnxruntime-node's CUDA build). */
  device?: Device;
  /** Threads per op (default: all cores). */
  threads?: number;
  /**
   * 'auto' (default): unconditional and conditional halves in one UNet call of batch 2B when the
   * UNet's batch is dynamic; 'separate': always two calls (less peak memory, same images).
   */
  guidanceBatching?: 'auto' | 'separate';
}

/** Where the time of the last generate() went, in milliseconds. */
export interface GenerationTimings {
  totalMs: number;
  unetMs: number;
  vaeMs: number;
  /** Everything outside the two sessions: conversions, guidance, scheduler, noise, RGB. */
  overheadMs: number;
  steps: number;
  unetCallsPerStep: number;
  /** UNet rows (images, doubled when guidance is on) per step. */
  unetRowsPerStep: number;
}

/** Scheduler names accepted by generate(): an implemented one, or 'default' for the folder's own. */
export type SdSchedulerChoice = SchedulerName | 'default';

export class SdOnnxGenerator implements Generator {
  readonly name: string;
  readonly condition: ConditionSpec;
  readonly defaultSize: { width: number; height: number };
  /** Timings of the last generate(), or null before the first. */
  lastTimings: GenerationTimings | null = null;

  private constructor(
    readonly folder: SdFolder,
    readonly unetSignature: UnetSignature,
    private readonly unet: Session,
    private readonly vae: VaeDecoder,
    private readonly options: SdLoadOptions,
  ) {
    this.name = `sd-onnx:${folder.dir}`;
    const sig = unetSignature;
    // Condition shape: as the UNet declares it; exports with a dynamic token dim fall back to the
    // text encoder's positions (77 for CLIP) and unet/config.json's cross_attention_dim.
    const tokens = sig.tokens ?? folder.textTokens ?? 77;
    const dim = sig.dim ?? folder.crossAttentionDim;
    if (dim === null) {
      throw new Error(
        `UNet '${folder.unetPath}' declares no static condition width and unet/config.json has no cross_attention_dim; add the original unet/config.json to the folder`,
      );
    }
    if (sig.dim !== null && folder.crossAttentionDim !== null && sig.dim !== folder.crossAttentionDim) {
      throw new Error(
        `UNet '${folder.unetPath}' takes conditions of width ${sig.dim} but unet/config.json says cross_attention_dim ${folder.crossAttentionDim}; the folder mixes exports`,
      );
    }
    if (sig.channels !== null && sig.channels !== folder.latentChannels) {
      throw new Error(`UNet '${folder.unetPath}' takes ${sig.channels} latent channels but the configs say ${folder.latentChannels}; the folder mixes exports`);
    }
    this.condition = { tokens, dim };
    const latentH = sig.latentHeight ?? folder.sampleSize ?? 64;
    const latentW = sig.latentWidth ?? folder.sampleSize ?? 64;
    this.defaultSize = { width: latentW * folder.vaeScaleFactor, height: latentH * folder.vaeScaleFactor };
  }

  /** Opens an SD ONNX folder (see folder.ts for the layout). */
  static async load(dir: string, options: SdLoadOptions = {}): Promise<SdOnnxGenerator> {
    const folder = readSdFolder(dir);
    // Validate the scheduler config now rather than at the first generate().
    createScheduler(schedulerNameForConfig(folder.schedulerConfig) ?? 'ddim', folder.schedulerConfig);
    const sessionOptions = { device: options.device ?? 'cpu', ...(options.threads ? { threads: options.threads } : {}) };
    const unet = await Session.create(folder.unetPath, sessionOptions);
    try {
      const signature = readUnetSignature(unet, folder.unetPath);
      const vaeSession = await Session.create(folder.vaeDecoderPath, sessionOptions);
      try {
        const vae = new VaeDecoder(vaeSession, folder.vaeDecoderPath, folder.vaeScalingFactor);
        return new SdOnnxGenerator(folder, signature, unet, vae, options);
      } catch (e) {
        await vaeSession.release();
        throw e;
      }
    } catch (e) {
      await unet.release();
      throw e;
    }
  }

  /** The scheduler a choice resolves to ('default': the folder's scheduler_config _class_name). */
  resolveScheduler(choice: string): SchedulerName {
    if (choice === 'default' || choice === '') {
      const fromConfig = schedulerNameForConfig(this.folder.schedulerConfig);
      if (!fromConfig) {
        const cls = String(this.folder.schedulerConfig._class_name ?? 'none');
        throw new Error(`the folder's scheduler ${cls} is not implemented; choose one of ${SCHEDULER_NAMES.join(', ')} (--scheduler)`);
      }
      return fromConfig;
    }
    if (!(SCHEDULER_NAMES as readonly string[]).includes(choice)) {
      throw new Error(`scheduler '${choice}' is unknown; expected one of ${SCHEDULER_NAMES.join(', ')} or 'default' (the folder's own)`);
    }
    return choice as SchedulerName;
  }

  /** The latent [h, w] for a requested image size, or a clear error. */
  latentSize(height: number, width: number): [number, number] {
    const f = this.folder.vaeScaleFactor;
    for (const [name, v] of [
      ['height', height],
      ['width', width],
    ] as const) {
      if (!Number.isInteger(v) || v < f || v % f !== 0) throw new Error(`image ${name} ${v} must be a positive multiple of ${f} (the VAE's upsampling factor)`);
    }
    const sig = this.unetSignature;
    if ((sig.latentHeight !== null && sig.latentHeight !== height / f) || (sig.latentWidth !== null && sig.latentWidth !== width / f)) {
      throw new Error(`this UNet export is fixed to ${this.defaultSize.width}x${this.defaultSize.height} images; got ${width}x${height}`);
    }
    return [height / f, width / f];
  }

  async generate(opts: GenerateOptions): Promise<GeneratedImages> {
    const started = performance.now();
    const { batch, steps } = opts;
    if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`steps ${steps} must be a positive integer`);
    const [h, w] = this.latentSize(opts.height ?? this.defaultSize.height, opts.width ?? this.defaultSize.width);
    const scheduler = createScheduler(this.resolveScheduler(opts.scheduler), this.folder.schedulerConfig);
    scheduler.setTimesteps(steps);
    const latentShape = [this.folder.latentChannels, h, w] as const;
    const unet = { session: this.unet, signature: this.unetSignature, condition: this.condition, separate: this.options.guidanceBatching === 'separate' };
    const run = await denoise(unet, scheduler, latentShape, opts, 'sd generator');
    const latents = run.latents;
    const latentSize = latentShape[0] * h * w;

    const vaeBefore = this.vae.sessionMs;
    const images: Uint8Array[] = [];
    let size = { width: 0, height: 0 };
    for (let b = 0; b < batch; b++) {
      if (opts.signal?.aborted) throw new Error(`generation aborted while decoding image ${b + 1} of ${batch}`);
      const img = await this.vae.decode(latents.subarray(b * latentSize, (b + 1) * latentSize), latentShape);
      images.push(img.rgb);
      size = { width: img.width, height: img.height };
    }
    const totalMs = performance.now() - started;
    const vaeMs = this.vae.sessionMs - vaeBefore;
    this.lastTimings = {
      totalMs,
      unetMs: run.unetMs,
      vaeMs,
      overheadMs: totalMs - run.unetMs - vaeMs,
      steps: run.steps,
      unetCallsPerStep: run.unetCallsPerStep,
      unetRowsPerStep: run.unetRowsPerStep,
    };
    return { images, ...size };
  }

  async release(): Promise<void> {
    await this.unet.release();
    await this.vae.release();
  }
}
