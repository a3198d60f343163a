/**
 * Procedurally synthesised sound events, one class per world object, 16 kHz mono float32 in [-1, 1].
 *
 * Each clip: a random duration (0.5-2 s), onset, pitch factor, peak level and background noise
 * level; the event itself follows a class recipe chosen for a distinct spectral and temporal
 * signature:
 *   bell  - one or two strikes of decaying inharmonic partials (church-bell ratios), 300-800 Hz base
 *   bird  - trains of short frequency-modulated chirps, 1.5-4 kHz
 *   car   - continuous engine hum: harmonics of 35-60 Hz, firing-rate modulation, low rumble noise
 *   clock - regular tick-tock clicks (tiny resonant noise bursts), period 0.25-0.5 s
 *   drop  - one to four water plops: a sine gliding upward, 0.9-1.6 kHz, ringing ~40 ms
 *   star  - sparkling high chimes: many pure tones, 4-7.4 kHz, decaying ~0.1 s
 *   tree  - rustling leaves: band-passed (1-4 kHz) noise in overlapping soft bursts
 *   house - door knocks: groups of low damped thumps, 90-200 Hz
 *   fish  - bubbling: dense tiny upward-gliding blips, 300-800 Hz
 *   key   - jingling: clusters of metallic clinks (short high inharmonic partials plus clicks)
 */
import type { Rng } from '../../util/rng.js';
import { OBJECTS } from './attributes.js';

export const SAMPLE_RATE = 16000;
const TWO_PI = 2 * Math.PI;

export interface SoundOptions {
  /** Clip length in seconds (default uniform in [0.5, 2]). */
  durationS?: number;
  /** Peak amplitude of the event before noise is added (default uniform in [0.3, 0.9]). */
  peak?: number;
  /** RMS of the background noise (default log-uniform in [0.001, 0.03]). */
  noiseLevel?: number;
  /** Multiplies the class's characteristic frequencies (default uniform in [0.85, 1.18]). */
  pitch?: number;
}

/** Where the event may sound: samples [start, end) of the clip; `pitch` scales its frequencies. */
interface EventSpan {
  start: number;
  end: number;
  pitch: number;
}

type Recipe = (out: Float32Array, span: EventSpan, rng: Rng) => void;

// ---------------------------------------------------------------------------------------------
// Building blocks (all add into `out`)

/** Exponentially decaying sine from sample `at`, with a 2 ms attack ramp. */
function decayingSine(out: Float32Array, at: number, freq: number, amp: number, tauS: number, phase = 0): void {
  const attack = 0.002 * SAMPLE_RATE;
  const stop = Math.min(out.length, at + Math.ceil(tauS * 7 * SAMPLE_RATE));
  const w = (TWO_PI * freq) / SAMPLE_RATE;
  for (let i = Math.max(0, at); i < stop; i++) {
    const k = i - at;
    const ramp = k < attack ? k / attack : 1;
    out[i]! += amp * ramp * Math.exp(-k / (tauS * SAMPLE_RATE)) * Math.sin(w * k + phase);
  }
}

/** Sine whose frequency glides exponentially from f0 to f1 over `glideS`, decaying with tau. */
function glidingSine(out: Float32Array, at: number, f0: number, f1: number, glideS: number, amp: number, tauS: number): void {
  const stop = Math.min(out.length, at + Math.ceil(tauS * 7 * SAMPLE_RATE));
  let phase = 0;
  for (let i = Math.max(0, at); i < stop; i++) {
    const t = (i - at) / SAMPLE_RATE;
    const f = f0 * (f1 / f0) ** Math.min(1, t / glideS);
    phase += (TWO_PI * f) / SAMPLE_RATE;
    const ramp = Math.min(1, t / 0.001);
    out[i]! += amp * ramp * Math.exp(-t / tauS) * Math.sin(phase);
  }
}

/** Short burst of white noise with an exponential decay (a click). */
function noiseClick(out: Float32Array, at: number, amp: number, tauS: number, rng: Rng): void {
  const stop = Math.min(out.length, at + Math.ceil(tauS * 6 * SAMPLE_RATE));
  for (let i = Math.max(0, at); i < stop; i++) {
    out[i]! += amp * Math.exp(-(i - at) / (tauS * SAMPLE_RATE)) * (2 * rng.uniform() - 1);
  }
}

/** RBJ biquad band-pass (0 dB peak gain) applied in place. */
function bandPass(signal: Float32Array, centre: number, q: number): void {
  const w0 = (TWO_PI * centre) / SAMPLE_RATE;
  const alpha = Math.sin(w0) / (2 * q);
  const a0 = 1 + alpha;
  const b0 = alpha / a0;
  const b2 = -alpha / a0;
  const a1 = (-2 * Math.cos(w0)) / a0;
  const a2 = (1 - alpha) / a0;
  let x1 = 0;
  let x2 = 0;
  let y1 = 0;
  let y2 = 0;
  for (let i = 0; i < signal.length; i++) {
    const x = signal[i]!;
    const y = b0 * x + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1;
    x1 = x;
    y2 = y1;
    y1 = y;
    signal[i] = y;
  }
}

/** Random event times in [start, end) with at least `minGapS` between them. */
function eventTimes(count: number, span: EventSpan, minGapS: number, rng: Rng): number[] {
  const gap = minGapS * SAMPLE_RATE;
  const usable = span.end - span.start - gap * (count - 1);
  if (usable <= 0) return Array.from({ length: count }, (_, k) => span.start + Math.floor(k * gap)).filter((t) => t < span.end);
  const offsets = Array.from({ length: count }, () => rng.uniform() * usable).sort((a, b) => a - b);
  return offsets.map((o, k) => Math.floor(span.start + o + k * gap));
}

function seconds(span: EventSpan): number {
  return (span.end - span.start) / SAMPLE_RATE;
}

// ---------------------------------------------------------------------------------------------
// Class recipes, in OBJECTS order

// Church-bell partial ratios (hum, prime, tierce, quint, nominal and upper partials) and weights.
const BELL_RATIOS = [0.5, 1, 1.19, 1.5, 2, 2.51, 2.66, 3.01, 4.16];
const BELL_WEIGHTS = [0.45, 1, 0.6, 0.35, 0.7, 0.3, 0.25, 0.2, 0.1];

const bell: Recipe = (out, span, rng) => {
  const base = rng.range(300, 560) * span.pitch;
  const tau = rng.range(0.5, 1.2);
  const strikes = rng.uniform() < 0.35 && seconds(span) > 1 ? 2 : 1;
  for (const at of eventTimes(strikes, { ...span, end: span.start + (span.end - span.start) / 2 + 1 }, 0.4, rng)) {
    BELL_RATIOS.forEach((ratio, k) => {
      const f = base * ratio * rng.range(0.995, 1.005);
      if (f < SAMPLE_RATE / 2 - 500) decayingSine(out, at, f, BELL_WEIGHTS[k]!, tau / (1 + 0.5 * k), rng.range(0, TWO_PI));
    });
  }
};

const bird: Recipe = (out, span, rng) => {
  const count = Math.max(2, Math.round(seconds(span) * rng.range(3, 7)));
  const centre = rng.range(2000, 3200) * span.pitch;
  for (const at of eventTimes(count, span, 0.09, rng)) {
    const length = rng.range(0.04, 0.09) * SAMPLE_RATE;
    const sweep = rng.range(-1500, 1500);
    const vibratoHz = rng.range(30, 70);
    const vibratoDepth = rng.range(100, 400);
    let phase = 0;
    for (let k = 0; k < length && at + k < out.length; k++) {
      const u = k / length;
      const f = centre + sweep * (u - 0.5) + vibratoDepth * Math.sin((TWO_PI * vibratoHz * k) / SAMPLE_RATE);
      phase += (TWO_PI * f) / SAMPLE_RATE;
      out[at + k]! += Math.sin(Math.PI * u) ** 2 * Math.sin(phase);
    }
  }
};

const car: Recipe = (out, span, rng) => {
  const f0 = rng.range(35, 60) * span.pitch;
  const driftHz = rng.range(0.2, 0.6);
  const harmonics = Array.from({ length: 24 }, (_, k) => (k + 1) ** -0.7 * rng.range(0.6, 1.2));
  const phases = harmonics.map(() => rng.range(0, TWO_PI));
  const fade = 0.08 * SAMPLE_RATE;
  let phase = 0;
  let rumble = 0;
  for (let i = span.start; i < span.end; i++) {
    const k = i - span.start;
    const f = f0 * (1 + 0.06 * Math.sin((TWO_PI * driftHz * k) / SAMPLE_RATE));
    phase += (TWO_PI * f) / SAMPLE_RATE;
    let v = 0;
    for (let h = 0; h < harmonics.length; h++) v += harmonics[h]! * Math.sin((h + 1) * phase + phases[h]!);
    rumble += 0.05 * (2 * rng.uniform() - 1 - rumble); // one-pole low-passed noise
    const firing = 1 + 0.35 * Math.sin(phase / 2);
    const envelope = Math.min(1, k / fade, (span.end - i) / fade);
    out[i]! += envelope * (firing * v + 6 * rumble);
  }
};

const clock: Recipe = (out, span, rng) => {
  const period = rng.range(0.25, 0.5) * SAMPLE_RATE;
  const tick = rng.range(2200, 3200) * span.pitch;
  const tock = tick * rng.range(0.6, 0.75);
  for (let n = 0, at = span.start; at < span.end; n++, at = Math.floor(span.start + n * period)) {
    const f = n % 2 === 0 ? tick : tock;
    decayingSine(out, at, f, 1, 0.004);
    decayingSine(out, at, f * 2.7, 0.5, 0.002);
    noiseClick(out, at, 0.6, 0.0015, rng);
  }
};

const drop: Recipe = (out, span, rng) => {
  const count = 1 + rng.int(Math.min(4, Math.max(1, Math.floor(seconds(span) / 0.3))));
  for (const at of eventTimes(count, span, 0.2, rng)) {
    const f0 = rng.range(900, 1600) * span.pitch;
    glidingSine(out, at, f0, f0 * rng.range(1.6, 2.2), rng.range(0.03, 0.06), 1, rng.range(0.03, 0.05));
    noiseClick(out, at, 0.15, 0.001, rng);
  }
};

const star: Recipe = (out, span, rng) => {
  const count = Math.max(4, Math.round(seconds(span) * rng.range(10, 20)));
  for (const at of eventTimes(count, span, 0.02, rng)) {
    const f = Math.min(7400, rng.range(4000, 7000) * span.pitch);
    decayingSine(out, at, f, rng.range(0.4, 1), rng.range(0.07, 0.15), rng.range(0, TWO_PI));
  }
};

const tree: Recipe = (out, span, rng) => {
  const noise = new Float32Array(span.end - span.start);
  for (let i = 0; i < noise.length; i++) noise[i] = 2 * rng.uniform() - 1;
  bandPass(noise, rng.range(1500, 3000) * span.pitch, 0.9);
  // Slowly varying loudness: overlapping raised-cosine bursts, 4-8 per second.
  const envelope = new Float32Array(noise.length);
  const bursts = Math.max(2, Math.round(seconds(span) * rng.range(4, 8)));
  for (let b = 0; b < bursts; b++) {
    const length = rng.range(0.08, 0.25) * SAMPLE_RATE;
    const at = rng.uniform() * (noise.length - length);
    const amp = rng.range(0.3, 1);
    for (let k = 0; k < length; k++) envelope[Math.floor(at + k)]! += amp * Math.sin((Math.PI * k) / length) ** 2;
  }
  for (let i = 0; i < noise.length; i++) out[span.start + i]! += (0.15 + envelope[i]!) * noise[i]!;
};

const house: Recipe = (out, span, rng) => {
  const groups = seconds(span) > 1.2 && rng.uniform() < 0.5 ? 2 : 1;
  const f = rng.range(90, 200) * span.pitch;
  let at = span.start;
  for (let g = 0; g < groups && at < span.end; g++) {
    const knocks = 2 + rng.int(3);
    for (let k = 0; k < knocks && at < span.end; k++) {
      decayingSine(out, at, f, 1, 0.03);
      decayingSine(out, at, f * 2.3, 0.5, 0.015);
      noiseClick(out, at, 0.3, 0.002, rng);
      at += Math.floor(rng.range(0.12, 0.22) * SAMPLE_RATE);
    }
    at += Math.floor(rng.range(0.25, 0.4) * SAMPLE_RATE);
  }
};

const fish: Recipe = (out, span, rng) => {
  const count = Math.max(6, Math.round(seconds(span) * rng.range(15, 30)));
  for (let n = 0; n < count; n++) {
    const at = span.start + Math.floor(rng.uniform() * (span.end - span.start));
    const f0 = rng.range(300, 800) * span.pitch;
    glidingSine(out, at, f0, f0 * rng.range(1.3, 1.8), 0.015, rng.range(0.3, 1), rng.range(0.008, 0.02));
  }
};

const key: Recipe = (out, span, rng) => {
  const shakes = Math.max(1, Math.round(seconds(span) * rng.range(1.5, 3)));
  const shakeLength = 0.15 * SAMPLE_RATE; // impacts of one shake fall within this window
  const shakeStarts = { ...span, end: Math.max(span.start + 1, span.end - shakeLength) };
  for (const shake of eventTimes(shakes, shakeStarts, 0.2, rng)) {
    const impacts = 5 + rng.int(8);
    for (let n = 0; n < impacts; n++) {
      const at = shake + Math.floor(rng.uniform() * shakeLength);
      for (let p = 0; p < 4; p++) {
        decayingSine(out, at, Math.min(7500, rng.range(2500, 7000) * span.pitch), rng.range(0.2, 0.6), rng.range(0.01, 0.04));
      }
      noiseClick(out, at, rng.range(0.3, 0.8), 0.002, rng);
    }
  }
};

const RECIPES: readonly Recipe[] = [bell, bird, car, clock, drop, star, tree, house, fish, key];
if (RECIPES.length !== OBJECTS.length) throw new Error(`internal: ${RECIPES.length} sound recipes for ${OBJECTS.length} objects`);

// ---------------------------------------------------------------------------------------------

/**
 * A sound event of class `object` (an OBJECTS index), `durationS` seconds of 16 kHz mono audio with
 * |sample| <= 1. Deterministic given the Rng state.
 */
export function synthSound(object: number, rng: Rng, opts: SoundOptions = {}): Float32Array {
  if (!Number.isInteger(object) || object < 0 || object >= OBJECTS.length) {
    throw new Error(`synthSound: object is ${String(object)}; expected an integer in [0, ${OBJECTS.length - 1}] (see OBJECTS)`);
  }
  const durationS = opts.durationS ?? rng.range(0.5, 2);
  if (!(durationS >= 0.1 && durationS <= 30)) {
    throw new Error(`synthSound: durationS is ${String(durationS)}; expected seconds in [0.1, 30]`);
  }
  const peak = opts.peak ?? rng.range(0.3, 0.9);
  if (!(peak > 0 && peak <= 1)) throw new Error(`synthSound: peak is ${String(peak)}; expected a value in (0, 1]`);
  const noiseLevel = opts.noiseLevel ?? Math.exp(rng.range(Math.log(0.001), Math.log(0.03)));
  if (!(noiseLevel >= 0 && noiseLevel <= 0.2)) {
    throw new Error(`synthSound: noiseLevel is ${String(noiseLevel)}; expected an RMS level in [0, 0.2]`);
  }
  const pitch = opts.pitch ?? rng.range(0.85, 1.18);
  if (!(pitch >= 0.5 && pitch <= 2)) throw new Error(`synthSound: pitch is ${String(pitch)}; expected a factor in [0.5, 2]`);

  const length = Math.round(durationS * SAMPLE_RATE);
  // The event starts in the first fifth of the clip and may run to its end.
  const start = Math.floor(rng.range(0, 0.2) * length);
  const event = new Float32Array(length);
  RECIPES[object]!(event, { start, end: length, pitch }, rng);

  let maxAbs = 0;
  for (let i = 0; i < length; i++) maxAbs = Math.max(maxAbs, Math.abs(event[i]!));
  if (!(maxAbs > 0) || !Number.isFinite(maxAbs)) throw new Error(`internal: sound recipe ${OBJECTS[object]} produced peak ${maxAbs}`);
  const out = new Float32Array(length);
  const scale = peak / maxAbs;
  for (let i = 0; i < length; i++) out[i] = event[i]! * scale + noiseLevel * rng.normal();
  // Noise can push a sample past the event peak; rescale so that |sample| <= 1 always holds.
  let finalPeak = 0;
  for (let i = 0; i < length; i++) finalPeak = Math.max(finalPeak, Math.abs(out[i]!));
  if (finalPeak > 1) for (let i = 0; i < length; i++) out[i] = out[i]! / finalPeak;
  return out;
}
