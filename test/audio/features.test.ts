import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { clapLogMel, logMel, whisperLogMel } from '../../src/encoders/audio/index.js';
import { Rng } from '../../src/util/rng.js';

interface Ref {
  whisper: { frames: number[]; values: number[][] };
  clap: { frames: number[]; values: number[][] };
  generic: { total_frames: number; frames: number[]; values: number[][] };
}

/** test/fixtures/audio/ref_mel.json, written by scripts/fixtures/ref_mel.py (numpy). */
function loadRef(): Ref {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++, dir = dirname(dir)) {
    const p = join(dir, 'test', 'fixtures', 'audio', 'ref_mel.json');
    if (existsSync(p)) return JSON.parse(readFileSync(p, 'utf8')) as Ref;
  }
  throw new Error('test fixture test/fixtures/audio/ref_mel.json not found above the test file');
}
const REF = loadRef();

/** The reference script's test signal (same formula, float64 then float32). */
function signal(sr: number, seconds: number, f1: number, f2: number): Float32Array {
  return Float32Array.from({ length: Math.round(sr * seconds) }, (_, i) => {
    const t = i / sr;
    const chirp = Math.sin(2 * Math.PI * (200 * t + 900 * t * t));
    return 0.5 * Math.sin(2 * Math.PI * f1 * t) + 0.3 * Math.sin(2 * Math.PI * f2 * t + 0.5) + 0.1 * chirp;
  });
}

function maxDiff(got: (mel: number) => number, want: number[]): number {
  return Math.max(...want.map((w, m) => Math.abs(got(m) - w)));
}

test('Whisper log-mel [80, 3000] matches the numpy reference', () => {
  const t0 = performance.now();
  const feats = whisperLogMel(signal(16000, 1.5, 440, 3000));
  const ms = performance.now() - t0;
  console.log(`whisperLogMel of 30 s: ${ms.toFixed(0)} ms (first call, includes filter bank)`);
  assert.equal(feats.length, 80 * 3000);
  REF.whisper.frames.forEach((f, i) => {
    const d = maxDiff((m) => feats[m * 3000 + f]!, REF.whisper.values[i]!);
    assert.ok(d < 2e-5, `frame ${f}: max difference ${d}`);
  });
  // The clamp: nothing below (max - 8 + 4) / 4 = max - 2.
  let max = -Infinity;
  let min = Infinity;
  for (const v of feats) [max, min] = [Math.max(max, v), Math.min(min, v)];
  assert.ok(Math.abs(max - min - 2) < 1e-6, `range ${min}..${max}`);
  const t1 = performance.now();
  whisperLogMel(new Float32Array(16000 * 40).fill(0.1)); // trims to 30 s
  console.log(`whisperLogMel of 30 s (warm): ${(performance.now() - t1).toFixed(0)} ms`);
});

test('CLAP log-mel [1, 1001, 64] (repeatpad, Slaney filters, dB) matches the numpy reference', () => {
  const x = signal(48000, 2.3, 440, 9000);
  const feats = clapLogMel(x);
  assert.deepEqual(feats.dims, [1, 1001, 64]);
  assert.equal(feats.isLonger, false);
  REF.clap.frames.forEach((f, i) => {
    const d = maxDiff((m) => feats.data[f * 64 + m]!, REF.clap.values[i]!);
    assert.ok(d < 2e-3, `frame ${f}: max difference ${d} dB`);
  });
});

test('CLAP crops long audio (isLonger) and fills short audio by padding mode', () => {
  const x = signal(48000, 12, 440, 9000);
  const cropped = clapLogMel(x, { cropStart: 48000 });
  assert.equal(cropped.isLonger, true);
  const direct = clapLogMel(x.slice(48000, 48000 * 11));
  assert.equal(direct.isLonger, false);
  assert.deepEqual(cropped.data, direct.data);
  const random = clapLogMel(x, { rng: new Rng(3) });
  assert.equal(random.dims[1], 1001);
  assert.throws(() => clapLogMel(x, { cropStart: 48000 * 3 }), /cropStart 144000 must be an integer in \[0, 96000\]/);
  // 'repeat' fills to exactly 10 s with copies; 'pad' leaves silence (floored at -100 dB) after the audio.
  const short = signal(48000, 3, 440, 9000);
  const padded = clapLogMel(short, { padding: 'pad' });
  assert.equal(padded.data[1000 * 64 + 10], -100);
  const repeated = clapLogMel(short, { padding: 'repeat' });
  assert.ok(repeated.data[1000 * 64 + 10]! > -60);
});

test('generic logMel (odd n_fft 255, HTK, no norm, dB) matches the numpy reference', () => {
  const lm = logMel(signal(22050, 0.7, 300, 5000), {
    sampleRate: 22050,
    nFft: 255,
    hop: 100,
    nMels: 40,
    fMin: 20,
    fMax: 11025,
    melScale: 'htk',
    norm: null,
    log: 'dB',
  });
  assert.equal(lm.frames, REF.generic.total_frames);
  REF.generic.frames.forEach((f, i) => {
    const d = maxDiff((m) => lm.data[m * lm.frames + f]!, REF.generic.values[i]!);
    assert.ok(d < 2e-3, `frame ${f}: max difference ${d} dB`);
  });
  assert.throws(() => logMel(new Float32Array(0), { sampleRate: 16000, nFft: 400, hop: 160, nMels: 80 }), /empty/);
});
