import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resample, toMono } from '../../src/encoders/audio/index.js';

function sine(freq: number, rate: number, seconds: number, amp = 1, phase = 0): Float32Array {
  return Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => amp * Math.sin((2 * Math.PI * freq * i) / rate + phase));
}

/** Least-squares amplitude and the residual of fitting a sine of known frequency to x[from..to). */
function fitSine(x: Float32Array, freq: number, rate: number, from: number, to: number): { amp: number; residual: number } {
  let ss = 0;
  let sc = 0;
  let cc = 0;
  let xs = 0;
  let xc = 0;
  for (let i = from; i < to; i++) {
    const s = Math.sin((2 * Math.PI * freq * i) / rate);
    const c = Math.cos((2 * Math.PI * freq * i) / rate);
    ss += s * s;
    sc += s * c;
    cc += c * c;
    xs += x[i]! * s;
    xc += x[i]! * c;
  }
  const det = ss * cc - sc * sc;
  const a = (xs * cc - xc * sc) / det;
  const b = (xc * ss - xs * sc) / det;
  let res = 0;
  for (let i = from; i < to; i++) {
    const e = x[i]! - a * Math.sin((2 * Math.PI * freq * i) / rate) - b * Math.cos((2 * Math.PI * freq * i) / rate);
    res += e * e;
  }
  return { amp: Math.hypot(a, b), residual: Math.sqrt(res / (to - from)) };
}

function rms(x: Float32Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / (to - from));
}

test('a sine keeps its frequency and amplitude through common rate changes', () => {
  for (const [from, to, freq] of [
    [48000, 16000, 1000],
    [44100, 16000, 3000],
    [16000, 48000, 2500],
    [22050, 44100, 440],
    [8000, 11025, 1234],
    [44101, 16000, 1000], // coprime rates: interpolated phase table
  ] as const) {
    const y = resample(sine(freq, from, 0.5, 0.8), from, to);
    assert.equal(y.length, Math.ceil((Math.round(from * 0.5) * to) / from));
    const edge = Math.round(to * 0.02); // skip the filter's edge transients
    const fit = fitSine(y, freq, to, edge, y.length - edge);
    assert.ok(Math.abs(fit.amp - 0.8) < 2e-3, `${from}->${to}: amplitude ${fit.amp}`);
    assert.ok(fit.residual < 2e-3, `${from}->${to}: residual ${fit.residual} (wrong frequency or distortion)`);
  }
});

test('tones above the new Nyquist frequency are removed, not aliased', () => {
  for (const [from, to, freq] of [
    [48000, 16000, 10000],
    [48000, 16000, 9000],
    [44100, 16000, 12000],
  ] as const) {
    const y = resample(sine(freq, from, 0.5), from, to);
    const edge = Math.round(to * 0.02);
    const level = rms(y, edge, y.length - edge) / Math.SQRT1_2;
    assert.ok(level < 1e-3, `${from}->${to} at ${freq} Hz: level ${level} (expected < -60 dB)`);
  }
});

test('same rate copies; bad rates are rejected', () => {
  const x = Float32Array.from([1, 2, 3]);
  const y = resample(x, 16000, 16000);
  assert.deepEqual([...y], [1, 2, 3]);
  assert.notEqual(y, x);
  assert.throws(() => resample(x, 0, 16000), /fromRate 0 must be a positive integer/);
  assert.throws(() => resample(x, 16000, 44100.5), /toRate 44100.5/);
});

test('a minute of 48 kHz audio resamples to 16 kHz quickly', () => {
  const x = sine(440, 48000, 60);
  const t0 = performance.now();
  const y = resample(x, 48000, 16000);
  const ms = performance.now() - t0;
  assert.equal(y.length, 960000);
  console.log(`resample 60 s 48k -> 16k: ${ms.toFixed(0)} ms`);
  assert.ok(ms < 3000, `took ${ms} ms`);
});

test('toMono averages channels', () => {
  const m = toMono([Float32Array.from([1, 0, -1]), Float32Array.from([0, 0.5, 1])]);
  assert.deepEqual([...m], [0.5, 0.25, 0]);
  assert.throws(() => toMono([new Float32Array(2), new Float32Array(3)]), /channel 1 has 3 samples but channel 0 has 2/);
  assert.throws(() => toMono([]), /at least one channel/);
});

test('large rate ratios keep a bounded filter table and their accuracy; rates outside 1 kHz..768 kHz are refused', () => {
  // 767999 -> 16000 is coprime (16000 phases) and a 48x downsampling (about 2 x 1200 taps): the table
  // stays at most 2^20 coefficients, and the kernel's smoothness keeps interpolation exact enough.
  for (const [from, to, freq] of [
    [767_999, 16000, 1000],
    [768_000, 1000, 100],
    [1000, 768_000, 50],
  ] as const) {
    const before = process.memoryUsage().arrayBuffers;
    const y = resample(sine(freq, from, 0.25, 0.8), from, to);
    const edge = Math.round(to * 0.03);
    const fit = fitSine(y, freq, to, edge, y.length - edge);
    assert.ok(Math.abs(fit.amp - 0.8) < 3e-3, `${from}->${to}: amplitude ${fit.amp}`);
    assert.ok(fit.residual < 3e-3, `${from}->${to}: residual ${fit.residual}`);
    // Input + output + an 8 MiB table at most (the unbounded table was 100s of MB at these ratios).
    assert.ok(process.memoryUsage().arrayBuffers - before < 40 * 2 ** 20);
  }
  const x = new Float32Array(16);
  for (const rate of [15_344_001, 40_000_000, 999]) assert.throws(() => resample(x, rate, 16000), new RegExp(`fromRate ${rate} Hz is outside 1000..768000 Hz`));
});
