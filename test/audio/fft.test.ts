import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ComplexFft, RealFft } from '../../src/encoders/audio/index.js';
import { Rng } from '../../src/util/rng.js';

/** The DFT by its definition, O(n^2), in float64. */
function naiveDft(re: ArrayLike<number>, im: ArrayLike<number>): { re: Float64Array; im: Float64Array } {
  const n = re.length;
  const outRe = new Float64Array(n);
  const outIm = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let sr = 0;
    let si = 0;
    for (let j = 0; j < n; j++) {
      const a = (-2 * Math.PI * ((j * k) % n)) / n;
      sr += re[j]! * Math.cos(a) - im[j]! * Math.sin(a);
      si += re[j]! * Math.sin(a) + im[j]! * Math.cos(a);
    }
    outRe[k] = sr;
    outIm[k] = si;
  }
  return { re: outRe, im: outIm };
}

const SIZES = [1, 2, 3, 5, 8, 12, 16, 97, 400, 401, 997, 1024];

test('complex FFT matches the naive DFT (powers of two, composites, primes) and inverts', () => {
  const rng = new Rng(1);
  for (const n of SIZES) {
    const re = Float64Array.from({ length: n }, () => rng.normal());
    const im = Float64Array.from({ length: n }, () => rng.normal());
    const want = naiveDft(re, im);
    const gotRe = re.slice();
    const gotIm = im.slice();
    const fft = new ComplexFft(n);
    fft.forward(gotRe, gotIm);
    const tol = 1e-9 * Math.sqrt(n) * n;
    for (let k = 0; k < n; k++) {
      assert.ok(Math.abs(gotRe[k]! - want.re[k]!) < tol && Math.abs(gotIm[k]! - want.im[k]!) < tol, `n=${n} bin ${k}`);
    }
    fft.inverse(gotRe, gotIm);
    for (let j = 0; j < n; j++) assert.ok(Math.abs(gotRe[j]! - re[j]!) < 1e-9 && Math.abs(gotIm[j]! - im[j]!) < 1e-9, `n=${n} inverse ${j}`);
  }
});

test('real FFT gives the n/2+1 non-negative-frequency bins of the DFT (even and odd n)', () => {
  const rng = new Rng(2);
  for (const n of [...SIZES, 2, 6, 200]) {
    const x = Float64Array.from({ length: n }, () => rng.normal());
    const want = naiveDft(x, new Float64Array(n));
    const fft = new RealFft(n);
    assert.equal(fft.bins, Math.floor(n / 2) + 1);
    const re = new Float64Array(fft.bins);
    const im = new Float64Array(fft.bins);
    fft.forward(x, re, im);
    const tol = 1e-9 * Math.sqrt(n) * n;
    for (let k = 0; k < fft.bins; k++) {
      assert.ok(
        Math.abs(re[k]! - want.re[k]!) < tol && Math.abs(im[k]! - want.im[k]!) < tol,
        `n=${n} bin ${k}: ${re[k]},${im[k]} vs ${want.re[k]},${want.im[k]}`,
      );
    }
  }
});

test('a cosine at bin 7 of a 400-point FFT puts n/2 there and nothing elsewhere', () => {
  const n = 400;
  const x = Float64Array.from({ length: n }, (_, j) => Math.cos((2 * Math.PI * 7 * j) / n));
  const fft = new RealFft(n);
  const re = new Float64Array(fft.bins);
  const im = new Float64Array(fft.bins);
  fft.forward(x, re, im);
  for (let k = 0; k < fft.bins; k++) {
    const mag = Math.hypot(re[k]!, im[k]!);
    assert.ok(Math.abs(mag - (k === 7 ? 200 : 0)) < 1e-9, `bin ${k}: ${mag}`);
  }
});
