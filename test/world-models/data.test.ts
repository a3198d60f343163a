/** Training tensors from the world data: determinism per seed, pixel conversion, tokenizer coverage. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/util/rng.js';
import { captionEn } from '../../src/world/data/captions-en.js';
import { sampleAttributes } from '../../src/world/data/dataset.js';
import {
  buildWorldTokenizer,
  bytesToPixels,
  captionMatches,
  oneHotTargets,
  pixelsToBytes,
  renderPool,
  tokenizerFromFiles,
} from '../../src/world/models/data.js';
import { NUM_LOGITS } from '../../src/world/models/evaluator.js';

test('an image pool is deterministic per seed and differs across seeds and splits', () => {
  const a = renderPool('train', 6, 11);
  const b = renderPool('train', 6, 11);
  assert.deepEqual(a.attrs, b.attrs);
  assert.deepEqual(a.captions, b.captions);
  assert.deepEqual([...a.pixels], [...b.pixels]);
  assert.notDeepEqual([...renderPool('train', 6, 12).pixels], [...a.pixels]);
  assert.notDeepEqual([...renderPool('test', 6, 11).pixels], [...a.pixels]);
  assert.ok(a.pixels.every((v) => v >= -1 && v <= 1));
});

test('pixels round-trip between HWC bytes and CHW floats', () => {
  const bytes = Uint8Array.from({ length: 32 * 32 * 3 }, (_, i) => (i * 37) % 256);
  const f = new Float32Array(3 * 32 * 32 + 5);
  bytesToPixels(bytes, f, 5);
  // channel 1 of pixel 0 lives one plane after channel 0
  assert.equal(f[5 + 1024], Math.fround(bytes[1]! / 127.5 - 1));
  assert.deepEqual([...pixelsToBytes(f, 5)], [...bytes]);
});

test('the world tokenizer is deterministic and covers every caption without [UNK] in 16 tokens', () => {
  const files = buildWorldTokenizer(3, 16);
  assert.deepEqual(buildWorldTokenizer(3, 16), files);
  const tok = tokenizerFromFiles(files);
  const rng = new Rng(99);
  const texts = Array.from({ length: 400 }, () => captionEn(sampleAttributes(rng), rng).text);
  const enc = tok.encodeBatch(texts, { maxLength: 32, padding: 'max_length', truncation: false });
  assert.ok(Math.max(...enc.tokenCounts) <= 16, `longest caption has ${Math.max(...enc.tokenCounts)} tokens`);
  assert.ok(!enc.inputIds.includes(1n), 'some caption word maps to [UNK]');
  assert.equal(tok.encodeBatch([''], { maxLength: 16, padding: 'max_length', truncation: true }).tokenCounts[0], 2); // [BOS] [EOS]
});

test('captionMatches compares only the named attributes; one-hot targets have one 1 per head', () => {
  const a = { object: 1, colour: 2, size: 0, position: 4 };
  const b = { object: 1, colour: 3, size: 1, position: 4 };
  assert.ok(captionMatches(a, { object: true, colour: false, size: false, position: true }, b));
  assert.ok(!captionMatches(a, { object: true, colour: true, size: false, position: false }, b));
  const t = oneHotTargets([a, b]);
  assert.equal(t.length, 2 * NUM_LOGITS);
  assert.equal(t.subarray(0, NUM_LOGITS).reduce((s, v) => s + v, 0), 4);
  assert.equal(t[1], 1); // object 1 of row 0
  assert.equal(t[NUM_LOGITS + 10 + 3], 1); // colour 3 of row 1 (after 10 object logits)
});
