/**
 * Log-mel features: a generic `logMel`, and the exact input features of Whisper's and CLAP's audio
 * encoders as transformers' WhisperFeatureExtractor and ClapFeatureExtractor (numpy path) define them.
 */
import type { Rng } from '../../util/rng.js';
import { AudioError } from './errors.js';
import { type MelFilterBank, type MelScale, melFilterBank } from './mel.js';
import { forEachPowerFrame, hannWindow } from './spectrogram.js';

export interface LogMelOptions {
  sampleRate: number;
  nFft: number;
  hop: number;
  nMels: number;
  fMin?: number; // 0
  fMax?: number; // sampleRate / 2
  melScale?: MelScale; // 'slaney'
  /** Slaney area normalisation of each filter. */
  norm?: 'slaney' | null; // 'slaney'
  /** log10(x), natural log, or decibels 10 log10(x). */
  log?: 'log10' | 'ln' | 'dB'; // 'log10'
  /** Mel energies are floored here before the log. */
  floor?: number; // 1e-10
  center?: boolean; // true
}

export interface LogMel {
  /** Mel-major: data[mel * frames + frame]. */
  data: Float32Array;
  nMels: number;
  frames: number;
}

/** Mel energies of the power spectrogram, [nMels, frames] in float64. */
function melEnergies(audio: Float32Array, bank: MelFilterBank, nFft: number, hop: number, center: boolean): { mel: Float64Array; frames: number } {
  const nMels = bank.numMelFilters;
  const columns: Float64Array[] = [];
  const frames = forEachPowerFrame(audio, { nFft, hop, window: hannWindow(nFft), center }, (_f, power) => {
    const col = new Float64Array(nMels);
    for (let m = 0; m < nMels; m++) {
      const [lo, hi] = bank.ranges[m]!;
      let s = 0;
      for (let b = lo; b < hi; b++) s += bank.weights[b * nMels + m]! * power[b]!;
      col[m] = s;
    }
    columns.push(col);
  });
  const mel = new Float64Array(nMels * frames);
  for (let f = 0; f < frames; f++) for (let m = 0; m < nMels; m++) mel[m * frames + f] = columns[f]![m]!;
  return { mel, frames };
}

function applyLog(mel: Float64Array, floor: number, log: 'log10' | 'ln' | 'dB'): Float32Array {
  const out = new Float32Array(mel.length);
  for (let i = 0; i < mel.length; i++) {
    const v = Math.max(floor, mel[i]!);
    out[i] = log === 'ln' ? Math.log(v) : log === 'dB' ? 10 * Math.log10(v) : Math.log10(v);
  }
  return out;
}

export function logMel(audio: Float32Array, options: LogMelOptions): LogMel {
  const { sampleRate, nFft, hop, nMels } = options;
  if (!(sampleRate > 0)) throw new AudioError(`logMel: sampleRate ${sampleRate} must be positive (Hz)`);
  const bank = melFilterBank({
    numFrequencyBins: Math.floor(nFft / 2) + 1,
    numMelFilters: nMels,
    minFrequency: options.fMin ?? 0,
    maxFrequency: options.fMax ?? sampleRate / 2,
    sampleRate,
    norm: options.norm === undefined ? 'slaney' : options.norm,
    melScale: options.melScale ?? 'slaney',
  });
  const { mel, frames } = melEnergies(audio, bank, nFft, hop, options.center ?? true);
  return { data: applyLog(mel, options.floor ?? 1e-10, options.log ?? 'log10'), nMels, frames };
}

// ---- Whisper ----------------------------------------------------------------------------------

export const WHISPER_SAMPLE_RATE = 16000;
const WHISPER_SAMPLES = 30 * WHISPER_SAMPLE_RATE;
const WHISPER_FRAMES = 3000;
let whisperBank: MelFilterBank | null = null;

/**
 * Whisper's log-mel input [80, 3000] (mel-major) for 16 kHz mono audio: pad/trim to 30 s, periodic
 * Hann, n_fft 400, hop 160, 80 Slaney mels over 0-8 kHz with Slaney norm, drop the last frame,
 * log10(max(x, 1e-10)), clamp to (max - 8), then (x + 4) / 4.
 */
export function whisperLogMel(audio16k: Float32Array): Float32Array {
  if (audio16k.length === 0) throw new AudioError('whisperLogMel: the audio is empty (0 samples)');
  const padded = new Float32Array(WHISPER_SAMPLES);
  padded.set(audio16k.length > WHISPER_SAMPLES ? audio16k.subarray(0, WHISPER_SAMPLES) : audio16k);
  whisperBank ??= melFilterBank({
    numFrequencyBins: 201,
    numMelFilters: 80,
    minFrequency: 0,
    maxFrequency: 8000,
    sampleRate: WHISPER_SAMPLE_RATE,
    norm: 'slaney',
    melScale: 'slaney',
  });
  const { mel, frames } = melEnergies(padded, whisperBank, 400, 160, true);
  if (frames !== WHISPER_FRAMES + 1) throw new Error(`internal: Whisper STFT gave ${frames} frames, expected 3001`);
  const out = new Float32Array(80 * WHISPER_FRAMES);
  let max = -Infinity;
  for (let m = 0; m < 80; m++) {
    for (let f = 0; f < WHISPER_FRAMES; f++) {
      const v = Math.fround(Math.log10(Math.max(1e-10, mel[m * frames + f]!)));
      out[m * WHISPER_FRAMES + f] = v;
      if (v > max) max = v;
    }
  }
  const lo = max - 8;
  for (let i = 0; i < out.length; i++) out[i] = (Math.max(out[i]!, lo) + 4) / 4;
  return out;
}

// ---- CLAP -------------------------------------------------------------------------------------

export const CLAP_SAMPLE_RATE = 48000;

export interface ClapOptions {
  /** Defaults are the released LAION CLAP preprocessor_config.json values (the class defaults fMin to 0). */
  fMin?: number; // 50
  fMax?: number; // 14000
  maxSeconds?: number; // 10
  /** How audio shorter than maxSeconds is filled: repeat whole copies then zero-pad, repeat and cut, or zero-pad. */
  padding?: 'repeatpad' | 'repeat' | 'pad'; // 'repeatpad'
  /**
   * Mel filters: 'slaney' (librosa-style, the rand_trunc path this function follows) or 'htk'
   * without norm (what the fusion path uses; pick it to feed a fusion model one copy of the mel).
   */
  filters?: 'slaney' | 'htk'; // 'slaney'
  /** Audio longer than maxSeconds is cropped at cropStart (samples), or at a random start drawn from rng. */
  cropStart?: number; // 0
  rng?: Rng;
}

export interface ClapFeatures {
  /** [1, frames, 64] row-major: data[frame * 64 + mel], in dB. */
  data: Float32Array;
  dims: [1, number, 64];
  /** The model's `is_longer` input: the audio was cropped. */
  isLonger: boolean;
}

/**
 * CLAP's (laion/clap-htsat-unfused) non-fusion input features for 48 kHz mono audio: crop or fill to
 * 10 s, |STFT|^2 with n_fft 1024, hop 480, periodic Hann, centre reflect padding; 64 mel filters over
 * fMin..fMax; 10 log10(max(x, 1e-10)) dB (reference 1, no top_db). 10 s gives 1001 frames.
 */
export function clapLogMel(audio48k: Float32Array, options: ClapOptions = {}): ClapFeatures {
  const maxLen = Math.round((options.maxSeconds ?? 10) * CLAP_SAMPLE_RATE);
  if (audio48k.length === 0) throw new AudioError('clapLogMel: the audio is empty (0 samples)');
  const padding = options.padding ?? 'repeatpad';
  let wave: Float32Array;
  const isLonger = audio48k.length > maxLen;
  if (isLonger) {
    const overflow = audio48k.length - maxLen;
    const start = options.rng ? options.rng.int(overflow + 1) : (options.cropStart ?? 0);
    if (!Number.isInteger(start) || start < 0 || start > overflow) {
      throw new AudioError(`clapLogMel: cropStart ${start} must be an integer in [0, ${overflow}] for ${audio48k.length} samples`);
    }
    wave = audio48k.slice(start, start + maxLen);
  } else {
    wave = new Float32Array(maxLen);
    const n = audio48k.length;
    const repeats = Math.floor(maxLen / n);
    if (padding === 'repeatpad') for (let r = 0; r < repeats; r++) wave.set(audio48k, r * n);
    else if (padding === 'repeat') for (let p = 0; p < maxLen; p += n) wave.set(audio48k.subarray(0, Math.min(n, maxLen - p)), p);
    else if (padding === 'pad') wave.set(audio48k);
    else throw new AudioError(`clapLogMel: padding '${String(padding)}' must be 'repeatpad', 'repeat' or 'pad'`);
  }
  const slaney = (options.filters ?? 'slaney') === 'slaney';
  const bank = melFilterBank({
    numFrequencyBins: 513,
    numMelFilters: 64,
    minFrequency: options.fMin ?? 50,
    maxFrequency: options.fMax ?? 14000,
    sampleRate: CLAP_SAMPLE_RATE,
    norm: slaney ? 'slaney' : null,
    melScale: slaney ? 'slaney' : 'htk',
  });
  const { mel, frames } = melEnergies(wave, bank, 1024, 480, true);
  const data = new Float32Array(frames * 64);
  for (let f = 0; f < frames; f++) {
    for (let m = 0; m < 64; m++) data[f * 64 + m] = 10 * Math.log10(Math.max(1e-10, mel[m * frames + f]!));
  }
  return { data, dims: [1, frames, 64], isLonger };
}
