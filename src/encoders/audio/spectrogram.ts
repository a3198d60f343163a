/**
 * Short-time Fourier power spectra as transformers' `audio_utils.spectrogram` computes them:
 * periodic Hann window, frames centred on t * hop (reflect padding by n_fft / 2), float64 maths.
 */
import { AudioError } from './errors.js';
import { RealFft } from './fft.js';

/** Periodic (DFT-even) Hann window: 0.5 - 0.5 cos(2 pi i / n), as torch.hann_window / np.hanning(n+1)[:-1]. */
export function hannWindow(n: number, periodic = true): Float64Array {
  const d = periodic ? n : n - 1;
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = d === 0 ? 1 : 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / d);
  return w;
}

export interface StftOptions {
  nFft: number;
  hop: number;
  /** Defaults to the periodic Hann window of length nFft. */
  window?: Float64Array;
  /** Pad by nFft/2 on both sides so frame t is centred on sample t * hop. */
  center?: boolean; // true
  padMode?: 'reflect' | 'constant'; // 'reflect'
}

/** Index into x for numpy's 'reflect' padding (mirror without repeating the edge), any distance. */
function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let k = i % period;
  if (k < 0) k += period;
  return k < n ? k : period - k;
}

/**
 * Power spectrogram |STFT|^2: calls `onFrame(frameIndex, power)` with the nFft/2+1 powers of each
 * frame (the buffer is reused; copy it to keep it). Returns the number of frames.
 */
export function forEachPowerFrame(x: Float32Array, options: StftOptions, onFrame: (frame: number, power: Float64Array) => void): number {
  const { nFft, hop } = options;
  if (!Number.isInteger(nFft) || nFft < 2) throw new AudioError(`STFT: nFft ${nFft} must be an integer >= 2`);
  if (!Number.isInteger(hop) || hop < 1) throw new AudioError(`STFT: hop ${hop} must be a positive integer`);
  if (x.length === 0) throw new AudioError('STFT: the audio is empty (0 samples)');
  const window = options.window ?? hannWindow(nFft);
  if (window.length !== nFft) throw new AudioError(`STFT: window has ${window.length} samples, expected nFft = ${nFft}`);
  const center = options.center ?? true;
  const reflect = (options.padMode ?? 'reflect') === 'reflect';
  const pad = center ? Math.floor(nFft / 2) : 0;
  const paddedLen = x.length + 2 * pad;
  if (paddedLen < nFft) throw new AudioError(`STFT: ${x.length} samples are fewer than one ${nFft}-sample frame`);
  const frames = 1 + Math.floor((paddedLen - nFft) / hop);
  const fft = new RealFft(nFft);
  const buf = new Float64Array(nFft);
  const re = new Float64Array(fft.bins);
  const im = new Float64Array(fft.bins);
  const power = new Float64Array(fft.bins);
  const n = x.length;
  for (let f = 0; f < frames; f++) {
    const start = f * hop - pad; // in unpadded sample coordinates
    for (let i = 0; i < nFft; i++) {
      const j = start + i;
      const v = j >= 0 && j < n ? x[j]! : reflect ? x[reflectIndex(j, n)]! : 0;
      buf[i] = v * window[i]!;
    }
    fft.forward(buf, re, im);
    for (let k = 0; k < fft.bins; k++) power[k] = re[k]! * re[k]! + im[k]! * im[k]!;
    onFrame(f, power);
  }
  return frames;
}
