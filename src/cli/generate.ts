/**
 * `gluegen generate`: prompts, sounds or point clouds -> images with a frozen generator (a Stable
 * Diffusion ONNX export or the bundled world), through the generator's own text encoder or a new
 * encoder + GlueNet (see src/pipeline/x2image.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { decodeWav, toMono } from '../encoders/audio/index.js';
import type { AudioClip, PointCloud } from '../encoders/types.js';
import type { Device } from '../engine/runtime.js';
import { SCHEDULER_NAMES } from '../generators/sd/schedulers/index.js';
import { readPly } from '../io/ply.js';
import {
  DEFAULT_LOADERS,
  EncoderModalityError,
  folderModality,
  type GenerateLoaders,
  loadX2ImageModels,
  MODALITY_WORDS,
  modelSource,
  ownTextEncoderDir,
  type X2ImageModels,
} from '../pipeline/loaders.js';
import { type MixSpec, parseMixSpec } from '../pipeline/mix.js';
import { writeImages } from '../pipeline/output.js';
import { X2ImagePipeline } from '../pipeline/x2image.js';
import { Progress, type ProgressStream } from '../util/progress.js';
import { isWorldModelName, resolveWorldChoice, worldEncoderModality } from '../world/assets.js';

export type { GenerateLoaders };

import { type Command, helpHeader, numberFlag, parseFlags, renamedFlag, requireString, UsageError } from './command.js';

const NAME = 'generate';

const SUMMARY = 'generate images from a prompt, a sound or a point cloud with a Stable Diffusion ONNX folder or the world (+ GlueNet)';

/** Most --points files in one run (each is one image per --num-images). */
const MAX_POINT_FILES = 16;
/** Largest PLY file read (2,000,000 points with doubles and normals fit well below this). */
const MAX_PLY_FILE_BYTES = 256 * 2 ** 20;

const USAGE = `${helpHeader(NAME, SUMMARY)}usage: gluegen generate --generator DIR (--prompt TEXT [--encoder DIR [--gluenet DIR]]
                                         | --audio FILE.wav --encoder DIR --gluenet DIR [--prompt TEXT --mix SPEC]
                                         | --points FILE.ply [--points FILE.ply ...] --encoder DIR --gluenet DIR)
                        [--negative-prompt TEXT] [--text-encoder DIR] [--steps 50] [--guidance 7.5] [--scheduler NAME]
                        [--seed 42] [--height H --width W] [--num-images 1] [--device cpu|cuda] --out FILE.png

Generates images with a frozen Stable Diffusion 1.x ONNX export (diffusers / Optimum layout:
unet/, vae_decoder/, scheduler/, model_index.json; fp32, fp16 and external-data exports all load).

Inputs
  --generator DIR     the Stable Diffusion ONNX folder, or 'world' for the bundled world (then --encoder
                      world-native | world-multilingual | world-sound | world-pointcloud, whose
                      shipped GlueNet is used unless --gluenet is given)
  --prompt TEXT       a prompt, encoded by --encoder; with --audio, the text side of --mix
  --negative-prompt TEXT  what the image should not show: replaces the empty prompt "" of the
                      unconditional condition, through --encoder (+ --gluenet) like the prompt; with
                      --audio or --points, through the generator's own text encoder (--text-encoder)
  --audio FILE.wav    a sound (WAV), encoded by the audio --encoder and aligned by --gluenet
  --points FILE.ply   a point cloud (PLY, ascii or binary little-endian; vertices x y z and optional
                      red green blue as uchar 0..255 or float 0..1), encoded by the point-cloud
                      --encoder and aligned by --gluenet; repeat it for several clouds, one image
                      each (with --num-images N, N each). Not mixed with text: no --prompt.
  --encoder DIR       the encoder of the input: a new text / audio / point-cloud encoder (with --gluenet), or
                      the generator's own text encoder (no --gluenet; the default for --prompt is
                      GENERATOR/text_encoder when the SD folder has one)
  --gluenet DIR       a trained GlueNet (config.json + model.safetensors) mapping --encoder's
                      features to the generator's condition space; required for audio and point clouds
  --text-encoder DIR  the generator's own text encoder, for audio and point clouds: it encodes the mix
                      prompt and the empty prompt "" of the unconditional condition. Default:
                      GENERATOR/text_encoder when present (world-native for the world); without one,
                      these runs use a zero unconditional condition.
  --mix SPEC          sound + text mixing (needs --audio and --prompt): 'splice:I' keeps the first I
                      tokens of each (I = 3..7 in GlueGen) and averages the tokens from 2I on;
                      'avg:W' is W x sound + (1 - W) x text

Sampling
  --steps N           denoising steps (default 50)
  --guidance G        classifier-free guidance scale (default 7.5; <= 1 turns guidance off)
  --scheduler NAME    ${SCHEDULER_NAMES.join(' | ')} (default: the folder's scheduler_config.json)
  --seed S            seed of the initial noise; the same seed gives the same images (default 42)
  --height H --width W  image size in pixels, multiples of 8 (default: the model's, 512x512 for SD 1.5)
  --num-images N      images per input, each from its own noise (default 1; formerly --batch)
  --device D          cpu (default) or cuda: needs onnxruntime-node installed with its CUDA provider
                      (ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install)

Output
  --out FILE.png      the image; several write FILE-0.png, FILE-1.png, ...

Examples
  gluegen generate --generator sd15-onnx --prompt "a red bicycle" --out bike.png
  gluegen generate --generator sd15-onnx --prompt "un vélo rouge" --encoder xlmr-onnx --gluenet gluenet-fr --out velo.png
  gluegen generate --generator sd15-onnx --audio dog.wav --encoder clap-onnx --gluenet gluenet-sound \\
                   --prompt "a watercolor painting" --mix splice:5 --out dog.png
  gluegen generate --generator world --encoder world-pointcloud --points star.ply --out star.png`;

export interface GenerateArgs {
  generator: string;
  prompt: string | null;
  /** '' when none. */
  negativePrompt: string;
  audio: string | null;
  /** PLY files, one image each (empty when none). */
  points: string[];
  /** null: the generator's own text_encoder/ (prompt runs only). */
  encoder: string | null;
  gluenet: string | null;
  textEncoder: string | null;
  mix: MixSpec | null;
  steps: number;
  guidance: number;
  scheduler: string;
  seed: number;
  height: number | null;
  width: number | null;
  batch: number;
  device: Device;
  out: string;
}

const FLAGS = {
  generator: { type: 'string' },
  prompt: { type: 'string' },
  'negative-prompt': { type: 'string' },
  audio: { type: 'string' },
  points: { type: 'string', multiple: true },
  encoder: { type: 'string' },
  gluenet: { type: 'string' },
  'text-encoder': { type: 'string' },
  mix: { type: 'string' },
  steps: { type: 'string' },
  guidance: { type: 'string' },
  scheduler: { type: 'string' },
  seed: { type: 'string' },
  height: { type: 'string' },
  width: { type: 'string' },
  'num-images': { type: 'string' },
  batch: { type: 'string' },
  device: { type: 'string' },
  out: { type: 'string' },
} as const;

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** Parses and cross-checks the flags (no file is opened). */
export function parseGenerateArgs(argv: string[]): GenerateArgs {
  const { values, positionals } = parseFlags(argv, FLAGS, NAME);
  renamedFlag(values, 'num-images', 'batch', NAME);
  if (positionals.length) throw new UsageError(`${NAME}: unexpected argument '${positionals[0]}'; flags only (see \`gluegen ${NAME} --help\`)`);
  const generator = requireString(values, 'generator', NAME);
  let encoder = str(values.encoder);
  const out = requireString(values, 'out', NAME);
  if (!/\.png$/i.test(out)) throw new UsageError(`${NAME}: --out '${out}' must end in .png`);
  const prompt = typeof values.prompt === 'string' ? values.prompt : null;
  const audio = str(values.audio);
  const points = ((values.points as string[] | undefined) ?? []).filter((p) => p !== '');
  const gluenet = str(values.gluenet);
  // The bundled world brings its own encoder and GlueNets along (resolved to folders in runGenerate).
  const world = isWorldModelName(generator, 'generator');
  if (world && encoder === null) encoder = audio !== null ? 'world-sound' : points.length ? 'world-pointcloud' : 'world-native';
  const impliedGluenet = gluenet === null && encoder !== null && isWorldModelName(encoder, 'gluenet');
  if (prompt === null && audio === null && points.length === 0) throw new UsageError(`${NAME}: pass --prompt TEXT, --audio FILE.wav or --points FILE.ply`);
  if (audio !== null && ((gluenet === null && !impliedGluenet) || encoder === null))
    throw new UsageError(`${NAME}: --audio needs --encoder DIR (the audio encoder) and --gluenet DIR (a GlueNet trained for it)`);
  if (points.length > 0) {
    if (audio !== null) throw new UsageError(`${NAME}: --points and --audio are different inputs for different encoders; pass one of them`);
    if (prompt !== null)
      throw new UsageError(`${NAME}: --points takes no --prompt (point clouds are not mixed with text); drop --prompt, or run the prompt on its own`);
    if ((gluenet === null && !impliedGluenet) || encoder === null)
      throw new UsageError(
        `${NAME}: --points needs --encoder DIR (the point-cloud encoder, e.g. world-pointcloud) and --gluenet DIR (a GlueNet trained for it)`,
      );
    if (points.length > MAX_POINT_FILES) throw new UsageError(`${NAME}: ${points.length} --points files; at most ${MAX_POINT_FILES} per run`);
  }
  // A world encoder's name says what it takes: a mismatch is caught before anything loads.
  const given = points.length > 0 ? 'pointcloud' : audio !== null ? 'audio' : 'text';
  const takes = encoder === null ? null : worldEncoderModality(encoder);
  if (takes !== null && takes !== given) {
    const flag = { text: '--prompt TEXT', audio: '--audio FILE.wav', pointcloud: '--points FILE.ply' }[takes];
    throw new UsageError(
      `${NAME}: --encoder ${encoder} takes ${MODALITY_WORDS[takes]}, not ${MODALITY_WORDS[given]}; pass ${flag}, or an encoder for ${MODALITY_WORDS[given]}`,
    );
  }
  if (encoder === null && gluenet !== null) throw new UsageError(`${NAME}: --gluenet needs --encoder DIR, the encoder it was trained for`);
  let mix: MixSpec | null = null;
  if (values.mix !== undefined) {
    if (audio === null || prompt === null) throw new UsageError(`${NAME}: --mix needs both --audio (the sound) and --prompt (the text to mix in)`);
    try {
      mix = parseMixSpec(String(values.mix));
    } catch (e) {
      throw new UsageError(`${NAME}: --${(e as Error).message}`);
    }
  } else if (audio !== null && prompt !== null) {
    throw new UsageError(`${NAME}: --audio with --prompt needs --mix splice:I or avg:W to say how to combine them`);
  }
  if (values['text-encoder'] !== undefined && audio === null && points.length === 0) {
    throw new UsageError(`${NAME}: --text-encoder is for audio and point-cloud runs; with --prompt, --encoder is the text encoder`);
  }
  const device = str(values.device) ?? 'cpu';
  if (device !== 'cpu' && device !== 'cuda') throw new UsageError(`${NAME}: --device must be cpu or cuda, got '${device}'`);
  const scheduler = str(values.scheduler) ?? 'default';
  if (scheduler !== 'default' && !(SCHEDULER_NAMES as readonly string[]).includes(scheduler)) {
    throw new UsageError(`${NAME}: --scheduler must be one of ${SCHEDULER_NAMES.join(', ')}, got '${scheduler}'`);
  }
  // 4096 px is a 512x512 latent: above it the buffers exceed what a typed array or the GPU holds.
  const height = numberFlag(values, 'height', NAME, { integer: true, min: 8, max: 4096 }) ?? null;
  const width = numberFlag(values, 'width', NAME, { integer: true, min: 8, max: 4096 }) ?? null;
  for (const [flag, v] of [
    ['height', height],
    ['width', width],
  ] as const) {
    if (v !== null && v % 8 !== 0) throw new UsageError(`${NAME}: --${flag} must be a multiple of 8, got ${v}`);
  }
  return {
    generator,
    prompt,
    negativePrompt: typeof values['negative-prompt'] === 'string' ? values['negative-prompt'] : '',
    audio,
    points,
    encoder,
    gluenet,
    textEncoder: str(values['text-encoder']),
    mix,
    steps: numberFlag(values, 'steps', NAME, { integer: true, min: 1, max: 1000, default: 50 })!,
    guidance: numberFlag(values, 'guidance', NAME, { min: 0, max: 100, default: 7.5 })!,
    scheduler,
    seed: numberFlag(values, 'seed', NAME, { integer: true, min: 0, max: 2 ** 32 - 1, default: 42 })!,
    height,
    width,
    batch: numberFlag(values, 'num-images', NAME, { integer: true, min: 1, max: 64, default: 1 })!,
    device,
    out,
  };
}

function readAudio(file: string): AudioClip {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new UsageError(`${NAME}: cannot read --audio '${file}': ${(e as Error).message}`);
  }
  const wav = decodeWav(bytes, file);
  return { samples: toMono(wav.channels), sampleRate: wav.sampleRate, source: file };
}

/** Reads a --points file; an unreadable or malformed file is a usage error of one line. */
function readPoints(file: string): PointCloud {
  let bytes: Uint8Array;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_PLY_FILE_BYTES)
      throw new Error(`it is ${(size / 2 ** 20).toFixed(0)} MiB, above the ${MAX_PLY_FILE_BYTES / 2 ** 20} MiB read; subsample the cloud first`);
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new UsageError(`${NAME}: cannot read --points '${file}': ${(e as Error).message}`);
  }
  try {
    return readPly(bytes, file);
  } catch (e) {
    throw new UsageError(`${NAME}: --points ${(e as Error).message}`);
  }
}

/** Where messages and the progress bar go (default: stderr). */
export interface GenerateOutput {
  log?: (line: string) => void;
  progress?: ProgressStream;
}

/** Runs a parsed generate command; returns the PNG paths written. */
export async function runGenerate(args: GenerateArgs, loaders: GenerateLoaders = DEFAULT_LOADERS, output: GenerateOutput = {}): Promise<string[]> {
  const log = output.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const started = Date.now();
  const releases: (() => Promise<void>)[] = [];
  const keep = <T extends { release(): Promise<void> }>(x: T): T => (releases.push(() => x.release()), x);
  try {
    const audio = args.audio !== null ? readAudio(args.audio) : null;
    const clouds = args.points.map(readPoints);
    const modality = audio ? 'audio' : clouds.length ? 'pointcloud' : 'text';
    // Short names of the bundled world's models -> folders, and the folders they bring along.
    const choice = resolveWorldChoice({
      generator: args.generator,
      encoder: args.encoder,
      gluenet: args.gluenet,
      textEncoder: args.textEncoder,
      audio: audio !== null,
      points: clouds.length > 0,
    });
    const textDir = choice.textEncoder ?? (modality !== 'text' ? ownTextEncoderDir(choice.generator) : null);
    if (modality !== 'text') {
      if (args.mix && textDir === null) {
        throw new UsageError(`${NAME}: --mix needs the generator's text encoder: '${args.generator}' has no text_encoder/, pass --text-encoder DIR`);
      }
      if (textDir === null) log(`note: no text encoder in '${args.generator}' and no --text-encoder: the unconditional condition is zeros`);
    } else {
      if (choice.encoder === null && ownTextEncoderDir(choice.generator) === null) {
        throw new UsageError(`${NAME}: '${args.generator}' has no text_encoder/; pass the text encoder with --encoder DIR`);
      }
    }
    const folderTakes = choice.encoder !== null ? folderModality(choice.encoder) : 'text';
    if (folderTakes !== modality && folderTakes !== 'text') {
      const flag = folderTakes === 'audio' ? 'the sound with --audio FILE.wav' : 'the point cloud with --points FILE.ply';
      throw new UsageError(`${NAME}: --encoder '${args.encoder}' takes ${MODALITY_WORDS[folderTakes]}; pass ${flag}`);
    }
    let models: X2ImageModels;
    try {
      models = keep(
        await loadX2ImageModels(
          { generator: choice.generator, encoder: choice.encoder, gluenet: choice.gluenet, textEncoder: textDir, modality, device: args.device },
          loaders,
        ),
      );
    } catch (e) {
      if (e instanceof EncoderModalityError)
        throw new UsageError(`${NAME}: --encoder '${args.encoder}' takes ${MODALITY_WORDS[e.takes]}, not ${MODALITY_WORDS[e.given]}`);
      throw e;
    }
    let pipeline: X2ImagePipeline<unknown>;
    try {
      // A name for the PNG metadata, never a local path; a world encoder brings its GlueNet's name.
      const gluenetArg = args.gluenet ?? (choice.gluenet !== null ? args.encoder : null);
      const alignName = gluenetArg !== null ? path.basename(path.resolve(gluenetArg)) : undefined;
      const source = modelSource(
        {
          ...models,
          align: models.aligner?.align ?? null,
          ...(alignName ? { alignName } : {}),
          ...(models.aligner?.shapeOut ? { alignShape: models.aligner.shapeOut } : {}),
        },
        args.mix,
      );
      pipeline = new X2ImagePipeline<unknown>({ generator: models.generator, source: source as never });
    } catch (e) {
      throw new UsageError(`${NAME}: ${(e as Error).message.replace(/^x2image: /, '')}`);
    }
    const input = audio ?? args.prompt ?? '';
    const inputs: unknown[] = clouds.length
      ? clouds.flatMap((cloud) => new Array<PointCloud>(args.batch).fill(cloud))
      : new Array(args.batch).fill(args.mix ? { input, prompt: args.prompt ?? '' } : input);
    const request = { ...sampling(args), inputs };
    try {
      pipeline.checkRequest(request);
    } catch (e) {
      throw new UsageError(`${NAME}: ${(e as Error).message.replace(/^x2image: /, '')}`);
    }
    let progress: Progress | null = null;
    const onStep = (step: number, total: number): void => {
      progress ??= new Progress({ total, label: 'denoise', ...(output.progress ? { stream: output.progress } : {}) });
      progress.tick();
      if (step === total) progress.done();
    };
    const result = await pipeline.run({ ...request, onStep });
    const paths = await writeImages(args.out, result.pngs);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    log(
      `wrote ${paths.join(', ')} (${result.images.width}x${result.images.height}, ${args.steps} steps, seed ${args.seed}, unconditional from ${result.uncondSource}) in ${seconds} s`,
    );
    return paths;
  } finally {
    for (const release of releases.reverse()) await release().catch(() => undefined);
  }
}

function sampling(args: GenerateArgs): {
  steps: number;
  guidance: number;
  scheduler: string;
  seed: number;
  height?: number;
  width?: number;
  negativePrompts?: string[];
} {
  return {
    ...(args.negativePrompt !== '' ? { negativePrompts: [args.negativePrompt] } : {}),
    steps: args.steps,
    guidance: args.guidance,
    scheduler: args.scheduler,
    seed: args.seed,
    ...(args.height !== null ? { height: args.height } : {}),
    ...(args.width !== null ? { width: args.width } : {}),
  };
}

export const generateCommand: Command = {
  name: NAME,
  summary: SUMMARY,
  usage: USAGE,
  async run(argv: string[]): Promise<void> {
    const paths = await runGenerate(parseGenerateArgs(argv));
    for (const p of paths) process.stdout.write(`${p}\n`);
  },
};
