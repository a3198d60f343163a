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

export interface GenerateLoaders {
  generator(dir: string, device: Device): Promise<Generator>;
  /** maxLength: pad/truncate to this many tokens (a GlueNet's tokens_in), else the encoder's default. */
  textEncoder(dir: string, device: Device, maxLength?: number): Promise<Encoder<'text'>>;
  audioEncoder(dir: string, device: Device): Promise<Encoder<'audio'>>;
  /** tokensIn: how many tokens of the new encoder the GlueNet expects. */
  aligner(dir: string, device: Device): Promise<{ align: AlignFn; release(): Promise<void>; tokensIn?: number }>;
}

export const DEFAULT_LOADERS: GenerateLoaders = {
  generator: (dir, device) => SdOnnxGenerator.load(dir, { device }),
  textEncoder: (dir, device, maxLength) => OnnxTextEncoder.load(dir, { device, ...(maxLength ? { maxLength } : {}) }),
  audioEncoder: (dir, device) => OnnxAudioEncoder.load(dir, { device }),
  aligner: async (dir, device) => {
    const a = await loadAligner(dir, { device });
    return { align: a.align, release: a.release, tokensIn: a.config.tokens_in };
  },
};
