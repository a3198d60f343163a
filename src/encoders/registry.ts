/**
 * Opens an encoder folder as what its own files say it is, the same way for every folder (the
 * bundled world's included): a config.json whose _class_name names a world encoder opens that
 * encoder; a folder with preprocessor_config.json is an audio encoder export; anything else (HF /
 * Optimum text export, SD `text_encoder/`, SD root) a text encoder export.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Device } from '../engine/runtime.js';
import { OnnxAudioEncoder } from './audio/onnx-audio-encoder.js';
import type { ModelDtype } from './model-file.js';
import { OnnxTextEncoder } from './text/onnx-text-encoder.js';
import type { Encoder, Modality } from './types.js';
import { WorldMultilingualEncoder } from './world/multilingual.js';
import { WorldNativeEncoder } from './world/native.js';
import { WorldPointCloudEncoder } from './world/pointcloud.js';
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

/** The encoder classes a folder's config.json can name, with the modality each takes. */
const CLASSES = {
  WorldTextEncoder: { modality: 'text', load: (dir: string, threads: { threads?: number }) => WorldNativeEncoder.load(dir, threads) },
  WorldMultilingualEncoder: { modality: 'text', load: (dir: string, threads: { threads?: number }) => WorldMultilingualEncoder.load(dir, threads) },
  WorldSoundEncoder: { modality: 'audio', load: (dir: string, threads: { threads?: number }) => WorldSoundEncoder.load(dir, threads) as Promise<Encoder> },
  WorldPointCloudEncoder: {
    modality: 'pointcloud',
    load: (dir: string, threads: { threads?: number }) => WorldPointCloudEncoder.load(dir, threads) as Promise<Encoder>,
  },
} as const satisfies Record<string, { modality: Modality; load: (dir: string, threads: { threads?: number }) => Promise<Encoder> }>;

type EncoderClass = keyof typeof CLASSES;

/** What an encoder folder holds: a class its config.json names, or an ONNX text / audio export. */
export function describeEncoderFolder(dir: string): { modality: Modality; className: EncoderClass | null } {
  const info = statSync(dir, { throwIfNoEntry: false });
  if (info === undefined || !info.isDirectory()) throw new Error(`encoder folder ${JSON.stringify(dir)} does not exist or is not a folder`);
  const className = configClassName(dir);
  if (className !== null && className in CLASSES) return { modality: CLASSES[className as EncoderClass].modality, className: className as EncoderClass };
  const audio = statSync(join(dir, 'preprocessor_config.json'), { throwIfNoEntry: false })?.isFile() ?? false;
  return { modality: audio ? 'audio' : 'text', className: null };
}

/** 'text', 'audio' or 'pointcloud', as describeEncoderFolder decides it. */
export async function encoderModality(dir: string): Promise<Modality> {
  return describeEncoderFolder(dir).modality;
}

export async function loadEncoder(dir: string, opts: LoadEncoderOptions = {}): Promise<Encoder> {
  const { modality, className } = describeEncoderFolder(dir);
  if (className !== null) return CLASSES[className].load(dir, opts.threads !== undefined ? { threads: opts.threads } : {});
  const common = {
    ...(opts.device ? { device: opts.device } : {}),
    ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
    ...(opts.output ? { output: opts.output } : {}),
    ...(opts.dtype ? { dtype: opts.dtype } : {}),
  };
  if (modality === 'audio') {
    if (opts.maxLength !== undefined) throw new Error(`encoder ${JSON.stringify(dir)} is an audio encoder; maxLength applies to text encoders only`);
    return OnnxAudioEncoder.load(dir, common);
  }
  return OnnxTextEncoder.load(dir, { ...common, ...(opts.maxLength !== undefined ? { maxLength: opts.maxLength } : {}) });
}

/** The `_class_name` of DIR/config.json, or null when there is none (or no readable JSON). */
function configClassName(dir: string): string | null {
  try {
    const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { _class_name?: unknown };
    return typeof c._class_name === 'string' ? c._class_name : null;
  } catch {
    return null;
  }
}
