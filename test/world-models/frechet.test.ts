/** Fréchet distance and the symmetric eigen-solver under it, against closed forms. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/util/rng.js';
import { frechetDistance, meanCov, symmetricEigen } from '../../src/world/models/frechet.js';

test('symmetricEigen reconstructs the matrix: A = V diag(values) V^T', () => {
  const d = 6;
  const rng = new Rng(1);
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = i; j < d; j++) a[i * d + j] = a[j * d + i] = rng.normal();
  const { values, vectors } = symmetricEigen(a, d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += vectors[i * d + k]! * values[k]! * vectors[j * d + k]!;
      assert.ok(Math.abs(s - a[i * d + j]!) < 1e-9, `A[${i},${j}]`);
    }
  }
});

test('in one dimension the distance is (m1 - m2)^2 + (s1 - s2)^2', () => {
  const rng = new Rng(2);
  const a = Float32Array.from({ length: 200 }, () => 1 + 2 * rng.normal());
  const b = Float32Array.from({ length: 300 }, () => -0.5 + 0.5 * rng.normal());
  const ma = meanCov(a, 200, 1);
  const mb = meanCov(b, 300, 1);
  const expected = (ma.mean[0]! - mb.mean[0]!) ** 2 + (Math.sqrt(ma.cov[0]!) - Math.sqrt(mb.cov[0]!)) ** 2;
  assert.ok(Math.abs(frechetDistance(a, 200, b, 300, 1) - expected) < 1e-9);
});

test('a set is at distance 0 from itself, and a shift by v adds |v|^2', () => {
  const d = 5;
  const n = 100;
  const rng = new Rng(3);
  const a = Float32Array.from({ length: n * d }, (_, i) => rng.normal() * (1 + (i % d)) + (i % 3));
  assert.ok(Math.abs(frechetDistance(a, n, a, n, d)) < 1e-6);
  const shifted = a.map((v, i) => v + (i % d === 2 ? 3 : 0));
  assert.ok(Math.abs(frechetDistance(a, n, shifted, n, d) - 9) < 1e-3);
});
