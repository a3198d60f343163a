/**
 * GlueGenPipeline: the library's one entry point for images, in the shape diffusers users know.
 *
 *   const pipe = await GlueGenPipeline.fromPretrained('path/to/sd15-onnx', { encoder: 'path/to/xlmr-onnx', gluenet: 'path/to/gluenet-fr' });
 *   const { images } = await pipe.generate({ prompt: 'une petite étoile rouge', negativePrompt: 'flou', steps: 20, seed: 1 });
 *   await writeFile('star.png', images[0].toPng());
 *   await pipe.release();
 *
 * It opens the models once (generator, new encoder, GlueNet, the generator's own text encoder for
 * audio and point clouds), then runs each request through the X-to-image pipeline (src/pipeline/x2image.ts).
 */
import { basename, resolve } from 'node:path';
import type { ModelDtype } from '../encoders/model-file.js';
import type { AudioClip, Modality, PointCloud } from '../encoders/types.js';
import type { Device } from '../engine/runtime.js';
import type { SchedulerName } from '../generators/sd/schedulers/index.js';
import { folderModality, loadX2ImageModels, modelSource, ownTextEncoderDir, type X2ImageModels } from '../pipeline/loaders.js';
import { type MixSpec, parseMixSpec } from '../pipeline/mix.js';
import { type UncondSource, X2ImagePipeline, type X2ImageRequest } from '../pipeline/x2image.js';
import { isWorldModelName, resolveModelName, resolveWorldChoice, worldEncoderModality } from '../world/assets.js';
import { type AudioInput, toAudioClip } from './audio.js';
import { GeneratedImage } from './image.js';
import { type PointCloudInput, toPointCloud } from './points.js';

export interface FromPretrainedOptions {
  /** The new encoder: a text, audio or point-cloud encoder folder (or a bundled world encoder's name). Default: GENERATOR/text_encoder. */
  encoder?: string;
  /** A GlueNet folder (config.json + model.safetensors) mapping the encoder into the generator's condition space. */
  gluenet?: string;
  /** The generator's own text encoder, for audio and point clouds: the negative prompt ("" by default) and the text side of a mix. Default: GENERATOR/text_encoder. */
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
  /** A point cloud (or one per image) for point-cloud encoders: PLY bytes, or {positions, colours?}. */
  points?: PointCloudInput | PointCloudInput[];
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

export class GlueGenPipeline {
  private released = false;
  /** The pipeline of the loaded parts without a mix (built once; mixes wrap the same models per call). */
  private readonly pipeline: X2ImagePipeline<unknown>;

  private constructor(
    private readonly models: X2ImageModels,
    private readonly gluenetName: string | null,
  ) {
    this.pipeline = this.pipelineFor(null);
  }

  /**
   * Opens a generator folder (a Stable Diffusion 1.x ONNX export, or 'world' for the bundled world)
   * with a new encoder and its GlueNet. Everything opened is released again if a later part fails.
   */
  static async fromPretrained(generator: string, options: FromPretrainedOptions = {}): Promise<GlueGenPipeline> {
    if (typeof generator !== 'string' || generator === '') throw new Error("fromPretrained: pass the generator folder (or 'world') as the first argument");
    const device = options.device ?? 'cpu';
    if (device !== 'cpu' && device !== 'cuda') throw new Error(`fromPretrained: device '${String(device)}' is unknown; expected 'cpu' or 'cuda'`);
    if (options.gluenet !== undefined && options.encoder === undefined)
      throw new Error('fromPretrained: options.gluenet needs options.encoder, the encoder the GlueNet was trained for');
    // Short names of the bundled world's models -> folders, and the folders they bring along.
    // A world encoder's name says what it takes; a folder says it in its own files.
    const modality: Modality =
      options.encoder === undefined ? 'text' : (worldEncoderModality(options.encoder) ?? folderModality(resolveModelName(options.encoder, 'encoder')));
    const choice = resolveWorldChoice({
      generator,
      encoder: options.encoder ?? null,
      gluenet: options.gluenet ?? null,
      textEncoder: options.textEncoder ?? null,
      audio: modality === 'audio',
      points: modality === 'pointcloud',
    });
    if (choice.encoder === null && ownTextEncoderDir(choice.generator) === null)
      throw new Error(`fromPretrained: '${generator}' has no text_encoder/; pass the encoder folder as options.encoder`);
    const textEncoder = choice.textEncoder ?? (modality !== 'text' ? ownTextEncoderDir(choice.generator) : null);
    const models = await loadX2ImageModels({
      generator: choice.generator,
      encoder: choice.encoder,
      gluenet: choice.gluenet,
      textEncoder,
      modality,
      device,
      ...(options.dtype ? { dtype: options.dtype } : {}),
    });
    // Names, never local paths (they go into the PNG metadata).
    const gluenetArg = options.gluenet ?? (choice.gluenet !== null ? options.encoder! : null);
    const name = gluenetArg === null ? null : isWorldModelName(gluenetArg, 'gluenet') ? gluenetArg : basename(resolve(gluenetArg));
    try {
      return new GlueGenPipeline(models, name);
    } catch (e) {
      await models.release();
      throw e;
    }
  }

  private pipelineFor(mix: MixSpec | null): X2ImagePipeline<unknown> {
    const m = this.models;
    const source = modelSource(
      {
        ...m,
        align: m.aligner?.align ?? null,
        ...(this.gluenetName !== null ? { alignName: this.gluenetName } : {}),
        ...(m.aligner?.shapeOut ? { alignShape: m.aligner.shapeOut } : {}),
      },
      mix,
    );
    return new X2ImagePipeline<unknown>({ generator: m.generator, source: source as never });
  }

  get info(): PipelineInfo {
    return {
      generator: this.models.generator.name,
      encoder: this.models.encoder.info.name,
      modality: this.models.encoder.info.modality,
      gluenet: this.gluenetName,
      ...this.models.generator.defaultSize,
    };
  }

  /** Generates images for a prompt (text encoders), a sound (audio encoders) or a point cloud (point-cloud encoders). */
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
    const encoderName = this.models.encoder.info.name;
    let pipeline = this.pipeline;
    let inputs: unknown[];
    if (this.models.modality !== 'pointcloud' && o.points !== undefined)
      throw new Error(
        `generate: encoder '${encoderName}' takes ${this.models.modality}, not point clouds; open the pipeline with a point-cloud encoder and its GlueNet`,
      );
    if (this.models.modality === 'pointcloud') {
      if (o.audio !== undefined) throw new Error(`generate: encoder '${encoderName}' takes point clouds, not audio`);
      if (o.prompt !== undefined || o.mix !== undefined)
        throw new Error(
          `generate: encoder '${encoderName}' takes point clouds alone; drop prompt and mix (negativePrompt goes through the generator's text encoder)`,
        );
      const clouds: PointCloud[] = list(o.points).map((p, i) => {
        try {
          return toPointCloud(p, `point cloud ${i}`);
        } catch (e) {
          throw new Error(`generate: ${(e as Error).message}`);
        }
      });
      if (clouds.length === 0) throw new Error(`generate: encoder '${encoderName}' takes point clouds; pass points (PLY bytes, or {positions, colours?})`);
      inputs = repeat(clouds);
    } else if (this.models.modality === 'audio') {
      const clips: AudioClip[] = list(o.audio).map((a, i) => {
        try {
          return toAudioClip(a, o.sampleRate, `audio ${i}`);
        } catch (e) {
          throw new Error(`generate: ${(e as Error).message}`);
        }
      });
      if (clips.length === 0) throw new Error(`generate: encoder '${encoderName}' takes sounds; pass audio (WAV bytes, or samples with sampleRate)`);
      if (o.mix !== undefined) {
        if (prompts.length === 0) throw new Error('generate: mix needs a prompt, the text mixed with the sound');
        if (prompts.length !== 1 && prompts.length !== clips.length)
          throw new Error(`generate: mix has ${prompts.length} prompts for ${clips.length} sounds; pass one prompt, or one per sound`);
        const spec = typeof o.mix === 'string' ? parseMixSpec(o.mix) : o.mix;
        pipeline = this.wrap(() => this.pipelineFor(spec));
        inputs = repeat(clips.map((input, i) => ({ input, prompt: prompts[prompts.length === 1 ? 0 : i]! })));
      } else if (prompts.length > 0) {
        throw new Error("generate: a prompt with audio needs mix: 'splice:I' or 'avg:W' to say how to combine them");
      } else {
        inputs = repeat(clips);
      }
    } else {
      if (o.audio !== undefined)
        throw new Error(`generate: encoder '${encoderName}' takes text, not audio; open the pipeline with an audio encoder and its GlueNet`);
      if (o.mix !== undefined) throw new Error('generate: mix combines a sound with a prompt; it needs an audio encoder');
      if (prompts.length === 0) throw new Error('generate: pass a prompt (a string, or one per image)');
      inputs = repeat(prompts);
    }
    const request: X2ImageRequest<unknown> = {
      inputs,
      ...(negatives.length > 0 ? { negativePrompts: negatives.length === 1 ? negatives : repeat(negatives) } : {}),
      ...(o.steps !== undefined ? { steps: o.steps } : {}),
      ...(o.guidance !== undefined ? { guidance: o.guidance } : {}),
      ...(o.scheduler !== undefined ? { scheduler: o.scheduler } : {}),
      ...(o.seed !== undefined ? { seed: o.seed } : {}),
      ...(o.width !== undefined ? { width: o.width } : {}),
      ...(o.height !== undefined ? { height: o.height } : {}),
      ...(o.onStep ? { onStep: o.onStep } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      png: false,
    };
    const result = await this.wrapAsync(() => pipeline.run(request));
    const { width, height } = result.images;
    const images = result.images.images.map((rgb, i) => new GeneratedImage(width, height, rgb, pipeline.parameters(request, i, width, height)));
    return { images, unconditionalFrom: result.uncondSource };
  }

  /** x2image's errors as the API's ('generate: ...'). */
  private wrap<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      throw renamed(e);
    }
  }

  private async wrapAsync<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw renamed(e);
    }
  }

  /** Frees the models' native memory (onnxruntime sessions). The pipeline cannot be used after. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.models.release();
  }
}

function renamed(e: unknown): unknown {
  const err = e as Error;
  return err?.message?.startsWith('x2image: ') ? new Error(`generate: ${err.message.slice('x2image: '.length)}`) : e;
}
