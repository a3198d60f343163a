/**
 * X-to-image with the bundled world, as the browser page runs it (and as Node can run it, for
 * tests): models are opened through a file source per folder, loaded on first use, and every
 * request goes through the one X2ImagePipeline.
 *
 *   prompt (any of the 7 languages) -> multilingual encoder -> GlueNet -> world generator -> PNG
 *   sound                           -> sound encoder -> GlueNet -> world generator (unconditional:
 *                                      "" through the generator's own text encoder)
 *   sound + prompt (mix)            -> the sound's condition mixed with the prompt's, the prompt
 *                                      through the multilingual encoder and its GlueNet, so the
 *                                      text side of a mix may be in any language too
 *
 * DOM-free: the page (browser/main.ts) supplies the file sources and shows what comes back.
 */
import type { AudioClip } from '../encoders/types.js';
import { WorldMultilingualEncoder } from '../encoders/world/multilingual.js';
import { WorldNativeEncoder } from '../encoders/world/native.js';
import { WorldSoundEncoder } from '../encoders/world/sound.js';
import { WorldGenerator } from '../generators/world/generator.js';
import { loadExportedAligner } from '../gluenet/exported-aligner.js';
import type { LoadedAligner } from '../gluenet/load.js';
import type { FileSource } from '../io/file-source.js';
import type { MixSpec } from '../pipeline/mix.js';
import { alignMap, encoderSource, mixSource } from '../pipeline/sources.js';
import { X2ImagePipeline, type X2ImageResult } from '../pipeline/x2image.js';

/** The world's model folders the page uses, by the names the world build gives them. */
export const WEB_WORLD_FOLDERS = {
  generator: 'generator',
  multilingual: 'multilingual-encoder',
  multilingualGlueNet: 'gluenet-multilingual',
  sound: 'sound-encoder',
  soundGlueNet: 'gluenet-sound',
  native: 'text-encoder',
} as const;

export type WebWorldFolder = (typeof WEB_WORLD_FOLDERS)[keyof typeof WEB_WORLD_FOLDERS];

/** Files each folder needs (what the web build copies; aligner.onnx it exports from model.safetensors). */
export const WEB_WORLD_FILES: Record<WebWorldFolder, readonly string[]> = {
  generator: ['config.json', 'scheduler_config.json', 'model.onnx', 'vae_decoder.onnx'],
  'multilingual-encoder': ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'model.onnx'],
  'gluenet-multilingual': ['config.json', 'aligner.onnx'],
  'sound-encoder': ['config.json', 'model.onnx'],
  'gluenet-sound': ['config.json', 'aligner.onnx'],
  'text-encoder': ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'model.onnx'],
};

/** Sampling defaults of the world generator (as `gluegen serve` uses them). */
export const WEB_DEFAULTS = { steps: 20, guidance: 3, seed: 42, mix: { kind: 'splice', split: 4 } as MixSpec };

export interface WebRequest {
  /** A prompt in any of the world's languages; '' or absent for a sound alone. */
  prompt?: string;
  /** A clip (mono, any rate); absent for a prompt alone. */
  sound?: AudioClip;
  /** How a sound and a prompt are mixed when both are given (default splice:4). */
  mix?: MixSpec;
  steps?: number;
  guidance?: number;
  seed?: number;
  onStep?: (step: number, total: number) => void;
}

export interface WebResult {
  png: Uint8Array;
  width: number;
  height: number;
  /** What was asked, for the page to show beside the image. */
  asked: { prompt: string | null; language: string | null; sound: string | null; mix: string | null; steps: number; guidance: number; seed: number };
  /** Milliseconds spent loading models for this request (0 when all were loaded) and generating. */
  loadMs: number;
  generateMs: number;
}

export type WebStatus = { stage: 'loading'; folder: WebWorldFolder } | { stage: 'loaded'; folder: WebWorldFolder };

/** The multilingual encoder followed by its GlueNet: a text encoder in the generator's space. */
/** A GlueNet aligner as a condition source's map into the generator's space. */
function glueNetMap(aligner: LoadedAligner): { map: ReturnType<typeof alignMap>; mapShape: { tokens: number; dim: number } } {
  return { map: alignMap(aligner.align), mapShape: { tokens: aligner.config.tokens_out, dim: aligner.config.dim_out } };
}

function mixName(spec: MixSpec): string {
  return spec.kind === 'splice' ? `splice:${spec.split}` : `avg:${spec.weight}`;
}

export class WebWorld {
  private readonly loading = new Map<WebWorldFolder, Promise<unknown>>();

  constructor(
    /** The file source of one world folder (e.g. URLs under models/ next to the page). */
    private readonly open: (folder: WebWorldFolder) => FileSource,
    private readonly onStatus: (s: WebStatus) => void = () => undefined,
  ) {}

  /** Loads a folder's model once; concurrent callers share the load; a failed load is retried next time. */
  private model<T>(folder: WebWorldFolder, load: (files: FileSource) => Promise<T>): Promise<T> {
    let p = this.loading.get(folder) as Promise<T> | undefined;
    if (!p) {
      this.onStatus({ stage: 'loading', folder });
      p = load(this.open(folder)).then((m) => {
        this.onStatus({ stage: 'loaded', folder });
        return m;
      });
      p.catch(() => this.loading.delete(folder));
      this.loading.set(folder, p);
    }
    return p;
  }

  generator = (): Promise<WorldGenerator> => this.model(WEB_WORLD_FOLDERS.generator, (f) => WorldGenerator.fromFiles(f));
  multilingual = (): Promise<WorldMultilingualEncoder> => this.model(WEB_WORLD_FOLDERS.multilingual, (f) => WorldMultilingualEncoder.fromFiles(f));
  private multilingualGlueNet = (): Promise<LoadedAligner> => this.model(WEB_WORLD_FOLDERS.multilingualGlueNet, (f) => loadExportedAligner(f));
  private sound = (): Promise<WorldSoundEncoder> => this.model(WEB_WORLD_FOLDERS.sound, (f) => WorldSoundEncoder.fromFiles(f));
  private soundGlueNet = (): Promise<LoadedAligner> => this.model(WEB_WORLD_FOLDERS.soundGlueNet, (f) => loadExportedAligner(f));
  private native = (): Promise<WorldNativeEncoder> => this.model(WEB_WORLD_FOLDERS.native, (f) => WorldNativeEncoder.fromFiles(f));

  /** Loads, in parallel, what a request of this kind needs (the page calls it to warm up). */
  async prepare(kind: { text: boolean; sound: boolean }): Promise<void> {
    const parts: Promise<unknown>[] = [this.generator()];
    if (kind.text) parts.push(this.multilingual(), this.multilingualGlueNet());
    if (kind.sound) parts.push(this.sound(), this.soundGlueNet());
    if (kind.sound && !kind.text) parts.push(this.native());
    await Promise.all(parts);
  }

  /** One image for a prompt, a sound, or both. Throws an Error with a one-line message on bad input. */
  async generate(r: WebRequest): Promise<WebResult> {
    const prompt = (r.prompt ?? '').trim();
    const sound = r.sound ?? null;
    if (prompt === '' && sound === null) throw new Error('nothing to draw: type a prompt, choose a sound file or record one, or both');
    const steps = r.steps ?? WEB_DEFAULTS.steps;
    const guidance = r.guidance ?? WEB_DEFAULTS.guidance;
    const seed = r.seed ?? WEB_DEFAULTS.seed;
    const mix = sound !== null && prompt !== '' ? (r.mix ?? WEB_DEFAULTS.mix) : null;
    const t0 = performance.now();
    await this.prepare({ text: prompt !== '', sound: sound !== null });
    const generator = await this.generator();
    const sampling = { steps, guidance, seed, scheduler: 'ddim', ...(r.onStep ? { onStep: r.onStep } : {}) };
    let language: string | null = null;
    if (prompt !== '') {
      const encoder = await this.multilingual();
      language = encoder.detectLanguage(prompt);
      if (language === null) {
        throw new Error(
          `no word of ${JSON.stringify(prompt.slice(0, 80))} is in the world's vocabulary; describe an object, its colour, size and place in one of ${Object.keys(encoder.config.lexicon).join(', ')}`,
        );
      }
    }
    const t1 = performance.now();
    let out: X2ImageResult;
    if (sound === null) {
      const source = encoderSource(await this.multilingual(), glueNetMap(await this.multilingualGlueNet()));
      out = await new X2ImagePipeline({ generator, source }).run({ inputs: [prompt], ...sampling });
    } else {
      // The text side of a mix goes through the multilingual encoder and its GlueNet (any language);
      // a sound alone gets its unconditional from the generator's own text encoder, as GlueGen does.
      const text = mix ? encoderSource(await this.multilingual(), glueNetMap(await this.multilingualGlueNet())) : encoderSource(await this.native());
      const soundSource = encoderSource(await this.sound(), { ...glueNetMap(await this.soundGlueNet()), uncond: text });
      if (mix) {
        const source = mixSource(soundSource, text, mix, generator.condition);
        out = await new X2ImagePipeline({ generator, source }).run({ inputs: [{ input: sound, prompt }], ...sampling });
      } else {
        out = await new X2ImagePipeline({ generator, source: soundSource }).run({ inputs: [sound], ...sampling });
      }
    }
    return {
      png: out.pngs[0]!,
      width: out.images.width,
      height: out.images.height,
      asked: { prompt: prompt || null, language, sound: sound ? (sound.source ?? 'sound') : null, mix: mix ? mixName(mix) : null, steps, guidance, seed },
      loadMs: t1 - t0,
      generateMs: performance.now() - t1,
    };
  }
}
