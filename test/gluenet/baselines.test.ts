import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitLinearMap, naivePlugIn } from '../../src/gluenet/baselines.js';
import { Rng } from '../../src/util/rng.js';

test('least-squares linear map recovers an exact affine map', async () => {
  const rng = new Rng(2);
  const n = 200;
  const din = 12;
  const dout = 5;
  const w = rng.fillNormal(new Float32Array(din * dout));
  const b = rng.fillNormal(new Float32Array(dout));
  const x = rng.fillNormal(new Float32Array(n * din));
  const y = new Float32Array(n * dout);
  for (let r = 0; r < n; r++)
    for (let j = 0; j < dout; j++) {
      let s = b[j]!;
      for (let i = 0; i < din; i++) s += x[r * din + i]! * w[i * dout + j]!;
      y[r * dout + j] = s;
    }
  const map = await fitLinearMap(x, y, n, din, dout, 1e-9);
  const test = rng.fillNormal(new Float32Array(3 * din));
  const got = map.apply(test, 3);
  for (let r = 0; r < 3; r++)
    for (let j = 0; j < dout; j++) {
      let s = b[j]!;
      for (let i = 0; i < din; i++) s += test[r * din + i]! * w[i * dout + j]!;
      assert.ok(Math.abs(got[r * dout + j]! - s) < 1e-3 * (1 + Math.abs(s)), `${got[r * dout + j]} vs ${s}`);
    }
});

test('naive plug-in pads and truncates tokens and widths', () => {
  const x = Float32Array.from({ length: 2 * 3 * 2 }, (_, i) => i + 1); // [2, 3, 2]
  const y = naivePlugIn(x, 2, 3, 2, 2, 3); // -> [2, 2, 3]
  assert.deepEqual([...y], [1, 2, 0, 3, 4, 0, 7, 8, 0, 9, 10, 0]);
});
