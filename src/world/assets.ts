/**
 * Where the shipped world models live (assets/world in the package, committed) and loading them:
 * the native text encoder, the generator and the evaluator. GLUEGEN_WORLD_DIR overrides the folder.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorldNativeEncoder } from '../encoders/world/native.js';
import { WorldGenerator } from '../generators/world/generator.js';
import { WorldEvaluator } from './models/evaluator-session.js';

const MARKER = join('generator', 'config.json');

/** The world model folder: $GLUEGEN_WORLD_DIR, else assets/world above this module (source or dist). */
export function worldAssetsDir(): string {
  const env = process.env.GLUEGEN_WORLD_DIR;
  if (env) {
    if (!existsSync(join(env, MARKER))) {
      throw new Error(`GLUEGEN_WORLD_DIR is '${env}', which holds no ${MARKER}; point it at a folder written by \`gluegen world build\` or unset it`);
    }
    return resolve(env);
  }
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'assets', 'world');
    if (existsSync(join(candidate, MARKER))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error('the bundled world models were not found (no assets/world/generator/config.json above the gluegen package); run `gluegen world build --out assets/world` or set GLUEGEN_WORLD_DIR');
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
