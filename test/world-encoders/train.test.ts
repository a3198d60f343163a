/**
 * Tiny-config training of the two world encoders: the loss falls, training is deterministic per
 * seed, the exported ONNX runs with the declared shapes, and the build writes loadable folders.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadTokenizer } from '../../src/encoders/text/tokenizer.js';
import { WorldMultilingualEncoder } from '../../src/encoders/world/multilingual.js';
import { DEFAULT_SOUND_FRONT_END, frontEndFrames, WorldSoundEncoder } from '../../src/encoders/world/sound.js';
import { buildWorldEncoders } from '../../src/world/encoders/build.js';
import {
  buildMultilingualTokenizer,
  DEFAULT_MULTILINGUAL_TRAINING,
  type MultilingualConfig,
  trainMultilingualEncoder,
} from '../../src/world/encoders/multilingual.js';
import { DEFAULT_SOUND_TRAINING, type SoundEncoderConfig, synthPool, trainSoundEncoder } from '../../src/world/encoders/sound.js';

const out = mkdtempSync(join(tmpdir(), 'gluegen-world-encoders-'));
after(() => rmSync(out, { recursive: true, force: true }));

/** Mean of the first and of the last quarter of a loss curve. */
function ends(curve: [number, number][]): [number, number] {
  const q = Math.max(1, Math.floor(curve.length / 4));
  const mean = (xs: [number, number][]) => xs.reduce((s, x) => s + x[1], 0) / xs.length;
  return [mean(curve.slice(0, q)), mean(curve.slice(-q))];
}

test('multilingual encoder: tiny training lowers the loss and is deterministic per seed', async () => {
  const tok = buildMultilingualTokenizer(3, 24, 200);
  const cfg: MultilingualConfig = { maxTokens: 24, dim: 16, heads: 2, layers: 1, mlpRatio: 2, projDim: 16, vocabSize: tok.tokenizer.vocabSize };
  const training = { ...DEFAULT_MULTILINGUAL_TRAINING, steps: 60, batch: 16, mlmBatch: 8, lr: 5e-3 };
  const a = await trainMultilingualEncoder(cfg, training, tok.tokenizer, 7, false);
  const [first, last] = ends(a.loop.lossCurve);
  assert.ok(last < 0.9 * first, `loss ${first.toFixed(3)} -> ${last.toFixed(3)} did not fall by 10%`);
  const b = await trainMultilingualEncoder(cfg, { ...training, steps: 5 }, tok.tokenizer, 7, false);
  const c = await trainMultilingualEncoder(cfg, { ...training, steps: 5 }, tok.tokenizer, 7, false);
  assert.deepEqual([...b.weights.get('encoder.layers.0.attn.to_q.weight')!], [...c.weights.get('encoder.layers.0.attn.to_q.weight')!]);
  assert.ok(!b.weights.has('contrastive_head.weight') && !b.weights.has('mlm_head.bias'), 'training heads are not exported');
});

test('sound encoder: tiny training lowers the loss and is deterministic per seed', async () => {
  const fe = { ...DEFAULT_SOUND_FRONT_END, nMels: 32, windowSeconds: 1 };
  const cfg: SoundEncoderConfig = { nMels: 32, frames: frontEndFrames(fe), convWidth: 8, dim: 16, heads: 2, layers: 1, mlpRatio: 2, embedDim: 16, classes: 10 };
  assert.equal(cfg.frames, 100);
  const pool = synthPool('train', 40, 1, fe, 0.25);
  const training = { ...DEFAULT_SOUND_TRAINING, clips: 40, steps: 60, batch: 20, lr: 5e-3 };
  const a = await trainSoundEncoder(cfg, training, pool, 3, false);
  const [first, last] = ends(a.loop.lossCurve);
  assert.ok(last < 0.8 * first, `loss ${first.toFixed(3)} -> ${last.toFixed(3)} did not fall by 20%`);
  const b = await trainSoundEncoder(cfg, { ...training, steps: 3 }, pool, 3, false);
  const c = await trainSoundEncoder(cfg, { ...training, steps: 3 }, pool, 3, false);
  assert.deepEqual(Buffer.from(b.onnx), Buffer.from(c.onnx));
});

test('tiny build writes both folders and they load with the declared shapes', async () => {
  const lines: string[] = [];
  const report = await buildWorldEncoders({ outDir: out, seed: 2, budget: 'tiny', progress: false, log: (l) => lines.push(l) });
  for (const f of [
    'multilingual-encoder/config.json',
    'multilingual-encoder/tokenizer.json',
    'multilingual-encoder/tokenizer_config.json',
    'multilingual-encoder/model.onnx',
    'sound-encoder/config.json',
    'sound-encoder/model.onnx',
    'encoders-report.json',
  ]) {
    assert.ok(existsSync(join(out, f)), `missing ${f}`);
  }
  assert.deepEqual(
    report.phases.map((p) => p.name),
    ['multilingual vocabulary', 'multilingual training', 'multilingual evaluation', 'sound data', 'sound training', 'sound evaluation'],
  );
  const saved = JSON.parse(readFileSync(join(out, 'encoders-report.json'), 'utf8')) as typeof report;
  assert.equal(saved.multilingual.vocabSize, report.multilingual.vocabSize);
  assert.ok(lines.some((l) => l.startsWith('sound held-out accuracy')));
  assert.equal((await loadTokenizer(join(out, 'multilingual-encoder'))).family, 'wordlevel');

  const text = await WorldMultilingualEncoder.load(join(out, 'multilingual-encoder'), { threads: 1 });
  try {
    assert.deepEqual(text.info, { name: 'world-multilingual', modality: 'text', tokens: 24, dim: 16 });
    const enc = await text.encode(['un oiseau rouge', '']);
    assert.deepEqual([enc.batch, enc.tokens, enc.dim, enc.features.length], [2, 24, 16, 2 * 24 * 16]);
    // "" is [BOS] [EOS] then padding; "un oiseau rouge" has 3 words.
    assert.deepEqual([...enc.mask!.subarray(0, 6)], [1, 1, 1, 1, 1, 0]);
    assert.deepEqual([...enc.mask!.subarray(24, 27)], [1, 1, 0]);
  } finally {
    await text.release();
  }
  const sound = await WorldSoundEncoder.load(join(out, 'sound-encoder'), { threads: 1 });
  try {
    assert.deepEqual(sound.info, { name: 'world-sound', modality: 'audio', tokens: 4, dim: 4 });
    const enc = await sound.encode([{ samples: new Float32Array(16000), sampleRate: 16000 }]);
    assert.deepEqual([enc.batch, enc.tokens, enc.dim], [1, 4, 4]);
    assert.ok(enc.features.every(Number.isFinite));
  } finally {
    await sound.release();
  }
});
