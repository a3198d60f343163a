/**
 * Mel scales and triangular mel filter banks, defined as transformers' `audio_utils.mel_filter_bank`
 * (after librosa / torchaudio): HTK mel = 2595 log10(1 + f/700); Slaney mel is linear below 1 kHz
 * (3 f / 200) and logarithmic above (15 + ln(f/1000) * 27 / ln 6.4).
 */
import { AudioError } from './errors.js';

export type MelScale = 'htk' | 'slaney';

export function hertzToMel(hz: number, scale: MelScale = 'htk'): number {
  if (scale === 'htk') return 2595 * Math.log10(1 + hz / 700);
  return hz < 1000 ? (3 * hz) / 200 : 15 + Math.log(hz / 1000) * (27 / Math.log(6.4));
}

export function melToHertz(mel: number, scale: MelScale = 'htk'): number {
  if (scale === 'htk') return 700 * (10 ** (mel / 2595) - 1);
  return mel < 15 ? (200 * mel) / 3 : 1000 * Math.exp((Math.log(6.4) / 27) * (mel - 15));
}

export interface MelFilterBankOptions {
  /** FFT bins, n_fft / 2 + 1. */
  numFrequencyBins: number;
  numMelFilters: number;
  minFrequency: number;
  maxFrequency: number;
  sampleRate: number;
  /** 'slaney': divide each triangle by its width in Hz / 2 so that every filter has unit area. */
  norm?: 'slaney' | null; // null
  melScale?: MelScale; // 'htk'
}

/** A filter bank: `weights[bin * numMelFilters + mel]`, i.e. shape [numFrequencyBins, numMelFilters]. */
export interface MelFilterBank {
  numFrequencyBins: number;
  numMelFilters: number;
  weights: Float64Array;
  /** The Hz of the numMelFilters + 2 triangle corners (filter m spans corners m .. m+2, peak at m+1). */
  cornerFrequencies: Float64Array;
  /** For each filter, the first and one-past-last bins with non-zero weight (for sparse products). */
  ranges: Array<[number, number]>;
}

export function melFilterBank(options: MelFilterBankOptions): MelFilterBank {
  const { numFrequencyBins: nBins, numMelFilters: nMels, minFrequency, maxFrequency, sampleRate } = options;
  const scale = options.melScale ?? 'htk';
  const norm = options.norm ?? null;
  if (!Number.isInteger(nBins) || nBins < 2) throw new AudioError(`mel filter bank: numFrequencyBins ${nBins} must be an integer >= 2`);
  if (!Number.isInteger(nMels) || nMels < 1) throw new AudioError(`mel filter bank: numMelFilters ${nMels} must be a positive integer`);
  if (!(minFrequency >= 0 && minFrequency <= maxFrequency)) {
    throw new AudioError(`mel filter bank: need 0 <= minFrequency (${minFrequency}) <= maxFrequency (${maxFrequency})`);
  }
  const melMin = hertzToMel(minFrequency, scale);
  const melMax = hertzToMel(maxFrequency, scale);
  // numMelFilters + 2 points equally spaced in mel (np.linspace), back in Hz.
  const corners = new Float64Array(nMels + 2);
  for (let i = 0; i < nMels + 2; i++) corners[i] = melToHertz(melMin + ((melMax - melMin) * i) / (nMels + 1), scale);
  // Bin frequencies: np.linspace(0, sampleRate // 2, nBins) — integer Nyquist, as transformers does.
  const nyquist = Math.floor(sampleRate / 2);
  const weights = new Float64Array(nBins * nMels);
  const ranges: Array<[number, number]> = [];
  for (let m = 0; m < nMels; m++) {
    const lo = corners[m]!;
    const mid = corners[m + 1]!;
    const hi = corners[m + 2]!;
    const enorm = norm === 'slaney' ? 2 / (hi - lo) : 1;
    let first = -1;
    let last = -1;
    for (let b = 0; b < nBins; b++) {
      const f = (nyquist * b) / (nBins - 1);
      // max(0, min(rising, falling)) with rising = (f - lo) / (mid - lo), falling = (hi - f) / (hi - mid).
      const w = Math.max(0, Math.min((f - lo) / (mid - lo), (hi - f) / (hi - mid)));
      if (w > 0) {
        weights[b * nMels + m] = w * enorm;
        if (first < 0) first = b;
        last = b;
      }
    }
    ranges.push(first < 0 ? [0, 0] : [first, last + 1]);
  }
  return { numFrequencyBins: nBins, numMelFilters: nMels, weights, cornerFrequencies: corners, ranges };
}
