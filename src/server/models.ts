/**
 * The models `gluegen serve` loads once at start: one generator and the encoders requests may name.
 *
 * - No flags: the bundled world (assets/world or $GLUEGEN_WORLD_DIR): its generator, its native text
 *   encoder ('native'), and, when shipped, the multilingual encoder with gluenet-multilingual/
 *   ('multilingual'), the sound encoder with gluenet-sound/ ('sound') and the point-cloud encoder
 *   with gluenet-pointcloud/ ('pointcloud').
 * - `generator: DIR`: a Stable Diffusion ONNX folder; 'native' is its text_encoder/ (or textEncoder).
 * - `encoders`: named encoder folders (ONNX text/audio exports, or world encoder folders), each with
 *   an optional GlueNet; they replace the world's multilingual/sound/pointcloud defaults.
 * Paths only ever come from here (the command line), never from requests.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describeEncoderFolder, loadEncoder } from '../encoders/registry.js';
import type { Encoder, Modality } from '../encoders/types.js';
import { WorldMultilingualEncoder } from '../encoders/world/multilingual.js';
import { WorldNativeEncoder } from '../encoders/world/native.js';
import { WorldSoundEncoder } from '../encoders/world/sound.js';
import type { Device } from '../engine/runtime.js';
import { openGenerator } from '../generators/open.js';
import { SCHEDULER_NAMES } from '../generators/sd/schedulers/index.js';
import type { Generator } from '../generators/types.js';
import { type LoadedAligner, loadAligner } from '../gluenet/load.js';
import { type AnyEncoder, DEFAULT_LOADERS, type GenerateLoaders } from '../pipeline/loaders.js';
import type { AlignFn } from '../pipeline/x2image.js';
import { type ModelRole, WORLD_MODEL_NAMES, worldAssetsDir } from '../world/assets.js';

/** An encoder requests can name, with what aligns it to the generator. */
export interface ServedEncoder {
  name: string;
  modality: Modality;
  encoder: AnyEncoder;
  align?: AlignFn;
  /** The GlueNet folder's name (never its path), or null for the generator's own encoder. */
  gluenet: string | null;
  /** Languages it was trained for, when it says; null = not declared. */
  languages: string[] | null;
  /** Language of a prompt, for encoders that can tell (the world's multilingual encoder). */
  detectLanguage?: (text: string) => string | null;
  /** Longest sound it takes, seconds (audio encoders that declare one). */
  maxSeconds?: number;
}

export interface ServerModels {
  generator: Generator;
  /** 'world', or the SD folder's name (never its path). */
  generatorName: string;
  generatorKind: 'world' | 'sd';
  /** The world generator draws only its one size; SD folders take multiples of 8. */
  fixedSize: boolean;
  /** Sampling defaults for this generator. */
  defaults: { steps: number; guidance: number; scheduler: string };
  /** Scheduler names requests may use ('default' only where the generator has its own). */
  schedulers: string[];
  /** 'native' first when there is one. */
  encoders: ServedEncoder[];
  /** The generator's own text encoder: the text side of sound + text mixes and the unconditional for sounds and point clouds. */
  native: Encoder<'text'> | null;
  /** What was left out and why (printed at start). */
  notes: string[];
  release(): Promise<void>;
}

export interface EncoderSpec {
  /** The name requests use ('multilingual', 'sound', 'xlmr', ...). */
  name: string;
  dir: string;
  gluenet?: string;
}

export interface ServerModelOptions {
  /** 'world' (default) or a Stable Diffusion ONNX folder. */
  generator?: string;
  encoders?: EncoderSpec[];
  /** SD only: the generator's own text encoder (default GENERATOR/text_encoder when present). */
  textEncoder?: string;
  device?: Device;
  /** onnxruntime intra-op threads for the world models. */
  threads?: number;
  /** The world folder (default: worldAssetsDir()). */
  worldDir?: string;
  loaders?: GenerateLoaders;
}

/** Names with a meaning of their own in requests. */
export const RESERVED_ENCODER_NAMES = ['native', 'auto'] as const;

/** Loads one encoder folder as its own files say (shared loaders); the world's multilingual encoder also tells languages. */
async function loadEncoderDir(spec: EncoderSpec, o: ServerModelOptions, loaders: GenerateLoaders, aligner: LoadedAligner | null): Promise<ServedEncoder> {
  const base = { name: spec.name, gluenet: spec.gluenet ? basename(spec.gluenet) : null, ...(aligner ? { align: aligner.align } : {}) };
  const device = o.device ?? 'cpu';
  const { modality, className } = describeEncoderFolder(spec.dir);
  // World encoder folders open through the shared registry with the server's thread count.
  const encoder =
    className !== null
      ? await loadEncoder(spec.dir, o.threads ? { threads: o.threads } : {})
      : modality === 'audio'
        ? await loaders.audioEncoder(spec.dir, device)
        : await loaders.textEncoder(spec.dir, device, aligner?.config.tokens_in);
  if (encoder instanceof WorldMultilingualEncoder) {
    return { ...base, modality: 'text', encoder, languages: Object.keys(encoder.config.lexicon), detectLanguage: (t) => encoder.detectLanguage(t) };
  }
  if (encoder instanceof WorldSoundEncoder) return { ...base, modality: 'audio', encoder, languages: null, maxSeconds: encoder.config.maxSeconds };
  if (encoder instanceof WorldNativeEncoder) return { ...base, modality: 'text', encoder, languages: ['en'] };
  // Other world classes (the point-cloud encoder) say what they take in their info.
  return { ...base, modality: className !== null ? encoder.info.modality : modality, encoder: encoder as AnyEncoder, languages: null };
}

/** Throws unless `served` turns into the generator's condition shape. */
function checkFits(served: ServedEncoder, aligner: LoadedAligner | null, generator: Generator, where: string): void {
  const { tokens, dim } = generator.condition;
  const info = served.encoder.info;
  if (aligner) {
    const c = aligner.config;
    if (c.dim_in !== info.dim || c.tokens_in !== info.tokens) {
      throw new Error(
        `serve: encoder '${served.name}' (${where}) gives [${info.tokens}, ${info.dim}] features but its GlueNet '${served.gluenet}' takes [${c.tokens_in}, ${c.dim_in}]; pass the GlueNet trained for this encoder`,
      );
    }
    if (c.dim_out !== dim || c.tokens_out !== tokens) {
      throw new Error(
        `serve: GlueNet '${served.gluenet}' of encoder '${served.name}' outputs [${c.tokens_out}, ${c.dim_out}] but generator '${generator.name}' takes [${tokens}, ${dim}]; pass a GlueNet trained for this generator`,
      );
    }
  } else if (info.tokens !== tokens || info.dim !== dim) {
    throw new Error(
      `serve: encoder '${served.name}' (${where}) gives [${info.tokens}, ${info.dim}] features but generator '${generator.name}' takes [${tokens}, ${dim}]; pass --gluenet ${served.name}=DIR with a GlueNet trained for it`,
    );
  }
}

export async function loadServerModels(o: ServerModelOptions = {}): Promise<ServerModels> {
  const loaders = o.loaders ?? DEFAULT_LOADERS;
  const releases: (() => Promise<void>)[] = [];
  const keep = <T extends { release(): Promise<void> }>(x: T): T => (releases.push(() => x.release()), x);
  const release = async (): Promise<void> => {
    for (const r of releases.splice(0).reverse()) await r().catch(() => undefined);
  };
  const notes: string[] = [];
  const threads = o.threads ? { threads: o.threads } : {};
  const names = new Set<string>();
  for (const s of o.encoders ?? []) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/.test(s.name))
      throw new Error(`serve: encoder name '${s.name}' must be 1-40 letters, digits, '.', '_' or '-' (it is what requests send)`);
    if ((RESERVED_ENCODER_NAMES as readonly string[]).includes(s.name))
      throw new Error(`serve: encoder name '${s.name}' is reserved (${RESERVED_ENCODER_NAMES.join(', ')}); pick another name`);
    if (names.has(s.name)) throw new Error(`serve: two encoders are named '${s.name}'; give each --encoder its own NAME=DIR`);
    names.add(s.name);
  }
  try {
    const world = (o.generator ?? 'world') === 'world';
    let generator: Generator;
    let native: ServedEncoder | null = null;
    const specs: EncoderSpec[] = [...(o.encoders ?? [])];
    if (world) {
      let dir: string;
      try {
        dir = o.worldDir ?? worldAssetsDir();
      } catch (e) {
        throw new Error(`serve: cannot load the default generator: ${(e as Error).message}; or pass --generator DIR with a Stable Diffusion ONNX folder`);
      }
      const part = (role: ModelRole, name: string): string => join(dir, (WORLD_MODEL_NAMES[role] as Record<string, string>)[name]!);
      if (!existsSync(join(part('generator', 'world'), 'config.json'))) {
        throw new Error(
          `serve: the world folder '${dir}' has no generator/config.json (the bundled world is not built there); build it with \`gluegen world build\`, or pass --generator DIR with a Stable Diffusion ONNX folder`,
        );
      }
      generator = keep(await openGenerator(part('generator', 'world'), threads));
      native = { ...(await loadEncoderDir({ name: 'native', dir: part('encoder', 'world-native') }, o, loaders, null)), gluenet: null };
      keep(native.encoder);
      if (o.encoders === undefined || o.encoders.length === 0) {
        for (const [name, short] of [
          ['multilingual', 'world-multilingual'],
          ['sound', 'world-sound'],
          ['pointcloud', 'world-pointcloud'],
        ] as const) {
          const [enc, glue] = [part('encoder', short), part('gluenet', short)];
          const missing = [enc, glue].filter((f) => !existsSync(join(f, 'config.json')));
          if (missing.length) notes.push(`the world's '${name}' encoder is not served: ${missing.join(' and ')} missing`);
          else specs.push({ name, dir: enc, gluenet: glue });
        }
      }
    } else {
      const dir = o.generator as string;
      generator = keep(await loaders.generator(dir, o.device ?? 'cpu'));
      const textDir = o.textEncoder ?? (existsSync(join(dir, 'text_encoder')) ? join(dir, 'text_encoder') : null);
      if (textDir !== null) {
        native = { name: 'native', modality: 'text', encoder: keep(await loaders.textEncoder(textDir, o.device ?? 'cpu')), gluenet: null, languages: null };
      } else {
        notes.push(
          `'${dir}' has no text_encoder/ and no --text-encoder was given: no 'native' encoder, no sound + text mixing, sounds use a zero unconditional`,
        );
      }
    }
    if (native) checkFits(native, null, generator, "the generator's own text encoder");
    const encoders: ServedEncoder[] = native ? [native] : [];
    for (const spec of specs) {
      const aligner = spec.gluenet ? keep(await loadAligner(spec.gluenet, { device: o.device ?? 'cpu' })) : null;
      const served = await loadEncoderDir(spec, o, loaders, aligner);
      keep(served.encoder);
      checkFits(served, aligner, generator, spec.dir);
      encoders.push(served);
    }
    if (encoders.length === 0) throw new Error('serve: no encoder to serve: the generator has no text encoder and no --encoder NAME=DIR was given');
    return {
      generator,
      generatorName: world ? 'world' : basename((o.generator as string).replace(/[\\/]+$/, '')),
      generatorKind: world ? 'world' : 'sd',
      fixedSize: world,
      defaults: world ? { steps: 20, guidance: 3, scheduler: 'ddim' } : { steps: 25, guidance: 7.5, scheduler: 'default' },
      schedulers: world ? [...SCHEDULER_NAMES] : ['default', ...SCHEDULER_NAMES],
      encoders,
      native: (native?.encoder as Encoder<'text'> | undefined) ?? null,
      notes,
      release,
    };
  } catch (e) {
    await release();
    throw e;
  }
}

/** Parses a command-line `NAME=DIR` (or a bare DIR, named after its folder). */
export function parseNamedDir(value: string, flag: string): { name: string; dir: string } {
  const m = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,39})=(.+)$/.exec(value);
  if (m) return { name: m[1]!, dir: m[2]! };
  if (value.includes('=')) throw new Error(`--${flag} '${value}': expected NAME=DIR with NAME made of letters, digits, '.', '_' or '-'`);
  const name = basename(value.replace(/[\\/]+$/, ''))
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .slice(0, 40);
  return { name, dir: value };
}
