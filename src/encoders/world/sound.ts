/**
 * The world's sound encoder (the AudioCLIP analogue GlueNet glues into the world generator) behind
 * the Encoder interface. Clips at any rate, mono or multi-channel, are mixed to mono, resampled to
 * 16 kHz and cut into 2 s windows; each window becomes a log-mel spectrogram (src/encoders/audio,
 * the code real audio goes through), the model embeds it, and a clip's embedding is the mean over
 * its windows. The pooled embedding (e.g. 256 floats) is read as tokens x dim (e.g. 16 x 16), as
 * GlueGen reads AudioCLIP's 1024 as 16 x 64.
 */
import { Session } from '../../engine/runtime.js';
import { type FileSource, readJson } from '../../io/file-source.js';
import { openFiles } from '../../io/open-files.js';
import { AudioError } from '../audio/errors.js';
import { logMel } from '../audio/features.js';
import { resample, toMono } from '../audio/resample.js';
import type { AudioClip, EncodedBatch, Encoder, EncoderInfo } from '../types.js';

/** The log-mel front end (shared by training and inference). */
export interface SoundFrontEnd {
  sampleRate: number; // 16000: every clip is resampled to this rate
  nFft: number; // 400 (25 ms)
  hop: number; // 160 (10 ms)
  nMels: number; // 64 Slaney mels over 0 .. fMax
  fMax: number; // 8000
  windowSeconds: number; // 2: clips are padded or cut into windows of this length
}

export const DEFAULT_SOUND_FRONT_END: SoundFrontEnd = { sampleRate: 16000, nFft: 400, hop: 160, nMels: 64, fMax: 8000, windowSeconds: 2 };

/** Frames per window (the model's time axis). */
export function frontEndFrames(fe: SoundFrontEnd): number {
  return Math.round(fe.windowSeconds * fe.sampleRate) / fe.hop;
}

/**
 * Features of one window of 16 kHz audio (shorter input is zero-padded at the end): log10 mel
 * energies [nMels, frames], floored 8 decades below the window's peak and mapped by (x + 4) / 4 as
 * Whisper's front end does, so levels stay absolute (silence is -1.5) but bounded.
 */
export function soundFeatures(window: Float32Array, fe: SoundFrontEnd): Float32Array {
  const samples = Math.round(fe.windowSeconds * fe.sampleRate);
  const frames = frontEndFrames(fe);
  if (window.length > samples) throw new Error(`internal: sound window of ${window.length} samples, expected at most ${samples}`);
  const padded = new Float32Array(samples);
  padded.set(window);
  const mel = logMel(padded, { sampleRate: fe.sampleRate, nFft: fe.nFft, hop: fe.hop, nMels: fe.nMels, fMax: fe.fMax, log: 'log10' });
  const out = new Float32Array(fe.nMels * frames);
  let max = -Infinity;
  for (let m = 0; m < fe.nMels; m++) {
    for (let f = 0; f < frames; f++) {
      const v = mel.data[m * mel.frames + f]!; // the centred STFT has one frame more; the last is dropped
      out[m * frames + f] = v;
      if (v > max) max = v;
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = (Math.max(out[i]!, max - 8) + 4) / 4;
  return out;
}

/** Windows of a 16 kHz clip: back to back; a trailing piece shorter than a quarter window is dropped (unless it is all there is). */
export function soundWindows(audio: Float32Array, fe: SoundFrontEnd): Float32Array[] {
  const w = Math.round(fe.windowSeconds * fe.sampleRate);
  const out: Float32Array[] = [];
  for (let at = 0; at < audio.length; at += w) {
    const piece = audio.subarray(at, Math.min(audio.length, at + w));
    if (out.length === 0 || piece.length >= w / 4) out.push(piece);
  }
  return out;
}

/** config.json of a sound-encoder folder (written by src/world/encoders/build.ts). */
export interface WorldSoundConfig {
  _class_name: 'WorldSoundEncoder';
  frontEnd: SoundFrontEnd;
  /** Width of the pooled embedding (model output audio_embeds). */
  embedDim: number;
  /** The embedding is read as tokens x dim (tokens * dim = embedDim). */
  tokens: number;
  dim: number;
  /** Event class names, in the order of the model's logits. */
  classes: string[];
  /** Longest clip accepted, in seconds. */
  maxSeconds: number;
  [key: string]: unknown;
}

/** A clip given as channels (e.g. decodeWav's), mixed to mono before encoding. */
export interface MultiChannelClip {
  channels: Float32Array[];
  sampleRate: number;
  source?: string;
}

export type WorldAudioInput = AudioClip | MultiChannelClip;

export class WorldSoundEncoder implements Encoder<'audio'> {
  readonly info: EncoderInfo & { modality: 'audio' };

  private constructor(
    private readonly session: Session,
    readonly config: WorldSoundConfig,
  ) {
    this.info = { name: 'world-sound', modality: 'audio', tokens: config.tokens, dim: config.dim };
  }

  /** Loads a sound-encoder folder (the bundled one is assets/world/sound-encoder, found by src/world/assets.ts). */
  static async load(dir: string, opts: { threads?: number } = {}): Promise<WorldSoundEncoder> {
    return WorldSoundEncoder.fromFiles(openFiles(dir), opts);
  }

  /** Loads the folder's files through a file source (a local folder, or URLs in the browser). */
  static async fromFiles(files: FileSource, opts: { threads?: number } = {}): Promise<WorldSoundEncoder> {
    let config: WorldSoundConfig;
    try {
      config = (await readJson(files, 'config.json')) as WorldSoundConfig;
    } catch (e) {
      throw new Error(`world sound encoder: ${(e as Error).message}; pass a folder written by buildWorldEncoders()`);
    }
    checkConfig(config, files.describe('config.json'));
    return WorldSoundEncoder.fromParts(await files.bytes('model.onnx'), config, opts);
  }

  static async fromParts(model: Uint8Array | string, config: WorldSoundConfig, opts: { threads?: number } = {}): Promise<WorldSoundEncoder> {
    checkConfig(config, 'config');
    return new WorldSoundEncoder(await Session.create(model, opts.threads ? { threads: opts.threads } : {}), config);
  }

  /** Token features [B, tokens, dim]: each clip's pooled embedding, reshaped. */
  async encode(clips: WorldAudioInput[]): Promise<EncodedBatch> {
    const { embeds } = await this.embed(clips);
    return { features: embeds, batch: clips.length, tokens: this.config.tokens, dim: this.config.dim };
  }

  /** Pooled embeddings [B, embedDim] and class logits [B, classes], averaged over each clip's windows. */
  async embed(clips: WorldAudioInput[]): Promise<{ embeds: Float32Array; logits: Float32Array }> {
    if (!Array.isArray(clips)) throw new AudioError(`world sound encoder: encode() takes an array of clips, got ${typeof clips}`);
    const fe = this.config.frontEnd;
    const perClip = clips.map((clip, i) => soundWindows(this.toModelRate(clip, i), fe).map((w) => soundFeatures(w, fe)));
    const E = this.config.embedDim;
    const C = this.config.classes.length;
    const embeds = new Float32Array(clips.length * E);
    const logits = new Float32Array(clips.length * C);
    const windows = perClip.flat();
    if (windows.length === 0) return { embeds, logits };
    const size = windows[0]!.length;
    const input = new Float32Array(windows.length * size);
    windows.forEach((w, k) => input.set(w, k * size));
    const out = await this.session.run({ input_features: { data: input, dims: [windows.length, fe.nMels, frontEndFrames(fe)] } });
    const e = out.audio_embeds?.data;
    const l = out.logits?.data;
    if (!(e instanceof Float32Array) || !(l instanceof Float32Array) || e.length !== windows.length * E || l.length !== windows.length * C) {
      throw new Error(`internal: world sound model gave no audio_embeds [${windows.length}, ${E}] / logits [${windows.length}, ${C}]`);
    }
    let k = 0;
    perClip.forEach((ws, i) => {
      for (let n = 0; n < ws.length; n++, k++) {
        for (let j = 0; j < E; j++) embeds[i * E + j]! += e[k * E + j]! / ws.length;
        for (let j = 0; j < C; j++) logits[i * C + j]! += l[k * C + j]! / ws.length;
      }
    });
    return { embeds, logits };
  }

  /** The most likely event class of each clip. */
  async classify(clips: WorldAudioInput[]): Promise<{ labels: number[]; names: string[] }> {
    const { logits } = await this.embed(clips);
    const C = this.config.classes.length;
    const labels = clips.map((_, i) => {
      let best = 0;
      for (let j = 1; j < C; j++) if (logits[i * C + j]! > logits[i * C + best]!) best = j;
      return best;
    });
    return { labels, names: labels.map((j) => this.config.classes[j]!) };
  }

  /** Checks a clip and returns it as mono audio at the front end's rate. */
  private toModelRate(clip: WorldAudioInput, i: number): Float32Array {
    const where = `world sound encoder: clip ${i}`;
    if (typeof clip !== 'object' || clip === null)
      throw new AudioError(`${where} is ${clip === null ? 'null' : typeof clip}; expected {samples, sampleRate} or {channels, sampleRate}`);
    const source = clip.source ?? `clip ${i}`;
    let mono: Float32Array;
    if ('channels' in clip && clip.channels !== undefined) {
      if (!Array.isArray(clip.channels) || clip.channels.some((c) => !(c instanceof Float32Array))) {
        throw new AudioError('channels must be an array of Float32Array', source);
      }
      mono = toMono(clip.channels);
    } else if ('samples' in clip && clip.samples instanceof Float32Array) {
      mono = clip.samples;
    } else {
      throw new AudioError('samples must be a Float32Array (or pass channels: Float32Array[])', source);
    }
    const rate = clip.sampleRate;
    if (!Number.isInteger(rate) || rate <= 0) throw new AudioError(`sample rate ${String(rate)} must be a positive integer (Hz)`, source);
    if (mono.length === 0) throw new AudioError('the clip is empty (0 samples); remove it from the input', source);
    const seconds = mono.length / rate;
    if (seconds > this.config.maxSeconds) {
      throw new AudioError(
        `the clip lasts ${seconds.toFixed(1)} s, longer than the ${this.config.maxSeconds} s this encoder accepts; cut it into shorter clips`,
        source,
      );
    }
    for (let k = 0; k < mono.length; k++) {
      if (!Number.isFinite(mono[k]!)) throw new AudioError(`sample ${k} is ${mono[k]}; audio must be finite (no NaN or Infinity)`, source);
    }
    return resample(mono, rate, this.config.frontEnd.sampleRate);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function checkConfig(config: WorldSoundConfig, where: string): void {
  const ok =
    config?._class_name === 'WorldSoundEncoder' &&
    typeof config.frontEnd === 'object' &&
    config.frontEnd !== null &&
    [config.embedDim, config.tokens, config.dim].every((v) => Number.isInteger(v) && v > 0) &&
    config.tokens * config.dim === config.embedDim &&
    Array.isArray(config.classes) &&
    config.maxSeconds > 0;
  if (!ok) {
    throw new Error(
      `world sound encoder: ${where} is not a sound-encoder config (expected _class_name "WorldSoundEncoder", frontEnd, embedDim = tokens x dim, classes, maxSeconds)`,
    );
  }
}
