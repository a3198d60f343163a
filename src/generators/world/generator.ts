/**
 * The bundled world's generator behind the same Generator interface as Stable Diffusion: a frozen
 * U-Net ONNX with SD's UNet inputs (sample, timestep, encoder_hidden_states -> out_sample), run by
 * the shared guided denoising loop (../denoise.ts) with the shared schedulers; this file supplies
 * the folder's UNet, scheduler config and decoder (vae_decoder.onnx for a latent model).
 */
import { Session } from '../../engine/runtime.js';
import { type FileSource, FileSourceError, readText } from '../../io/file-source.js';
import { openFiles } from '../../io/open-files.js';
import { type DenoiseResult, denoise } from '../denoise.js';
import { createScheduler, SCHEDULER_NAMES, type SchedulerName, schedulerNameForConfig } from '../sd/schedulers/index.js';
import { readUnetSignature, type UnetSignature } from '../sd/unet.js';
import type { ConditionSpec, GeneratedImages, GenerateOptions, Generator } from '../types.js';
import type { WorldGeneratorConfig } from './config.js';

export type { WorldGeneratorConfig };

export interface WorldGeneratorParts {
  model: Uint8Array | string;
  /** vae_decoder.onnx (latent_sample -> sample), required when config.vae is set. */
  decoder?: Uint8Array | string;
  config: WorldGeneratorConfig;
  /** Parsed scheduler_config.json (diffusers fields). */
  schedulerConfig: Record<string, unknown>;
  name?: string;
}

export class WorldGenerator implements Generator {
  readonly condition: ConditionSpec;
  readonly defaultSize: { width: number; height: number };
  /** What the last generate() ran: steps, UNet calls and rows per step (null before the first). */
  lastRun: Omit<DenoiseResult, 'latents'> | null = null;

  private constructor(
    readonly name: string,
    private readonly session: Session,
    private readonly signature: UnetSignature,
    private readonly decoder: Session | null,
    readonly config: WorldGeneratorConfig,
    readonly schedulerConfig: Record<string, unknown>,
  ) {
    const u = config.unet;
    this.condition = { tokens: u.contextTokens, dim: u.contextDim };
    const side = config.vae?.imageSize ?? u.imageSize;
    this.defaultSize = { width: side, height: side };
  }

  /** Loads a generator folder: config.json, scheduler_config.json, model.onnx. */
  static async load(dir: string, opts: { threads?: number } = {}): Promise<WorldGenerator> {
    return WorldGenerator.fromFiles(openFiles(dir), opts);
  }

  /** Loads the folder's files through a file source (a local folder, or URLs in the browser). */
  static async fromFiles(files: FileSource, opts: { threads?: number } = {}): Promise<WorldGenerator> {
    const read = async (file: string): Promise<Record<string, unknown>> => {
      const path = files.describe(file);
      let text: string;
      try {
        text = await readText(files, file);
      } catch (e) {
        if (!(e instanceof FileSourceError) || e.code !== 'missing') throw new Error(`world generator: ${(e as Error).message}`);
        throw new Error(`world generator: ${path} is missing; point to a folder written by \`gluegen world build\``);
      }
      try {
        return JSON.parse(text) as Record<string, unknown>;
      } catch (e) {
        throw new Error(`world generator: ${path} is not valid JSON (${(e as Error).message}); rebuild it with \`gluegen world build\``);
      }
    };
    const config = await read('config.json');
    if (config._class_name !== 'WorldUNet' || typeof config.unet !== 'object') {
      throw new Error(
        `world generator: ${files.describe('config.json')} has _class_name ${JSON.stringify(config._class_name)}; expected "WorldUNet" with a "unet" object`,
      );
    }
    const parts: WorldGeneratorParts = {
      model: await files.bytes('model.onnx'),
      config: config as unknown as WorldGeneratorConfig,
      schedulerConfig: await read('scheduler_config.json'),
      name: 'world',
    };
    if (config.vae) parts.decoder = await files.bytes('vae_decoder.onnx');
    return WorldGenerator.fromParts(parts, opts);
  }

  static async fromParts(parts: WorldGeneratorParts, opts: { threads?: number } = {}): Promise<WorldGenerator> {
    const so = opts.threads ? { threads: opts.threads } : {};
    if (parts.config.vae && !parts.decoder) throw new Error('world generator: config.json describes a latent model (vae) but no vae_decoder.onnx was given');
    const session = await Session.create(parts.model, so);
    const decoder = parts.config.vae && parts.decoder ? await Session.create(parts.decoder, so) : null;
    return new WorldGenerator(
      parts.name ?? 'world',
      session,
      readUnetSignature(session, 'world generator model.onnx'),
      decoder,
      parts.config,
      parts.schedulerConfig,
    );
  }

  /** 'default': the scheduler named by the folder's scheduler_config.json (else ddim), as for SD folders. */
  resolveScheduler(choice: string): string {
    return choice === 'default' ? (schedulerNameForConfig(this.schedulerConfig) ?? 'ddim') : choice;
  }

  async generate(opts: GenerateOptions): Promise<GeneratedImages> {
    const { batch, steps } = opts;
    const side = this.config.unet.imageSize; // of what the U-Net denoises (pixels, or latents)
    const ch = this.config.unet.channels;
    const out = this.defaultSize.width;
    if ((opts.height ?? out) !== out || (opts.width ?? out) !== out) {
      throw new Error(
        `world generator: size ${opts.width ?? out}x${opts.height ?? out} requested; this generator draws only ${out}x${out} images (omit width/height)`,
      );
    }
    const name = this.resolveScheduler(opts.scheduler);
    if (!SCHEDULER_NAMES.includes(name as SchedulerName)) {
      throw new Error(`world generator: unknown scheduler '${opts.scheduler}'; expected one of ${SCHEDULER_NAMES.join(', ')} or 'default'`);
    }
    const scheduler = createScheduler(name as SchedulerName, this.schedulerConfig);
    scheduler.setTimesteps(steps);
    // Doubled batches when guided: the world's UNet takes any batch.
    const unet = { session: this.session, signature: this.signature, condition: this.condition, separate: false };
    const { latents: x, ...run } = await denoise(unet, scheduler, [ch, side, side], opts, 'world generator');
    this.lastRun = run;
    let pixels = x;
    if (this.decoder) {
      const dec = await this.decoder.run({ latent_sample: { data: x, dims: [batch, ch, side, side] } });
      pixels = dec.sample!.data as Float32Array;
    }
    const images: Uint8Array[] = [];
    const plane = out * out;
    for (let b = 0; b < batch; b++) {
      const img = new Uint8Array(plane * 3);
      for (let i = 0; i < plane; i++) {
        for (let c = 0; c < 3; c++) {
          const v = pixels[b * 3 * plane + c * plane + i]!;
          img[i * 3 + c] = Math.round(Math.min(255, Math.max(0, (v + 1) * 127.5)));
        }
      }
      images.push(img);
    }
    return { images, width: out, height: out };
  }

  async release(): Promise<void> {
    await this.session.release();
    await this.decoder?.release();
  }
}
