/**
 * Resolves an `--encoder DIR` argument to a loaded Encoder: a folder with preprocessor_config.json
 * is an audio encoder, anything else (HF / Optimum text export, SD `text_encoder/`, SD root) a text one;
 * `world-native`, `world-multilingual` and `world-sound` name the bundled world's encoders.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Device } from '../engine/runtime.js';
import { OnnxAudioEncoder } from './audio/onnx-audio-encoder.js';
import { OnnxTextEncoder } from './text/onnx-text-encoder.js';
import type { ModelDtype } from './model-file.js';
import type { Encoder, Modality } from './types.js';
import { worldEncoderDir } from './world/locate.js';
import { WorldMultilingualEncoder } from './world/multilingual.js';
import { WorldNativeEncoder } from './world/native.js';
import { WorldSoundEncoder } from './world/sound.js';

export interface LoadEncoderOptions {
  device?: Device;
  threads?: number;
  /** Text encoders: tokens per prompt (see OnnxTextEncoderOptions.maxLength). */
  maxLength?: number;
  /** Graph output to read (text default last_hidden_state; audio per gluegen_audio.json). */
  output?: string;
  /** Weight variant of a transformers.js folder ('fp32' model.onnx, 'fp16' model_fp16.onnx, 'q8' model_quantized.onnx, ...). */
  dtype?: ModelDtype;
}

/** 'audio' when the folder holds a feature-extractor config, else 'text'. */
export async function encoderModality(dir: string): Promise<Modality> {
  if (dir in WORLD_ENCODERS) return dir === 'world-sound' ? 'audio' : 'text';
  const info = await stat(dir).catch(() => null);
  if (info === null || !info.isDirectory()) throw new Error(`encoder folder ${JSON.stringify(dir)} does not exist or is not a folder`);
  return (await stat(join(dir, 'preprocessor_config.json')).catch(() => null))?.isFile() ? 'audio' : 'text';
}

/** The bundled world's encoders, addressable by name wherever an encoder folder is expected. */
const WORLD_ENCODERS: Record<string, () => Promise<Encoder>> = {
  'world-native': () => WorldNativeEncoder.load(worldEncoderDir('text-encoder')),
  'world-multilingual': () => WorldMultilingualEncoder.load(),
  'world-sound': () => WorldSoundEncoder.load() as Promise<Encoder>,
};

export async function loadEncoder(dir: string, opts: LoadEncoderOptions = {}): Promise<Encoder> {
  const world = WORLD_ENCODERS[dir];
  if (world) return world();
  const common = { ...(opts.device ? { device: opts.device } : {}), ...(opts.threads !== undefined ? { threads: opts.threads } : {}), ...(opts.output ? { output: opts.output } : {}), ...(opts.dtype ? { dtype: opts.dtype } : {}) };
  if ((await encoderModality(dir)) === 'audio') {
    if (opts.maxLength !== undefined) throw new Error(`encoder ${JSON.stringify(dir)} is an audio encoder; maxLength applies to text encoders only`);
    return OnnxAudioEncoder.load(dir, common);
  }
  return OnnxTextEncoder.load(dir, { ...common, ...(opts.maxLength !== undefined ? { maxLength: opts.maxLength } : {}) });
}
