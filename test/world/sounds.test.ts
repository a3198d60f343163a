import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/util/rng.js';
import { OBJECTS } from '../../src/world/data/attributes.js';
import { SAMPLE_RATE, synthSound } from '../../src/world/data/sounds.js';

// ---------------------------------------------------------------------------------------------
// Independent audio features: a plain radix-2 FFT, per-frame band energies and envelope statistics.

const FRAME = 512;
const HOP = 256;

function fftMagnitudes(frame: Float64Array): Float64Array {
  const n = frame.length;
  const re = Float64Array.from(frame);
  const im = new Float64Array(n);
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(ang * k);
        const wi = Math.sin(ang * k);
        const ar = re[i + k + len / 2]!;
        const ai = im[i + k + len / 2]!;
        const xr = ar * wr - ai * wi;
        const xi = ar * wi + ai * wr;
        re[i + k + len / 2] = re[i + k]! - xr;
        im[i + k + len / 2] = im[i + k]! - xi;
        re[i + k] = re[i + k]! + xr;
        im[i + k] = im[i + k]! + xi;
      }
    }
  }
  const mags = new Float64Array(n / 2 + 1);
  for (let k = 0; k <= n / 2; k++) mags[k] = Math.hypot(re[k]!, im[k]!);
  return mags;
}

// Band edges in Hz (roughly octave bands up to Nyquist).
const BANDS = [0, 150, 300, 600, 1200, 2400, 4000, 6000, 8000];

/**
 * Features: log band-energy shares, spectral centroid, flatness and peakiness (share of the 4
 * strongest bins) over the loud frames (within 10 dB of the loudest); duty cycle, envelope variation
 * and onset rate over all frames.
 */
function features(signal: Float32Array): number[] {
  const hann = Float64Array.from({ length: FRAME }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / FRAME));
  const frames: { energy: number; bands: number[]; centroid: number; flatness: number; peakiness: number }[] = [];
  for (let start = 0; start + FRAME <= signal.length; start += HOP) {
    const frame = new Float64Array(FRAME);
    for (let i = 0; i < FRAME; i++) frame[i] = signal[start + i]! * hann[i]!;
    const mags = fftMagnitudes(frame);
    const power = Array.from(mags, (m) => m * m);
    const bands = new Array<number>(BANDS.length - 1).fill(0);
    let total = 0;
    let weighted = 0;
    let logSum = 0;
    for (let k = 1; k < power.length; k++) {
      const hz = (k * SAMPLE_RATE) / FRAME;
      const b = BANDS.findIndex((edge, idx) => idx > 0 && hz <= edge) - 1;
      bands[Math.max(0, b)]! += power[k]!;
      total += power[k]!;
      weighted += hz * power[k]!;
      logSum += Math.log(power[k]! + 1e-12);
    }
    const flatness = Math.exp(logSum / (power.length - 1)) / (total / (power.length - 1) + 1e-12);
    const strongest = power
      .slice(1)
      .sort((a, b) => b - a)
      .slice(0, 4)
      .reduce((a, b) => a + b, 0);
    frames.push({ energy: total, bands, centroid: weighted / (total + 1e-12), flatness, peakiness: strongest / (total + 1e-12) });
  }
  const maxEnergy = Math.max(...frames.map((f) => f.energy));
  const loud = frames.filter((f) => f.energy > maxEnergy * 0.1);
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const bandTotals = BANDS.slice(1).map((_, b) => mean(loud.map((f) => f.bands[b]!)));
  const bandSum = bandTotals.reduce((a, b) => a + b, 0);
  const envelope = frames.map((f) => Math.sqrt(f.energy));
  const envMean = mean(envelope);
  const envStd = Math.sqrt(mean(envelope.map((e) => (e - envMean) ** 2)));
  // Onset rate: frames whose energy jumps by > 6 dB over the previous frame, per second.
  let onsets = 0;
  for (let i = 1; i < frames.length; i++) {
    const energy = frames[i]!.energy;
    if (energy > 4 * frames[i - 1]!.energy && energy > maxEnergy * 0.01) onsets++;
  }
  const seconds = signal.length / SAMPLE_RATE;
  return [
    ...bandTotals.map((e) => Math.log10(e / bandSum + 1e-6)),
    mean(loud.map((f) => f.centroid)) / 1000,
    Math.log10(mean(loud.map((f) => f.flatness)) + 1e-9),
    mean(loud.map((f) => f.peakiness)),
    frames.filter((f) => f.energy > maxEnergy * 0.01).length / frames.length,
    envStd / (envMean + 1e-12),
    onsets / seconds / 10,
  ];
}

/**
 * Gaussian naive Bayes (per-class mean and variance of each feature): classes differ in spread as
 * much as in mean (continuous hum vs sparse clicks), which a shared-variance classifier ignores.
 */
function gaussianClassifierAccuracy(train: number[][][], testSet: number[][][]): { accuracy: number; confusions: string[] } {
  const dims = train[0]![0]!.length;
  const stats = train.map((cls) => {
    const mean = Array.from({ length: dims }, (_, d) => cls.reduce((a, x) => a + x[d]!, 0) / cls.length);
    const variance = mean.map((m, d) => cls.reduce((a, x) => a + (x[d]! - m) ** 2, 0) / cls.length + 1e-3);
    return { mean, variance };
  });
  let correct = 0;
  let total = 0;
  const confusions: string[] = [];
  testSet.forEach((cls, label) => {
    for (const x of cls) {
      let best = -1;
      let bestLogLik = -Infinity;
      stats.forEach(({ mean, variance }, k) => {
        let logLik = 0;
        for (let d = 0; d < dims; d++) logLik -= 0.5 * Math.log(variance[d]!) + (0.5 * (x[d]! - mean[d]!) ** 2) / variance[d]!;
        if (logLik > bestLogLik) {
          bestLogLik = logLik;
          best = k;
        }
      });
      total++;
      if (best === label) correct++;
      else confusions.push(`${OBJECTS[label]} -> ${OBJECTS[best]}`);
    }
  });
  return { accuracy: correct / total, confusions };
}

// ---------------------------------------------------------------------------------------------

test('synthSound: length, finite samples, |sample| <= 1, and determinism per seed', () => {
  for (let object = 0; object < OBJECTS.length; object++) {
    for (const seed of [1, 2]) {
      const a = synthSound(object, new Rng(seed * 100 + object));
      const b = synthSound(object, new Rng(seed * 100 + object));
      assert.deepEqual(a, b, `${OBJECTS[object]} seed ${seed} not deterministic`);
      assert.ok(a.length >= 0.5 * SAMPLE_RATE && a.length <= 2 * SAMPLE_RATE, `${OBJECTS[object]} length ${a.length}`);
      let peak = 0;
      for (const v of a) {
        assert.ok(Number.isFinite(v), `${OBJECTS[object]} has a non-finite sample`);
        peak = Math.max(peak, Math.abs(v));
      }
      assert.ok(peak <= 1 && peak > 0.1, `${OBJECTS[object]} peak ${peak}`);
    }
  }
  const fixed = synthSound(3, new Rng(9), { durationS: 1.25 });
  assert.equal(fixed.length, 20000);
});

test('synthSound: options are honoured and bad options are rejected', () => {
  // With no background noise the event peak is exactly the requested peak.
  const clip = synthSound(0, new Rng(4), { peak: 0.5, noiseLevel: 0, durationS: 1 });
  const peak = clip.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.ok(Math.abs(peak - 0.5) < 1e-6, `peak ${peak}`);
  assert.throws(() => synthSound(10, new Rng(1)), /object is 10; expected an integer in \[0, 9\]/);
  assert.throws(() => synthSound(0, new Rng(1), { durationS: 0 }), /durationS is 0/);
  assert.throws(() => synthSound(0, new Rng(1), { peak: 2 }), /peak is 2/);
});

test('synthSound: classes are separable by simple spectral/envelope features (Gaussian classifier)', () => {
  const perClass = 12;
  const train: number[][][] = [];
  const held: number[][][] = [];
  for (let object = 0; object < OBJECTS.length; object++) {
    const feats = Array.from({ length: 2 * perClass }, (_, i) => features(synthSound(object, new Rng(10_000 + object * 100 + i))));
    train.push(feats.slice(0, perClass));
    held.push(feats.slice(perClass));
  }
  const { accuracy, confusions } = gaussianClassifierAccuracy(train, held);
  assert.ok(accuracy >= 0.95, `held-out accuracy ${accuracy.toFixed(3)}; confusions: ${confusions.join(', ')}`);
});

test('synthSound: class signatures match their recipes (centroid order, rhythm)', () => {
  const centroid = (object: number): number => {
    let sum = 0;
    for (let i = 0; i < 6; i++) sum += features(synthSound(object, new Rng(500 + i), { noiseLevel: 0 }))[BANDS.length - 1]!;
    return sum / 6; // kHz
  };
  const [car, house, fish, star] = [2, 7, 8, 5].map(centroid) as [number, number, number, number];
  assert.ok(car < 1 && house < 1, `low classes: car ${car.toFixed(2)} kHz, house ${house.toFixed(2)} kHz`);
  assert.ok(fish < 1.5, `fish bubbles ${fish.toFixed(2)} kHz`);
  assert.ok(star > 3, `star chimes ${star.toFixed(2)} kHz`);
  // Clock ticks are periodic: the gaps between frame-energy peaks are nearly equal.
  const tick = synthSound(3, new Rng(77), { noiseLevel: 0, durationS: 2, peak: 0.8 });
  const times: number[] = [];
  for (let i = 1; i < tick.length; i++) {
    const newTick = times.length === 0 || i - times.at(-1)! > 0.1 * SAMPLE_RATE;
    if (Math.abs(tick[i]!) > 0.3 && newTick) times.push(i);
  }
  assert.ok(times.length >= 3, `clock produced ${times.length} ticks`);
  const gaps = times.slice(1).map((t, k) => t - times[k]!);
  const spread = Math.max(...gaps) - Math.min(...gaps);
  assert.ok(spread < 0.01 * SAMPLE_RATE, `clock tick gaps vary by ${spread} samples`);
});
