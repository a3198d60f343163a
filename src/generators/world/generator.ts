/**
 * The bundled world's generator behind the same Generator interface as Stable Diffusion: a frozen
 * U-Net ONNX with SD's UNet inputs (sample, timestep, encoder_hidden_states -> out_sample), driven by
 * the shared scheduler objects, with classifier-free guidance (Ho & Salimans 2022):
 * out = uncond + guidance * (cond - uncond), computed in one doubled batch per step.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Session } from '../../engine/runtime.js';
import { createScheduler, SCHEDULER_NAMES, schedulerNameForConfig, type SchedulerName } from '../sd/schedulers/index.js';
import type { ConditionSpec, GeneratedImages, GenerateOptions, Generator } from '../types.js';
import type { UNetConfig } from '../../world/models/unet.js';
import type { AutoencoderConfig } from '../../world/models/autoencoder.js';

/** config.json of a world generator folder. */
export interface WorldGeneratorConfig {
  _class_name: 'WorldUNet';
  unet: UNetConfig;
  /** Latent diffusion: the U-Net denoises latents that vae_decoder.onnx turns into imageSize pixels. */
  vae?: AutoencoderConfig & { imageSize: number };
}

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

  private constructor(
    readonly name: string,
    private readonly session: Session,
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
    const read = async (file: string): Promise<Record<string, unknown>> => {
      const path = join(dir, file);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch {
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
      throw new Error(`world generator: ${join(dir, 'config.json')} has _class_name ${JSON.stringify(config._class_name)}; expected "WorldUNet" with a "unet" object`);
    }
    const parts: WorldGeneratorParts = { model: join(dir, 'model.onnx'), config: config as unknown as WorldGeneratorConfig, schedulerConfig: await read('scheduler_config.json'), name: 'world' };
    if (config.vae) parts.decoder = join(dir, 'vae_decoder.onnx');
    return WorldGenerator.fromParts(parts, opts);
  }

  static async fromParts(parts: WorldGeneratorParts, opts: { threads?: number } = {}): Promise<WorldGenerator> {
    const so = opts.threads ? { threads: opts.threads } : {};
    if (parts.config.vae && !parts.decoder) throw new Error('world generator: config.json describes a latent model (vae) but no vae_decoder.onnx was given');
    const session = await Session.create(parts.model, so);
    const decoder = parts.config.vae && parts.decoder ? await Session.create(parts.decoder, so) : null;
    return new WorldGenerator(parts.name ?? 'world', session, decoder, parts.config, parts.schedulerConfig);
  }

  /** 'default': the scheduler named by the folder's scheduler_config.json (else ddim), as for SD folders. */
  resolveScheduler(choice: string): string {
    return choice === 'default' ? (schedulerNameForConfig(this.schedulerConfig) ?? 'ddim') : choice;
  }

  async generate(opts: GenerateOptions): Promise<GeneratedImages> {
    const { batch, steps, guidance } = opts;
    const { tokens, dim } = this.condition;
    const side = this.config.unet.imageSize; // of what the U-Net denoises (pixels, or latents)
    const ch = this.config.unet.channels;
    const out = this.defaultSize.width;
    if ((opts.height ?? out) !== out || (opts.width ?? out) !== out) {
      throw new Error(`world generator: size ${opts.width ?? out}x${opts.height ?? out} requested; this generator draws only ${out}x${out} images (omit width/height)`);
    }
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`world generator: batch is ${batch}; expected a positive integer`);
    if (!(guidance >= 0)) throw new Error(`world generator: guidance is ${guidance}; expected a number >= 0 (1 = no guidance, 3 is typical here)`);
    const per = tokens * dim;
    if (opts.cond.length !== batch * per) throw new Error(`world generator: cond has ${opts.cond.length} values; expected [${batch}, ${tokens}, ${dim}] = ${batch * per}`);
    if (opts.uncond.length !== per && opts.uncond.length !== batch * per) {
      throw new Error(`world generator: uncond has ${opts.uncond.length} values; expected [1, ${tokens}, ${dim}] or [${batch}, ${tokens}, ${dim}]`);
    }
    const name = this.resolveScheduler(opts.scheduler);
    if (!SCHEDULER_NAMES.includes(name as SchedulerName)) {
      throw new Error(`world generator: unknown scheduler '${opts.scheduler}'; expected one of ${SCHEDULER_NAMES.join(', ')} or 'default'`);
    }
    const scheduler = createScheduler(name as SchedulerName, this.schedulerConfig);
    scheduler.setTimesteps(steps);
    const guided = guidance !== 1;
    const rows = guided ? 2 * batch : batch;
    // Context: [uncond x B; cond] when guided (one doubled batch per step).
    const context = new Float32Array(rows * per);
    if (guided) {
      for (let i = 0; i < batch; i++) context.set(opts.uncond.length === per ? opts.uncond : opts.uncond.subarray(i * per, (i + 1) * per), i * per);
      context.set(opts.cond, batch * per);
    } else {
      context.set(opts.cond);
    }
    const n = batch * ch * side * side;
    let x: Float32Array = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = opts.rng.normal() * scheduler.initNoiseSigma;
    const input = new Float32Array(rows * ch * side * side);
    const total = scheduler.timesteps.length;
    for (let k = 0; k < total; k++) {
      if (opts.signal?.aborted) throw new Error('world generator: generation aborted');
      const t = scheduler.timesteps[k]!;
      const scaled = scheduler.scaleModelInput(x, t);
      input.set(scaled, 0);
      if (guided) input.set(scaled, n);
      const res = await this.session.run({
        sample: { data: input, dims: [rows, ch, side, side] },
        timestep: { data: new Float32Array(rows).fill(t), dims: [rows] },
        encoder_hidden_states: { data: context, dims: [rows, tokens, dim] },
      });
      const pred = res.out_sample!.data as Float32Array;
      let modelOutput: Float32Array;
      if (guided) {
        modelOutput = new Float32Array(n);
        for (let i = 0; i < n; i++) modelOutput[i] = pred[i]! + guidance * (pred[n + i]! - pred[i]!);
      } else {
        modelOutput = Float32Array.from(pred);
      }
      x = scheduler.step(modelOutput, t, x, () => opts.rng.normal());
      opts.onStep?.(k + 1, total);
    }
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
