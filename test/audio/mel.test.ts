import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hertzToMel, logMel, melFilterBank, melToHertz } from '../../src/encoders/audio/index.js';

test('mel scales: HTK and Slaney reference points, and round trips', () => {
  assert.ok(Math.abs(hertzToMel(1000, 'htk') - 999.9855371396244) < 1e-9);
  assert.equal(hertzToMel(1000, 'slaney'), 15); // the linear/log corner
  assert.equal(hertzToMel(600, 'slaney'), 9); // 3 f / 200 below 1 kHz
  assert.ok(Math.abs(hertzToMel(2000, 'slaney') - (15 + (Math.log(2) * 27) / Math.log(6.4))) < 1e-12);
  for (const scale of ['htk', 'slaney'] as const) {
    for (const f of [0, 123, 999, 1000, 4567, 22050]) assert.ok(Math.abs(melToHertz(hertzToMel(f, scale), scale) - f) < 1e-9 * (1 + f));
  }
});

test('a small HTK filter bank equals hand-computed triangles', () => {
  // 16 kHz, n_fft 16 -> 9 bins at 0, 1000, ..., 8000 Hz; 3 filters over 0-8000 Hz, corners
  // 0, 614.33, 1767.79, 3933.55, 8000 Hz (equally spaced HTK mels).
  const bank = melFilterBank({ numFrequencyBins: 9, numMelFilters: 3, minFrequency: 0, maxFrequency: 8000, sampleRate: 16000, melScale: 'htk' });
  const want = [
    [0, 0.6656396206, 0, 0, 0, 0, 0, 0, 0],
    [0, 0.3343603794, 0.8927823828, 0.4310503813, 0, 0, 0, 0, 0],
    [0, 0, 0.1072176172, 0.5689496187, 0.9836592124, 0.7377444093, 0.4918296062, 0.2459148031, 0],
  ];
  for (let m = 0; m < 3; m++) {
    for (let b = 0; b < 9; b++) assert.ok(Math.abs(bank.weights[b * 3 + m]! - want[m]![b]!) < 1e-9, `filter ${m} bin ${b}`);
  }
  // ranges bound every non-zero weight (the 8000 Hz corner may leave a 1e-16 remainder).
  for (let m = 0; m < 3; m++) {
    const [lo, hi] = bank.ranges[m]!;
    for (let b = 0; b < 9; b++) if (b < lo || b >= hi) assert.equal(bank.weights[b * 3 + m], 0);
  }
  assert.deepEqual(bank.ranges.slice(0, 2), [
    [1, 2],
    [1, 4],
  ]);
  assert.ok(Math.abs(bank.cornerFrequencies[1]! - 614.3267383323789) < 1e-9);
});

test('Slaney-normalised filters have unit area in Hz; unnormalised ones peak at most 1', () => {
  // Whisper's 80 Slaney mels over 0-8 kHz, sampled on a fine grid (4097 bins, ~1.95 Hz apart)
  // so that the Riemann sum of each triangle is close to its area, 1.
  const bins = 4097;
  const df = 8000 / (bins - 1);
  const bank = melFilterBank({
    numFrequencyBins: bins,
    numMelFilters: 80,
    minFrequency: 0,
    maxFrequency: 8000,
    sampleRate: 16000,
    norm: 'slaney',
    melScale: 'slaney',
  });
  for (let m = 0; m < 80; m++) {
    let area = 0;
    for (let b = 0; b < bins; b++) area += bank.weights[b * 80 + m]! * df;
    assert.ok(Math.abs(area - 1) < 0.03, `filter ${m}: area ${area}`);
  }
  const plain = melFilterBank({ numFrequencyBins: 513, numMelFilters: 64, minFrequency: 50, maxFrequency: 14000, sampleRate: 48000, melScale: 'htk' });
  for (let m = 0; m < 64; m++) {
    let peak = 0;
    for (let b = 0; b < 513; b++) peak = Math.max(peak, plain.weights[b * 64 + m]!);
    assert.ok(peak <= 1 && peak > 0.3, `filter ${m}: peak ${peak}`); // no empty filter, none above 1
  }
  assert.throws(
    () => melFilterBank({ numFrequencyBins: 9, numMelFilters: 3, minFrequency: 9000, maxFrequency: 8000, sampleRate: 16000 }),
    /minFrequency \(9000\) <= maxFrequency \(8000\)/,
  );
});

test("a pure tone's energy lands in the mel band centred nearest to it", () => {
  const sr = 16000;
  const opts = { sampleRate: sr, nFft: 512, hop: 256, nMels: 40, fMax: 8000 };
  const bank = melFilterBank({
    numFrequencyBins: 257,
    numMelFilters: 40,
    minFrequency: 0,
    maxFrequency: 8000,
    sampleRate: sr,
    norm: 'slaney',
    melScale: 'slaney',
  });
  for (const freq of [300, 1000, 2500, 6000]) {
    const x = Float32Array.from({ length: sr }, (_, i) => Math.sin((2 * Math.PI * freq * i) / sr));
    const lm = logMel(x, opts);
    const f = Math.floor(lm.frames / 2);
    let best = 0;
    for (let m = 1; m < 40; m++) if (lm.data[m * lm.frames + f]! > lm.data[best * lm.frames + f]!) best = m;
    let nearest = 0;
    for (let m = 1; m < 40; m++) {
      if (Math.abs(bank.cornerFrequencies[m + 1]! - freq) < Math.abs(bank.cornerFrequencies[nearest + 1]! - freq)) nearest = m;
    }
    assert.ok(Math.abs(best - nearest) <= 1, `${freq} Hz: loudest band ${best}, nearest centre ${nearest}`);
    // Far bands are > 60 dB (6 in log10) below the tone's band.
    assert.ok(lm.data[best * lm.frames + f]! - lm.data[((best + 10) % 40) * lm.frames + f]! > 6);
  }
});
