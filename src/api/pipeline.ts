/**
 * GlueGenPipeline: the library's one entry point for images, in the shape diffusers users know.
 *
 *   const pipe = await GlueGenPipeline.fromPretrained('path/to/sd15-onnx', { encoder: 'path/to/xlmr-onnx', gluenet: 'path/to/gluenet-fr' });
 *   const { images } = await pipe.generate({ prompt: 'une petite étoile rouge', negativePrompt: 'flou', steps: 20, seed: 1 });
 *   await writeFile('star.png', images[0].toPng());
 *   await pipe.release();
 *
 * It opens the models once (generator, new encoder, GlueNet, the generator's own text encoder for
 * audio), then runs each request through the X-to-image pipeline (src/pipeline/x2image.ts).
 */
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Device } from '../engine/runtime.js';
import type { ModelDtype } from '../encoders/model-file.js';
import { encoderModality, loadEncoder } from '../encoders/registry.js';
import type { AudioClip, Encoder, Modality } from '../encoders/types.js';
import type { SchedulerName } from '../generators/sd/schedulers/index.js';
import type { Generator } from '../generators/types.js';
import { DEFAULT_LOADERS, isWorldName, WORLD_NAMES } from '../pipeline/loaders.js';
import { parseMixSpec, type MixSpec } from '../pipeline/mix.js';
import { X2ImagePipeline, type AlignFn, type UncondSource } from '../pipeline/x2image.js';
import { toAudioClip, type AudioInput } from './audio.js';
import { GeneratedImage } from './image.js';

export interface FromPretrainedOptions {
  /** The new encoder: a text or audio encoder folder (or a bundled world encoder's name). Default: GENERATOR/text_encoder. */
  encoder?: string;
  /** A GlueNet folder (config.json + model.safetensors) mapping the encoder into the generator's condition space. */
  gluenet?: string;
  /** The generator's own text encoder, for audio: the negative prompt ("" by default) and the text side of a mix. Default: GENERATOR/text_encoder. */
  textEncoder?: string;
  /** 'cpu' (default) or 'cuda' (onnxruntime-node with its CUDA provider, see the README). */
  device?: Device;
  /** Weight variant of transformers.js encoder folders: 'fp32' (default), 'fp16', 'q8', ... */
  dtype?: ModelDtype;
}

export interface GenerateOptions {
  /** The prompt, or one per image; with `audio` and `mix`, the text mixed in. */
  prompt?: string | string[];
  /** What the images should not show; replaces the empty prompt of classifier-free guidance. */
  negativePrompt?: string | string[];
  /** A sound (or one per image) for audio encoders: WAV bytes, or samples with `sampleRate`. */
  audio?: AudioInput | AudioInput[];
  /** Rate (Hz) of Float32Array audio. */
  sampleRate?: number;
  /** Sound + text mixing: 'splice:I' (I = 3..7 in GlueGen) or 'avg:W' (W = the sound's share). */
  mix?: string | MixSpec;
  /** Images per prompt or sound, each from its own noise (default 1). */
  numImages?: number;
  steps?: number; // 50
  guidance?: number; // 7.5; <= 1 turns guidance off
  /** A scheduler, or 'default' for the one in the generator folder's scheduler_config.json. */
  scheduler?: SchedulerName | 'default'; // 'default'
  seed?: number; // 42
  width?: number; // the generator's
  height?: number; // the generator's
  onStep?: (step: number, total: number) => void;
  signal?: AbortSignal;
}

export interface GenerateResult {
  images: GeneratedImage[];
  /** Where the unconditional condition came from: the new encoder, the generator's text encoder, or zeros. */
  unconditionalFrom: UncondSource;
}

export interface PipelineInfo {
  generator: string;
  encoder: string;
  modality: Modality;
  gluenet: string | null;
  /** Default image size in pixels. */
  width: number;
  height: number;
}

type Releasable = { release(): Promise<void> };

export class GlueGenPipeline {
  private released = false;

  private constructor(
    private readonly generator: Generator,
    private readonly encoder: Encoder,
    private readonly aligner: { align: AlignFn; name: string } | null,
    private readonly nativeTextEncoder: Encoder<'text'> | null,
    private readonly owned: Releasable[],
  ) {}

  /**
   * Opens a generator folder (a Stable Diffusion 1.x ONNX export, or 'world' for the bundled world)
   * with a new encoder and its GlueNet. Everything opened is released again if a later part fails.
   */
  static async fromPretrained(generator: string, options: FromPretrainedOptions = {}): Promise<GlueGenPipeline> {
    if (typeof generator !== 'string' || generator === '') throw new Error("fromPretrained: pass the generator folder (or 'world') as the first argument");
    const device = options.device ?? 'cpu';
    if (device !== 'cpu' && device !== 'cuda') throw new Error(`fromPretrained: device '${String(device)}' is unknown; expected 'cpu' or 'cuda'`);
    let { encoder, gluenet, textEncoder } = options;
    const world = generator === WORLD_NAMES.generator;
    if (world) {
      // The bundled world: its native encoder by default, and the shipped GlueNet of a world encoder.
      encoder ??= WORLD_NAMES.native;
      if (gluenet === undefined && (encoder === WORLD_NAMES.multilingual || encoder === WORLD_NAMES.sound)) gluenet = encoder;
      textEncoder ??= WORLD_NAMES.native;
    }
    const sdText = world ? null : join(generator, 'text_encoder');
    const encoderDir = encoder ?? (sdText && existsSync(sdText) ? sdText : null);
    if (encoderDir === null) throw new Error(`fromPretrained: '${generator}' has no text_encoder/; pass the encoder folder as options.encoder`);
    if (gluenet !== undefined && encoder === undefined) throw new Error('fromPretrained: options.gluenet needs options.encoder, the encoder the GlueNet was trained for');
    const owned: Releasable[] = [];
    const keep = <T extends Releasable>(x: T): T => (owned.push(x), x);
    try {
      const gen = keep(await DEFAULT_LOADERS.generator(generator, device));
      const aligner = gluenet !== undefined ? keep(await DEFAULT_LOADERS.aligner(gluenet, device)) : null;
      const modality = await encoderModality(encoderDir);
      const enc = keep(
        await loadEncoder(encoderDir, {
          device,
          ...(options.dtype ? { dtype: options.dtype } : {}),
          // A GlueNet was trained on a fixed number of new-encoder tokens: pad/cut prompts to it.
          ...(modality === 'text' && aligner?.tokensIn && !isWorldName(encoderDir) ? { maxLength: aligner.tokensIn } : {}),
        }),
      );
      let native: Encoder<'text'> | null = null;
      if (modality === 'audio') {
        const dir = textEncoder ?? (sdText && existsSync(sdText) ? sdText : null);
        if (dir !== null) native = keep((await loadEncoder(dir, { device })) as Encoder<'text'>);
      }
      const name = gluenet === undefined ? null : isWorldName(gluenet) ? gluenet : basename(resolve(gluenet));
      return new GlueGenPipeline(gen, enc, aligner && name !== null ? { align: aligner.align, name } : null, native, owned);
    } catch (e) {
      for (const x of owned.reverse()) await x.release().catch(() => undefined);
      throw e;
    }
  }

  get info(): PipelineInfo {
    return {
      generator: this.generator.name,
      encoder: this.encoder.info.name,
      modality: this.encoder.info.modality,
      gluenet: this.aligner?.name ?? null,
      ...this.generator.defaultSize,
    };
  }

  /** Generates images for a prompt (text encoders) or a sound (audio encoders). */
  async generate(options: GenerateOptions): Promise<GenerateResult> {
    if (this.released) throw new Error('generate: this pipeline was released; open a new one with GlueGenPipeline.fromPretrained');
    if (typeof options !== 'object' || options === null) throw new Error('generate: pass an options object like { prompt: "a red star" }');
    const o = options;
    const n = o.numImages ?? 1;
    if (!(Number.isInteger(n) && n >= 1 && n <= 64)) throw new Error(`generate: numImages ${n} must be an integer in [1, 64]`);
    const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
    const repeat = <T>(xs: T[]): T[] => xs.flatMap((x) => new Array<T>(n).fill(x));
    const prompts = list(o.prompt);
    const negatives = list(o.negativePrompt);
    const sampling = {
      ...(o.steps !== undefined ? { steps: o.steps } : {}),
      ...(o.guidance !== undefined ? { guidance: o.guidance } : {}),
      ...(o.scheduler !== undefined ? { scheduler: o.scheduler } : {}),
      ...(o.seed !== undefined ? { seed: o.seed } : {}),
      ...(o.width !== undefined ? { width: o.width } : {}),
      ...(o.height !== undefined ? { height: o.height } : {}),
      ...(o.onStep ? { onStep: o.onStep } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    };
    const align = this.aligner ? { align: this.aligner.align, alignName: this.aligner.name } : {};
    let pipeline: X2ImagePipeline<'text'> | X2ImagePipeline<'audio'>;
    if (this.encoder.info.modality === 'audio') {
      const clips: AudioClip[] = list(o.audio).map((a, i) => {
        try {
          return toAudioClip(a, o.sampleRate, `audio ${i}`);
        } catch (e) {
          throw new Error(`generate: ${(e as Error).message}`);
        }
      });
      if (clips.length === 0) throw new Error(`generate: encoder '${this.encoder.info.name}' takes sounds; pass audio (WAV bytes, or samples with sampleRate)`);
      let mix: { spec: MixSpec; prompts: string[] } | undefined;
      if (o.mix !== undefined) {
        const spec = typeof o.mix === 'string' ? parseMixSpec(o.mix) : o.mix;
        if (prompts.length === 0) throw new Error("generate: mix needs a prompt, the text mixed with the sound");
        mix = { spec, prompts: prompts.length === 1 ? prompts : repeat(prompts) };
      } else if (prompts.length > 0) {
        throw new Error("generate: a prompt with audio needs mix: 'splice:I' or 'avg:W' to say how to combine them");
      }
      pipeline = new X2ImagePipeline(
        { encoder: this.encoder as Encoder<'audio'>, generator: this.generator, ...align, ...(this.nativeTextEncoder ? { nativeTextEncoder: this.nativeTextEncoder } : {}) },
        { ...sampling, inputs: repeat(clips), ...(mix ? { mix } : {}), ...this.negatives(negatives, repeat) },
      );
    } else {
      if (o.audio !== undefined) throw new Error(`generate: encoder '${this.encoder.info.name}' takes text, not audio; open the pipeline with an audio encoder and its GlueNet`);
      if (o.mix !== undefined) throw new Error('generate: mix combines a sound with a prompt; it needs an audio encoder');
      if (prompts.length === 0) throw new Error('generate: pass a prompt (a string, or one per image)');
      pipeline = new X2ImagePipeline({ encoder: this.encoder as Encoder<'text'>, generator: this.generator, ...align }, { ...sampling, inputs: repeat(prompts), ...this.negatives(negatives, repeat) });
    }
    let result;
    try {
      result = await pipeline.run();
    } catch (e) {
      const err = e as Error;
      if (err.message?.startsWith('x2image: ')) throw new Error(`generate: ${err.message.slice('x2image: '.length)}`);
      throw err;
    }
    const { width, height } = result.images;
    const images = result.images.images.map((rgb, i) => new GeneratedImage(width, height, rgb, pipeline.parameters(i, width, height)));
    return { images, unconditionalFrom: result.uncondSource };
  }

  private negatives(negatives: string[], repeat: (xs: string[]) => string[]): { negativePrompts?: string[] } {
    if (negatives.length === 0) return {};
    return { negativePrompts: negatives.length === 1 ? negatives : repeat(negatives) };
  }

  /** Frees the models' native memory (onnxruntime sessions). The pipeline cannot be used after. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    for (const x of this.owned.reverse()) await x.release();
  }
}
