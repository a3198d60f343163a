/**
 * Channel mixing and band-limited sample-rate conversion.
 *
 * resample() is a polyphase windowed-sinc filter (Kaiser window): for a rational ratio L/M (after
 * dividing both rates by their gcd) output n sits exactly at input position n*M/L, so common
 * conversions (48k -> 16k is 1/3, 44.1k -> 16k is 160/441) use L precomputed filter phases.
 */
import { AudioError } from './errors.js';

/** Average all channels into one. */
export function toMono(channels: Float32Array[]): Float32Array {
  if (channels.length === 0) throw new AudioError('toMono needs at least one channel, got 0');
  const n = channels[0]!.length;
  channels.forEach((ch, i) => {
    if (ch.length !== n) throw new AudioError(`toMono: channel ${i} has ${ch.length} samples but channel 0 has ${n}`);
  });
  if (channels.length === 1) return channels[0]!.slice();
  const out = new Float32Array(n);
  const w = 1 / channels.length;
  for (const ch of channels) for (let i = 0; i < n; i++) out[i] += ch[i]! * w;
  return out;
}

export interface ResampleOptions {
  /** Filter half-length in zero crossings of the sinc at the cutoff: longer = sharper, slower. */
  zeroCrossings?: number; // 24
  /** Passband edge as a fraction of the lower Nyquist frequency (the rest is transition band). */
  rolloff?: number; // 0.94
  /** Kaiser window shape (8 gives about 80 dB stopband). */
  kaiserBeta?: number; // 8
}

/**
 * Ratios with more phases than this (unusual rates such as 44101 -> 16000) use a table of this many
 * sub-phases and interpolate linearly between neighbouring rows (error about 1e-6 of the kernel).
 */
const MAX_TABLE_PHASES = 2048;
/**
 * The filter table holds at most this many coefficients (8 MiB), whatever the rates: a table is
 * phases x taps, and taps grow with the downsampling ratio. Large ratios get fewer sub-phases, which
 * costs no accuracy: the kernel's bandwidth shrinks by the same ratio, so it is as smooth per
 * sub-phase step as a 2048-phase table of an ordinary ratio.
 */
const MAX_TABLE_ENTRIES = 1 << 20;

/** Sample rates resample() and the WAV decoder accept, Hz: telephone-band to the highest studio rate. */
export const MIN_SAMPLE_RATE = 1000;
export const MAX_SAMPLE_RATE = 768_000;

export function resample(x: Float32Array, fromRate: number, toRate: number, options: ResampleOptions = {}): Float32Array {
  for (const [name, rate] of [
    ['fromRate', fromRate],
    ['toRate', toRate],
  ] as const) {
    if (!Number.isInteger(rate) || rate <= 0) throw new AudioError(`resample: ${name} ${rate} must be a positive integer (Hz)`);
    if (rate < MIN_SAMPLE_RATE || rate > MAX_SAMPLE_RATE)
      throw new AudioError(`resample: ${name} ${rate} Hz is outside ${MIN_SAMPLE_RATE}..${MAX_SAMPLE_RATE} Hz`);
  }
  if (fromRate === toRate) return x.slice();
  const g = gcd(fromRate, toRate);
  const up = toRate / g; // L
  const down = fromRate / g; // M
  const zeroCrossings = options.zeroCrossings ?? 24;
  const rolloff = options.rolloff ?? 0.94;
  const beta = options.kaiserBeta ?? 8;
  // Cutoff in cycles per input sample: half the lower of the two rates, times the rolloff.
  const cutoff = 0.5 * Math.min(1, up / down) * rolloff;
  const halfWidth = zeroCrossings / (2 * cutoff); // in input samples
  const taps = Math.ceil(halfWidth); // W: taps j in [-W, W-1] around the output position
  const i0Beta = besselI0(beta);
  // h(t) = 2 fc sinc(2 fc t) * kaiser(t / halfWidth), t in input samples. DC gain is 1.
  const kernel = (t: number): number => {
    const r = t / halfWidth;
    if (r <= -1 || r >= 1) return 0;
    const a = 2 * cutoff * t;
    const sinc = a === 0 ? 1 : Math.sin(Math.PI * a) / (Math.PI * a);
    return 2 * cutoff * sinc * (besselI0(beta * Math.sqrt(1 - r * r)) / i0Beta);
  };
  // Row p of the table holds the coefficients of inputs base-W+1 .. base+W for phase p, in
  // ascending input order: coefficient i multiplies x[base - W + 1 + i] and equals h(p/L + W - 1 - i).
  const width = 2 * taps;
  const fillRow = (row: Float64Array, off: number, phase: number): void => {
    for (let i = 0; i < width; i++) row[off + i] = kernel(phase / up + taps - 1 - i);
  };
  const exact = up <= MAX_TABLE_PHASES && up * width <= MAX_TABLE_ENTRIES;
  const subPhases = Math.max(2, Math.min(MAX_TABLE_PHASES, Math.floor(MAX_TABLE_ENTRIES / width) - 1));
  const rows = exact ? up : subPhases + 1;
  if (rows * width > 2 * MAX_TABLE_ENTRIES) throw new AudioError(`internal: resample table of ${rows} x ${width} for ${fromRate} -> ${toRate} Hz`);
  const table = new Float64Array(rows * width);
  for (let p = 0; p < rows; p++) fillRow(table, p * width, exact ? p : (p * up) / subPhases);
  const mixed = new Float64Array(exact ? 0 : width);
  const n = x.length;
  const outLen = Math.ceil((n * up) / down);
  const out = new Float32Array(outLen);
  for (let o = 0; o < outLen; o++) {
    // Output o is at input position o*M/L = base + phase/L (exact integer arithmetic).
    const pos = o * down;
    const base = Math.floor(pos / up);
    const phase = pos - base * up;
    let h = table;
    let off = phase * width;
    if (!exact) {
      const q = (phase / up) * subPhases;
      const r = Math.floor(q);
      const frac = q - r;
      for (let i = 0; i < width; i++) mixed[i] = (1 - frac) * table[r * width + i]! + frac * table[(r + 1) * width + i]!;
      h = mixed;
      off = 0;
    }
    const start = base - taps + 1;
    let acc = 0;
    if (start >= 0 && start + width <= n) {
      for (let i = 0; i < width; i++) acc += h[off + i]! * x[start + i]!;
    } else {
      // Near the ends: samples outside the signal are zero.
      const iLo = Math.max(0, -start);
      const iHi = Math.min(width, n - start);
      for (let i = iLo; i < iHi; i++) acc += h[off + i]! * x[start + i]!;
    }
    out[o] = acc;
  }
  return out;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for x < 50). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}
