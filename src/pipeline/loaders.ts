/**
 * How the command line and the server open models from folders: generators, new encoders and
 * GlueNet aligners. One table, so both open models the same way; tests swap in stubs.
 */
import type { Device } from '../engine/runtime.js';
import type { Encoder } from '../encoders/types.js';
import { OnnxAudioEncoder } from '../encoders/audio/onnx-audio-encoder.js';
import { OnnxTextEncoder } from '../encoders/text/onnx-text-encoder.js';
import { SdOnnxGenerator } from '../generators/sd/index.js';
import type { Generator } from '../generators/types.js';
import { loadAligner } from '../gluenet/load.js';
import type { AlignFn } from './x2image.js';
import { join } from 'node:path';
import { WorldGenerator } from '../generators/world/generator.js';
import { WorldNativeEncoder } from '../encoders/world/native.js';
import { WorldMultilingualEncoder } from '../encoders/world/multilingual.js';
import { WorldSoundEncoder } from '../encoders/world/sound.js';
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
  textEncoder: (dir, device, maxLength) => {
    if (dir === WORLD_NAMES.native) return WorldNativeEncoder.load(join(worldAssetsDir(), 'text-encoder'));
    if (dir === WORLD_NAMES.multilingual) return WorldMultilingualEncoder.load();
    return OnnxTextEncoder.load(dir, { device, ...(maxLength ? { maxLength } : {}) });
  },
  audioEncoder: (dir, device) => (dir === WORLD_NAMES.sound ? (WorldSoundEncoder.load() as Promise<Encoder<'audio'>>) : OnnxAudioEncoder.load(dir, { device })),
  aligner: async (dir, device) => {
    const resolved = dir === WORLD_NAMES.multilingual || dir === WORLD_NAMES.sound ? join(worldAssetsDir(), `gluenet-${dir.slice('world-'.length)}`) : dir;
    const a = await loadAligner(resolved, { device });
    return { align: a.align, release: a.release, tokensIn: a.config.tokens_in };
  },
};
