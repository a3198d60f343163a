/** Training tensors from the world data: determinism per seed, pixel conversion, tokenizer coverage. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/util/rng.js';
import { captionEn } from '../../src/world/data/captions-en.js';
import { sampleAttributes } from '../../src/world/data/dataset.js';
import {
  blur3x3,
  buildWorldTokenizer,
  bytesToPixels,
  captionMatches,
  IndexSampler,
  oneHotTargets,
  renderPool,
  tokenizerFromFiles,
} from '../../src/world/models/data.js';
import { NUM_LOGITS } from '../../src/world/models/evaluator.js';
import { HardNegativeSampler } from '../../src/world/models/train-text-encoder.js';

/** CHW floats in [-1, 1] at `src[offset..]` -> HWC bytes (clamped, rounded), the inverse of bytesToPixels. */
function pixelsToBytes(src: Float32Array, offset: number): Uint8Array {
  const n = 32 * 32;
  const out = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round(Math.min(255, Math.max(0, (src[offset + c * n + i]! + 1) * 127.5)));
  }
  return out;
}

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
  assert.equal(
    t.subarray(0, NUM_LOGITS).reduce((s, v) => s + v, 0),
    4,
  );
  assert.equal(t[1], 1); // object 1 of row 0
  assert.equal(t[NUM_LOGITS + 10 + 3], 1); // colour 3 of row 1 (after 10 object logits)
});

test('hard-negative batches: groups agree on colour, size and position and differ in the object', () => {
  const pool = renderPool('train', 600, 3);
  const sampler = new HardNegativeSampler(pool.attrs, new Rng(1), 4);
  const batch = sampler.next(64);
  assert.equal(batch.length, 64);
  // Walk the batch as the sampler builds it: an anchor, then partners that share its other attributes.
  let grouped = 0;
  for (let i = 0; i < batch.length; ) {
    const anchor = pool.attrs[batch[i]!]!;
    const objects = new Set([anchor.object]);
    let j = i + 1;
    while (j < batch.length) {
      const a = pool.attrs[batch[j]!]!;
      const same = a.colour === anchor.colour && a.size === anchor.size && a.position === anchor.position;
      if (!same || objects.has(a.object)) break;
      objects.add(a.object);
      j++;
    }
    assert.ok(j - i <= 4, 'a group is at most `group` images');
    if (j - i > 1) grouped += j - i;
    i = j;
  }
  // 600 images over 144 (colour, size, position) cells: most anchors find partners.
  assert.ok(grouped >= 32, `only ${grouped} of 64 images came in groups`);
  // A random batch of the same pool almost never holds such groups.
  const plain = new IndexSampler(pool.attrs.length, new Rng(1)).next(64).map((k) => pool.attrs[k]!);
  const pairs = plain.filter(
    (a, i) => i > 0 && a.colour === plain[i - 1]!.colour && a.size === plain[i - 1]!.size && a.position === plain[i - 1]!.position,
  ).length;
  assert.ok(pairs <= 4);
});

test('blur3x3 keeps flat images, spreads a point to its 8 neighbours, and touches one image only', () => {
  const per = 3 * 32 * 32;
  const flat = new Float32Array(2 * per).fill(0.25);
  blur3x3(flat, per, 3);
  assert.ok(flat.every((v) => Math.abs(v - 0.25) < 1e-6));
  const img = new Float32Array(2 * per);
  img[per + 1024 + 5 * 32 + 7] = 1; // image 1, channel 1, (y 5, x 7)
  img[0] = 9; // image 0 is not touched
  blur3x3(img, per, 4);
  assert.equal(img[0], 9);
  assert.ok(Math.abs(img[per + 1024 + 5 * 32 + 7]! - 4 / 12) < 1e-6, 'centre keeps centre / (8 + centre)');
  assert.ok(Math.abs(img[per + 1024 + 6 * 32 + 8]! - 1 / 12) < 1e-6, 'a diagonal neighbour gets 1 / (8 + centre)');
  assert.equal(img[per + 1024 + 7 * 32 + 7], 0, 'two rows away gets nothing');
  assert.equal(img[per + 5 * 32 + 7], 0, 'other channels get nothing');
  let sum = 0;
  for (let k = per; k < 2 * per; k++) sum += img[k]!;
  assert.ok(Math.abs(sum - 1) < 1e-5, 'an interior point keeps its mass');
});
