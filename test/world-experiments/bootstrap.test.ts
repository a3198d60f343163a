import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/util/rng.js';
import { bootstrapInterval, type ItemOutcome, meanNamedAccuracy, pairedBootstrap } from '../../src/world/experiments/bootstrap.js';
import { compare } from '../../src/world/experiments/run.js';
import type { RowScore } from '../../src/world/experiments/score.js';

test('the score is the mean over named attributes of the share correct, each attribute over the inputs naming it', () => {
  const items: ItemOutcome[] = [{ object: 1, colour: 0 }, { object: 1 }, { object: 0, position: 1 }, { colour: 1 }];
  // object 2/3, colour 1/2, position 1/1
  assert.ok(Math.abs(meanNamedAccuracy(items) - (2 / 3 + 1 / 2 + 1) / 3) < 1e-12);
  assert.ok(Number.isNaN(meanNamedAccuracy([{}, {}])));
  assert.equal(meanNamedAccuracy(items, [1, 1]), 1); // resampled: input 1 twice
});

test('the bootstrap interval of a share matches the normal approximation and covers the truth', () => {
  const rng = new Rng(4);
  const n = 400;
  const items: ItemOutcome[] = Array.from({ length: n }, () => ({ object: rng.uniform() < 0.7 ? 1 : 0 }));
  const p = meanNamedAccuracy(items);
  const ci = bootstrapInterval(items);
  const half = 1.96 * Math.sqrt((p * (1 - p)) / n);
  assert.ok(ci.low < p && p < ci.high, `${ci.low} < ${p} < ${ci.high}`);
  assert.ok(Math.abs(ci.high - ci.low - 2 * half) < 0.3 * 2 * half, `width ${ci.high - ci.low} vs normal ${2 * half}`);
});

test('paired differences: identical rows give exactly 0; a fixed improvement is found and the paired interval is narrower than the two separate ones', () => {
  const rng = new Rng(9);
  const n = 300;
  const b: ItemOutcome[] = Array.from({ length: n }, () => ({ object: rng.uniform() < 0.6 ? 1 : 0 }));
  const same = pairedBootstrap(b, b);
  assert.deepEqual([same.diff, same.low, same.high], [0, 0, 0]);
  // a = b, plus 30 failures of b turned into successes: +10 points, strongly correlated with b.
  let flipped = 0;
  const a = b.map((it) => (it.object === 0 && flipped < 30 ? (flipped++, { object: 1 as const }) : it));
  const d = pairedBootstrap(a, b);
  assert.ok(Math.abs(d.diff - 0.1) < 1e-12);
  assert.ok(d.low > 0, `the interval ${d.low}..${d.high} excludes 0`);
  const sa = bootstrapInterval(a);
  const sb = bootstrapInterval(b);
  assert.ok(d.high - d.low < 0.5 * (sa.high - sa.low + sb.high - sb.low), 'pairing removes the shared variance');
  assert.throws(() => pairedBootstrap(a, b.slice(1)), /paired rows of 300 and 299/);
});

test('a comparison reports a - b in points with its interval, on the rows as scored', () => {
  const row = (name: string, items: ItemOutcome[]): RowScore => ({
    name,
    n: items.length,
    accuracy: {},
    mean: meanNamedAccuracy(items),
    interval: bootstrapInterval(items),
    items,
    fd: null,
    seconds: 0,
    images: [],
  });
  const a = row('a', [{ object: 1 }, { object: 1 }, { object: 0 }, { object: 1 }]);
  const b = row('b', [{ object: 0 }, { object: 1 }, { object: 0 }, { object: 0 }]);
  const c = compare('a-vs-b', a, b);
  assert.equal(c.name, 'a-vs-b');
  assert.equal(c.n, 4);
  assert.equal(c.diff, 50);
  assert.ok(c.ci_low <= c.diff && c.diff <= c.ci_high);
});
