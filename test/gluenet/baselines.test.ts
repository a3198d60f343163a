import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitLinearMap, fitLinearMaps, naivePlugIn } from '../../src/gluenet/baselines.js';
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

test('with fewer rows than features the dual ridge solution equals the primal one (bias unpenalised), for every ridge', async () => {
  const rng = new Rng(5);
  const n = 30;
  const din = 50;
  const dout = 4;
  const x = rng.fillNormal(new Float32Array(n * din));
  for (let k = 0; k < x.length; k++) x[k]! += 0.7 * ((k % din) / din); // non-zero feature means: the bias matters
  const y = rng.fillNormal(new Float32Array(n * dout));
  const ridges = [1e-3, 0.1, 10];
  const primal = await fitLinearMaps(x, y, n, din, dout, ridges, 'primal');
  const dual = await fitLinearMaps(x, y, n, din, dout, ridges, 'auto'); // n < din: the dual
  const probe = rng.fillNormal(new Float32Array(5 * din));
  for (const [i, ridge] of ridges.entries()) {
    const a = primal[i]!.apply(probe, 5);
    const b = dual[i]!.apply(probe, 5);
    const scale = Math.max(...a.map(Math.abs));
    a.forEach((v, k) => assert.ok(Math.abs(v - b[k]!) < 1e-3 * scale, `ridge ${ridge}: primal ${v} vs dual ${b[k]}`));
  }
  // Different ridges give different maps (the strength is applied, not ignored).
  assert.ok(Math.abs(dual[0]!.apply(probe, 1)[0]! - dual[2]!.apply(probe, 1)[0]!) > 1e-3);
});
