/**
 * Sound + text mixing as GlueGen's METHOD: token splicing and weighted average, element by element.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { averageMix, mixConditions, parseMixSpec, spliceMix } from '../../src/pipeline/mix.js';
import { Rng } from '../../src/util/rng.js';

const shape = { batch: 2, tokens: 77, dim: 5 };
const n = shape.batch * shape.tokens * shape.dim;
const rng = new Rng(3);
const Cs = rng.fillNormal(new Float32Array(n));
const Ct = rng.fillNormal(new Float32Array(n));
const at = (x: Float32Array, b: number, t: number, d: number): number => x[(b * shape.tokens + t) * shape.dim + d]!;

test('splice: salient = concat(Cs[:, :i], Ct[:, :i]), background = (Cs[:, 2i:] + Ct[:, 2i:]) / 2', () => {
  for (const i of [3, 5, 7]) {
    const out = spliceMix(Cs, Ct, shape, i);
    assert.equal(out.length, n);
    for (let b = 0; b < shape.batch; b++) {
      for (let t = 0; t < shape.tokens; t++) {
        for (let d = 0; d < shape.dim; d++) {
          // Token t of the condition: sound token t, text token t - i, or the average of token t.
          const expected = t < i ? at(Cs, b, t, d) : t < 2 * i ? at(Ct, b, t - i, d) : Math.fround((at(Cs, b, t, d) + at(Ct, b, t, d)) / 2);
          assert.equal(at(out, b, t, d), expected, `split ${i}, item ${b}, token ${t}, dim ${d}`);
        }
      }
    }
  }
});

test('splice on the largest split keeps no background; the text tokens i..2i-1 are dropped', () => {
  const small = { batch: 1, tokens: 6, dim: 1 };
  const s = Float32Array.from([10, 11, 12, 13, 14, 15]);
  const t = Float32Array.from([20, 21, 22, 23, 24, 25]);
  assert.deepEqual(Array.from(spliceMix(s, t, small, 2)), [10, 11, 20, 21, 19, 20]);
  assert.deepEqual(Array.from(spliceMix(s, t, small, 3)), [10, 11, 12, 20, 21, 22]);
});

test('average: w * Cs + (1 - w) * Ct', () => {
  const out = averageMix(Cs, Ct, shape, 0.3);
  for (let k = 0; k < n; k++) assert.equal(out[k], Math.fround(0.3 * Cs[k]! + 0.7 * Ct[k]!));
  assert.deepEqual(averageMix(Cs, Ct, shape, 1), Cs);
  assert.deepEqual(mixConditions(Cs, Ct, shape, { kind: 'avg', weight: 0 }), Ct);
});

test('bad shapes, splits and weights are refused with the reason', () => {
  assert.throws(() => spliceMix(Cs, Ct.subarray(1), shape, 3), /got 770 values for the sound condition and 769 for the text condition/);
  assert.throws(() => spliceMix(Cs, Ct, shape, 39), /splice split 39 must be an integer with 1 <= split and 2 x split <= 77 tokens/);
  assert.throws(() => spliceMix(Cs, Ct, shape, 2.5), /splice split 2.5/);
  assert.throws(() => spliceMix(Cs, Ct, shape, 0), /splice split 0/);
  assert.throws(() => averageMix(Cs, Ct, shape, 1.5), /average weight 1.5 must be a number in \[0, 1\]/);
  assert.throws(() => averageMix(Cs, Ct, { batch: 0, tokens: 77, dim: 5 }, 0.5), /must have positive dims/);
});

test('parseMixSpec reads splice:I and avg:W', () => {
  assert.deepEqual(parseMixSpec('splice:5'), { kind: 'splice', split: 5 });
  assert.deepEqual(parseMixSpec('avg:0.25'), { kind: 'avg', weight: 0.25 });
  for (const bad of ['splice', 'splice:2.5', 'avg:2', 'mean:0.5', 'splice:-1', 'avg:']) {
    assert.throws(() => parseMixSpec(bad), /expected 'splice:I' .* or 'avg:W'/, bad);
  }
});
