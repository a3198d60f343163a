import assert from 'node:assert/strict';
import { test } from 'node:test';
import { carveValidation, heldOutTextPairs, textPairs, trainingTextPairs } from '../../src/world/experiments/pairs.js';

test('held-out prompts are unique and none is a training or validation caption', () => {
  const train = textPairs('all', 3000, 'train', 0);
  const seen = new Set(train.flatMap((p) => [p.text, p.english]));
  // Raw test draws do repeat training strings in this small world: that is what deduplication is for.
  const raw = textPairs('fr', 300, 'test', 1);
  assert.ok(
    raw.some((p) => seen.has(p.text)),
    'the fixture needs overlapping raw draws to test anything',
  );
  const held = heldOutTextPairs('fr', 300, 'test', 1, seen);
  assert.equal(held.length, 300);
  assert.equal(new Set(held.map((p) => p.text)).size, 300);
  for (const p of held) assert.ok(!seen.has(p.text) && !seen.has(p.english), p.text);
  assert.ok(held.every((p) => p.lang === 'fr'));
});

test('training pairs hold 1% empty prompts paired with the empty caption; the validation carve is 10% (at least 10) of them', () => {
  const pairs = trainingTextPairs(1000, 0);
  assert.equal(pairs.length, 1000);
  assert.equal(pairs.filter((p) => p.text === '' && p.english === '').length, 10);
  const { train, val } = carveValidation(pairs);
  assert.equal(val.length, 100);
  assert.equal(train.length + val.length, 1000);
  assert.equal(new Set([...train, ...val]).size, 1000);
  assert.equal(carveValidation(trainingTextPairs(100, 0)).val.length, 10);
  assert.equal(trainingTextPairs(100, 0).filter((p) => p.text === '').length, 1);
});
