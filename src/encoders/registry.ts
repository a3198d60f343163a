/**
 * Resolves an `--encoder DIR` argument to a loaded Encoder: a folder with preprocessor_config.json
 * is an audio encoder, anything else (HF / Optimum text export, SD `text_encoder/`, SD root) a text one.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Device } from '../engine/runtime.js';
import { OnnxAudioEncoder } from './audio/onnx-audio-encoder.js';
import { OnnxTextEncoder } from './text/onnx-text-encoder.js';
import type { Encoder, Modality } from './types.js';

export interface LoadEncoderOptions {
  device?: Device;
  threads?: number;
  /** Text encoders: tokens per prompt (see OnnxTextEncoderOptions.maxLength). */
  maxLength?: number;
  /** Graph output to read (text default last_hidden_state; audio per gluegen_audio.json). */
  output?: string;
}

/** 'audio' when the folder holds a feature-extractor config, else 'text'. */
export async function encoderModality(dir: string): Promise<Modality> {
  const info = await stat(dir).catch(() => null);
  if (info === null || !info.isDirectory()) throw new Error(`encoder folder ${JSON.stringify(dir)} does not exist or is not a folder`);
  return (await stat(join(dir, 'preprocessor_config.json')).catch(() => null))?.isFile() ? 'audio' : 'text';
}

export async function loadEncoder(dir: string, opts: LoadEncoderOptions = {}): Promise<Encoder> {
  const common = { ...(opts.device ? { device: opts.device } : {}), ...(opts.threads !== undefined ? { threads: opts.threads } : {}), ...(opts.output ? { output: opts.output } : {}) };
  if ((await encoderModality(dir)) === 'audio') {
    if (opts.maxLength !== undefined) throw new Error(`encoder ${JSON.stringify(dir)} is an audio encoder; maxLength applies to text encoders only`);
    return OnnxAudioEncoder.load(dir, common);
  }
  return OnnxTextEncoder.load(dir, { ...common, ...(opts.maxLength !== undefined ? { maxLength: opts.maxLength } : {}) });
}
