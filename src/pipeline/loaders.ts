/**
 * How the command line and the server open models from folders: generators, new encoders and
 * GlueNet aligners. One table, so both open models the same way; tests swap in stubs.
 */
import type { Device } from '../engine/runtime.js';
import type { Encoder } from '../encoders/types.js';
import { OnnxAudioEncoder } from '../encoders/audio/onnx-audio-encoder.js';
import { OnnxTextEncoder } from '../encoders/text/onnx-text-encoder.js';
import { loadEncoder } from '../encoders/registry.js';
import { SdOnnxGenerator } from '../generators/sd/index.js';
import type { Generator } from '../generators/types.js';
import { loadAligner } from '../gluenet/load.js';
import type { AlignFn } from './x2image.js';
import { join } from 'node:path';
import { WorldGenerator } from '../generators/world/generator.js';
import { worldAssetsDir } from '../world/assets.js';

export interface GenerateLoaders {
  generator(dir: string, device: Device): Promise<Generator>;
  /** maxLength: pad/truncate to this many tokens (a GlueNet's tokens_in), else the encoder's default. */
  textEncoder(dir: string, device: Device, maxLength?: number): Promise<Encoder<'text'>>;
  audioEncoder(dir: string, device: Device): Promise<Encoder<'audio'>>;
  /** tokensIn: how many tokens of the new encoder the GlueNet expects. */
  aligner(dir: string, device: Device): Promise<{ align: AlignFn; release(): Promise<void>; tokensIn?: number }>;
}

/**
 * Names of the bundled world's models, accepted wherever a folder is: `--generator world`,
 * `--encoder world-native | world-multilingual | world-sound`, `--gluenet world-multilingual | world-sound`.
 */
export const WORLD_NAMES = {
  generator: 'world',
  native: 'world-native',
  multilingual: 'world-multilingual',
  sound: 'world-sound',
} as const;

export function isWorldName(name: string): boolean {
  return (Object.values(WORLD_NAMES) as string[]).includes(name);
}

export const DEFAULT_LOADERS: GenerateLoaders = {
  generator: (dir, device) => (dir === WORLD_NAMES.generator ? WorldGenerator.load(join(worldAssetsDir(), 'generator')) : SdOnnxGenerator.load(dir, { device })),
  // World encoders by name resolve in the encoder registry, like everywhere else.
  textEncoder: (dir, device, maxLength) =>
    isWorldName(dir) ? (loadEncoder(dir) as Promise<Encoder<'text'>>) : OnnxTextEncoder.load(dir, { device, ...(maxLength ? { maxLength } : {}) }),
  audioEncoder: (dir, device) => (isWorldName(dir) ? (loadEncoder(dir) as Promise<Encoder<'audio'>>) : OnnxAudioEncoder.load(dir, { device })),
  aligner: async (dir, device) => {
    const resolved = dir === WORLD_NAMES.multilingual || dir === WORLD_NAMES.sound ? join(worldAssetsDir(), `gluenet-${dir.slice('world-'.length)}`) : dir;
    const a = await loadAligner(resolved, { device });
    return { align: a.align, release: a.release, tokensIn: a.config.tokens_in };
  },
};
