// OnnxAudioEncoder on the tiny Whisper-, CLAP- and wav2vec2-like fixtures: clips at other sample
// rates are resampled and turned into the right model input (checked by building that input with
// the audio front end directly and running the ONNX file), pooled outputs are read as tokens.

import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { clapLogMel, resample, whisperLogMel } from '../../src/encoders/audio/index.js';
import { OnnxAudioEncoder } from '../../src/encoders/audio/onnx-audio-encoder.js';
import { type HostTensor, Session } from '../../src/engine/runtime.js';
import { Rng } from '../../src/util/rng.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/encoders/', import.meta.url));
const fixture = (rel: string) => join(FIXTURES, rel);

async function runDirect(model: string, feeds: Record<string, HostTensor>, output: string): Promise<Float32Array> {
  const s = await Session.create(fixture(model), { threads: 1 });
  try {
    return (await s.run(feeds))[output]!.data as Float32Array;
  } finally {
    await s.release();
  }
}

/** A chirp with a little seeded noise, `seconds` long at `rate`. */
function chirp(rate: number, seconds: number, seed = 1): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => {
    const t = i / rate;
    return 0.4 * Math.sin(2 * Math.PI * (300 + 900 * t) * t) + 0.02 * (rng.uniform() - 0.5);
  });
}

function assertClose(actual: Float32Array, expected: Float32Array, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  assert.ok(worst <= tol, `${what}: max |diff| ${worst} > ${tol}`);
}

test('whisper-like: a 22.05 kHz clip becomes the 16 kHz log-mel [1, 80, 3000]; tokens 1500 x 16', async () => {
  const enc = await OnnxAudioEncoder.load(fixture('whisper'));
  try {
    assert.deepEqual([enc.info.tokens, enc.info.dim, enc.sampleRate], [1500, 16, 16000]);
    const clip = chirp(22050, 0.7);
    const out = await enc.encode([{ samples: clip, sampleRate: 22050, source: 'chirp' }]);
    const mel = whisperLogMel(resample(clip, 22050, 16000));
    const expected = await runDirect('whisper/model.onnx', { input_features: { data: mel, dims: [1, 80, 3000] } }, 'last_hidden_state');
    assertClose(out.features, expected, 1e-5, 'whisper');
  } finally {
    await enc.release();
  }
});

test('clap-like: 44.1 kHz clip -> 48 kHz CLAP mel; pooled audio_embeds [1, 1024] read as 16 tokens x 64', async () => {
  const enc = await OnnxAudioEncoder.load(fixture('clap'));
  try {
    assert.deepEqual([enc.info.tokens, enc.info.dim, enc.sampleRate], [16, 64, 48000]);
    const clip = chirp(44100, 1.5, 2);
    const out = await enc.encode([{ samples: clip, sampleRate: 44100 }]);
    const mel = clapLogMel(resample(clip, 44100, 48000), { fMin: 50, fMax: 14000, maxSeconds: 10, padding: 'repeatpad' });
    const embeds = await runDirect('clap/model.onnx', { input_features: { data: mel.data, dims: [1, 1, 1001, 64] } }, 'audio_embeds');
    assert.deepEqual([out.batch, out.tokens, out.dim], [1, 16, 64]);
    // Token t is embeds[64 t .. 64 t + 63], the paper's 1024 -> 16 x 64 reading.
    assertClose(out.features, embeds, 1e-5, 'clap tokens');
  } finally {
    await enc.release();
  }
});

test('wav2vec2-like: 8 kHz clip resampled, normalised over its real samples, padded to seconds = 1', async () => {
  const enc = await OnnxAudioEncoder.load(fixture('wav2vec2'));
  try {
    assert.deepEqual([enc.info.tokens, enc.info.dim, enc.sampleRate], [100, 16, 16000]);
    const clip = chirp(8000, 0.5, 3);
    const out = await enc.encode([{ samples: clip, sampleRate: 8000 }]);
    const x = resample(clip, 8000, 16000);
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    const std = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length + 1e-7);
    const wave = new Float32Array(16000);
    x.forEach((v, i) => (wave[i] = (v - mean) / std));
    const expected = await runDirect('wav2vec2/model.onnx', { input_values: { data: wave, dims: [1, 16000] } }, 'last_hidden_state');
    assertClose(out.features, expected, 1e-4, 'wav2vec2');
    // A 2 s clip is cut to its first second.
    const long = chirp(16000, 2, 4);
    const cut = await enc.encode([{ samples: long, sampleRate: 16000 }]);
    const first = await enc.encode([{ samples: long.slice(0, 16000), sampleRate: 16000 }]);
    assertClose(cut.features, first.features, 0, '2 s vs its first second');
  } finally {
    await enc.release();
  }
});

test('batch encoding equals one-by-one, across sample rates', async () => {
  for (const dir of ['clap', 'wav2vec2']) {
    const enc = await OnnxAudioEncoder.load(fixture(dir));
    try {
      const clips = [
        { samples: chirp(16000, 0.3, 5), sampleRate: 16000 },
        { samples: chirp(44100, 0.4, 6), sampleRate: 44100 },
        { samples: new Float32Array(4000), sampleRate: 8000, source: 'silence' }, // silence is valid
      ];
      const all = await enc.encode(clips);
      const row = enc.info.tokens * enc.info.dim;
      for (const [i, c] of clips.entries()) {
        assertClose(all.features.subarray(i * row, (i + 1) * row), (await enc.encode([c])).features, 1e-5, `${dir} clip ${i}`);
      }
      assert.ok(all.features.every(Number.isFinite), `${dir}: silent clip gives finite features`);
    } finally {
      await enc.release();
    }
  }
});

test('errors: empty clip, bad rate, NaN samples, wrong tokens x dim, open length without seconds, missing config', async () => {
  const enc = await OnnxAudioEncoder.load(fixture('wav2vec2'));
  try {
    await assert.rejects(enc.encode([{ samples: new Float32Array(0), sampleRate: 16000, source: 'dog.wav' }]), /dog\.wav: the clip is empty/);
    await assert.rejects(enc.encode([{ samples: new Float32Array(10), sampleRate: 0, source: 'x.wav' }]), /x\.wav: sample rate 0 must be a positive integer/);
    await assert.rejects(enc.encode([{ samples: Float32Array.of(0, NaN), sampleRate: 16000, source: 'n.wav' }]), /n\.wav: sample 1 is NaN/);
    await assert.rejects(enc.encode([]), /non-empty array/);
  } finally {
    await enc.release();
  }
  await assert.rejects(OnnxAudioEncoder.load(fixture('clap'), { tokens: 10 }), /1024 values per clip, which cannot be read as 10 tokens/);
  await assert.rejects(OnnxAudioEncoder.load(fixture('whisper'), { tokens: 4 }), /already token features/);
  const tmp = await mkdtemp(join(tmpdir(), 'gluegen-audio-'));
  try {
    await cp(fixture('wav2vec2'), join(tmp, 'w2v'), { recursive: true, filter: (p) => !p.endsWith('gluegen_audio.json') });
    await assert.rejects(OnnxAudioEncoder.load(join(tmp, 'w2v')), /waveforms of any length; set "seconds" in gluegen_audio\.json/);
    await cp(fixture('clap'), join(tmp, 'clap'), { recursive: true, filter: (p) => !p.endsWith('gluegen_audio.json') });
    const pooled = await OnnxAudioEncoder.load(join(tmp, 'clap')); // without a config: one token of 1024
    assert.deepEqual([pooled.info.tokens, pooled.info.dim], [1, 1024]);
    await pooled.release();
    await cp(fixture('whisper/model.onnx'), join(tmp, 'bare', 'model.onnx'));
    await assert.rejects(OnnxAudioEncoder.load(join(tmp, 'bare')), /preprocessor_config\.json is missing/);
    await writeFile(join(tmp, 'bare', 'preprocessor_config.json'), JSON.stringify({ feature_extractor_type: 'WhisperFeatureExtractor', sampling_rate: 44100 }));
    await assert.rejects(OnnxAudioEncoder.load(join(tmp, 'bare')), /sampling_rate 44100 is not supported/);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
