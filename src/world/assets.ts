/**
 * Where the shipped world models live, and the one table of their short names.
 *
 * The bundled world is a folder of ordinary model folders (assets/world in the package, committed;
 * GLUEGEN_WORLD_DIR overrides it): each sub-folder's config.json names its class (WorldUNet,
 * WorldTextEncoder, ...), so the shared loaders open it like any user folder. The command line and
 * the server accept short names for them; resolveModelName maps those names to folders, here only.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Modality } from '../encoders/types.js';
import { WorldNativeEncoder } from '../encoders/world/native.js';
import { WorldGenerator } from '../generators/world/generator.js';
import { WorldEvaluator } from './models/evaluator-session.js';

/** Short name -> the sub-folder of the world folder it names, per role of a model. */
export const WORLD_MODEL_NAMES = {
  generator: { world: 'generator' },
  encoder: {
    'world-native': 'text-encoder',
    'world-multilingual': 'multilingual-encoder',
    'world-sound': 'sound-encoder',
    'world-pointcloud': 'pointcloud-encoder',
    'world-english-large': 'english-large-encoder',
  },
  /** The GlueNet a world encoder ships with, mapping it into the world generator's space. */
  gluenet: {
    'world-multilingual': 'gluenet-multilingual',
    'world-sound': 'gluenet-sound',
    'world-pointcloud': 'gluenet-pointcloud',
    'world-english-large': 'gluenet-english-large',
  },
} as const satisfies Record<string, Record<string, string>>;

export type ModelRole = keyof typeof WORLD_MODEL_NAMES;

/**
 * The world folder that holds `part`/config.json: $GLUEGEN_WORLD_DIR, else assets/world in the
 * nearest folder above this module that has one (the package root, from the source tree or dist/).
 */
export function worldAssetsDir(part = 'generator'): string {
  const marker = join(part, 'config.json');
  const env = process.env.GLUEGEN_WORLD_DIR;
  if (env) {
    if (!existsSync(join(env, marker))) {
      throw new Error(`GLUEGEN_WORLD_DIR is '${env}', which holds no ${marker}; point it at a folder written by \`gluegen world build\` or unset it`);
    }
    return resolve(env);
  }
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'assets', 'world');
    if (existsSync(join(candidate, marker))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(
    `the bundled world model '${part}' was not found (no assets/world/${marker} above the gluegen package); run \`gluegen world build --out assets/world\` or set GLUEGEN_WORLD_DIR`,
  );
}

/** One bundled world model folder, e.g. worldModelDir('sound-encoder'). */
export function worldModelDir(part: string): string {
  return join(worldAssetsDir(part), part);
}

/** What each world encoder takes, so a short name can be checked against the input before loading. */
export const WORLD_ENCODER_MODALITY: Record<keyof (typeof WORLD_MODEL_NAMES)['encoder'], Modality> = {
  'world-native': 'text',
  'world-multilingual': 'text',
  'world-sound': 'audio',
  'world-pointcloud': 'pointcloud',
  'world-english-large': 'text',
};

/** The modality of a world encoder's short name, or null for anything else (a folder). */
export function worldEncoderModality(name: string): Modality | null {
  return Object.hasOwn(WORLD_ENCODER_MODALITY, name) ? WORLD_ENCODER_MODALITY[name as keyof typeof WORLD_ENCODER_MODALITY] : null;
}

export function isWorldModelName(name: string, role: ModelRole): boolean {
  return Object.hasOwn(WORLD_MODEL_NAMES[role], name);
}

/** A short name of the world's models -> its folder; any other value (a folder) is returned as is. */
export function resolveModelName(nameOrDir: string, role: ModelRole): string {
  const names: Record<string, string> = WORLD_MODEL_NAMES[role];
  return Object.hasOwn(names, nameOrDir) ? worldModelDir(names[nameOrDir]!) : nameOrDir;
}

/** The world's native text encoder: what `--generator world` reads English prompts with. */
export const WORLD_NATIVE_ENCODER = 'world-native';

/**
 * The folders a generate request names, short names resolved. The world brings its defaults along:
 * `--generator world` reads prompts with world-native (sounds with world-sound, point clouds with
 * world-pointcloud); a world encoder named without --gluenet takes the GlueNet it ships with;
 * sounds and point clouds take world-native for the unconditional (and sounds for the mix text).
 */
export function resolveWorldChoice<
  T extends { generator: string; encoder: string | null; gluenet: string | null; textEncoder: string | null; audio: boolean; points?: boolean },
>(c: T): T {
  let { encoder, gluenet, textEncoder } = c;
  if (isWorldModelName(c.generator, 'generator')) {
    encoder ??= c.audio ? 'world-sound' : c.points ? 'world-pointcloud' : WORLD_NATIVE_ENCODER;
    if (c.audio || c.points) textEncoder ??= WORLD_NATIVE_ENCODER;
  }
  if (gluenet === null && encoder !== null && isWorldModelName(encoder, 'gluenet')) gluenet = encoder;
  return {
    ...c,
    generator: resolveModelName(c.generator, 'generator'),
    encoder: encoder === null ? null : resolveModelName(encoder, 'encoder'),
    gluenet: gluenet === null ? null : resolveModelName(gluenet, 'gluenet'),
    textEncoder: textEncoder === null ? null : resolveModelName(textEncoder, 'encoder'),
  };
}

export interface WorldModels {
  dir: string;
  encoder: WorldNativeEncoder;
  generator: WorldGenerator;
  evaluator: WorldEvaluator;
  release(): Promise<void>;
}

/** Loads the three shipped models (or those in `dir`). */
export async function loadWorldModels(dir = worldAssetsDir(), opts: { threads?: number } = {}): Promise<WorldModels> {
  const encoder = await WorldNativeEncoder.load(join(dir, 'text-encoder'), opts);
  const generator = await WorldGenerator.load(join(dir, 'generator'), opts);
  const evaluator = await WorldEvaluator.fromModel(join(dir, 'evaluator', 'model.onnx'), opts.threads);
  return {
    dir,
    encoder,
    generator,
    evaluator,
    release: async () => {
      await Promise.all([encoder.release(), generator.release(), evaluator.release()]);
    },
  };
}
