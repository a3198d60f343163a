import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GradientError, gradients } from '../../src/engine/autodiff.js';
import { conv } from '../../src/engine/functional.js';
import { Graph } from '../../src/engine/ir.js';
import { OP_DEFS } from '../../src/engine/ops.js';
import { evaluate, nd } from '../../src/engine/reference.js';
import { ShapeError } from '../../src/engine/shape.js';

test('shape errors are raised at build time, naming the op and both shapes', () => {
  const g = new Graph();
  const a = g.input('a', [2, 3]);
  const b = g.input('b', [4, 3]);
  assert.throws(
    () => a.add(b),
    (e: unknown) => e instanceof ShapeError && /Add: shapes \[2, 3\] and \[4, 3\] do not broadcast/.test((e as Error).message),
  );
  assert.throws(() => a.matmul(b), /MatMul: inner dims differ: \[2, 3\] @ \[4, 3\]/);
  assert.throws(() => a.reshape([5, -1]), /Reshape: cannot reshape \[2, 3\] to \[5, -1\]/);
  assert.throws(() => a.transpose([0, 0]), /Transpose: perm \[0,0\] is not a permutation/);
  assert.throws(() => a.slice(1, 2, 9), /Slice: range \[2, 9\) is invalid for axis 1 of \[2, 3\]/);
  const x = g.input('x', [1, 3, 8, 8]);
  const w = g.input('w', [4, 2, 3, 3]);
  assert.throws(() => conv(x, w, null), /Conv: input channels 3 != weight in-channels 2/);
  const s = g.input('s', ['batch', 3]);
  assert.throws(() => s.add(g.input('t', ['other', 3])), /do not broadcast \(axis 0: batch vs other\)/);
});

test('an op without a gradient rule fails loudly by name', () => {
  const saved = OP_DEFS.Exp.grad;
  try {
    delete (OP_DEFS.Exp as { grad?: unknown }).grad;
    const g = new Graph(true);
    const x = g.param('x', [3], { kind: 'const', value: 1 });
    const loss = x.exp().sum([0]);
    assert.throws(
      () => gradients(loss, [x]),
      (e: unknown) => e instanceof GradientError && /op 'Exp' has no gradient rule/.test((e as Error).message),
    );
  } finally {
    (OP_DEFS.Exp as { grad?: unknown }).grad = saved;
  }
});

test('a tensor used several times accumulates every gradient contribution', () => {
  const g = new Graph(true);
  const x = g.input('x', [2]);
  // f = x*x + 3x + x  ->  df/dx = 2x + 4
  const f = x.mul(x).add(x.mul(3)).add(x).sum([0]);
  const [gx] = gradients(f, [x]);
  assert.ok(gx);
  const [v] = evaluate(g, { x: nd([2], [1.5, -2]) }, [gx]);
  assert.deepEqual([...v!.data], [7, 0]);
});

test('the loss must be a scalar unless a seed gradient is given', () => {
  const g = new Graph(true);
  const x = g.input('x', [2]);
  assert.throws(() => gradients(x.mul(2), [x]), /the loss must be a scalar/);
});
