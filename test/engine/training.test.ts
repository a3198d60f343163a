import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gradients } from '../../src/engine/autodiff.js';
import { compileTrainStep } from '../../src/engine/compile.js';
import { crossEntropy, gelu, mse } from '../../src/engine/functional.js';
import { initWeights } from '../../src/engine/init.js';
import { Graph } from '../../src/engine/ir.js';
import type { OptimizerConfig } from '../../src/engine/optim.js';
import { evaluate, nd } from '../../src/engine/reference.js';
import { NonFiniteLossError, Trainer } from '../../src/engine/trainer.js';
import { BatchNorm, LayerNorm, Linear } from '../../src/nn/layers.js';
import { Rng } from '../../src/util/rng.js';

/** loss = 0.5 * sum((p - target)^2), so the gradient is p - target. */
function quadratic(optimizer: OptimizerConfig, p0: number[], target: number[]): { g: Graph; spec: Parameters<typeof Trainer.create>[0] } {
  const g = new Graph(true);
  const p = g.param('p', [p0.length], { kind: 'const', value: 0 });
  const t = g.input('target', [target.length]);
  const d = p.sub(t);
  const loss = d.mul(d).sum([0]).mul(0.5);
  return { g, spec: { graph: g, loss, optimizer } };
}

test('Adam: first three steps equal a hand-computed PyTorch-semantics reference', async () => {
  const p0 = [0.5, -1.25, 2.0];
  const target = [0.1, 0.2, -0.3];
  const lr = 0.1;
  const { spec } = quadratic({ kind: 'adam' }, p0, target);
  const trainer = await Trainer.create(spec, new Map([['p', Float32Array.from(p0)]]));
  // Reference: torch.optim.Adam (betas 0.9/0.999, eps 1e-8 added after sqrt(v)/sqrt(bc2)).
  const p = [...p0];
  const m = [0, 0, 0];
  const v = [0, 0, 0];
  for (let step = 1; step <= 3; step++) {
    await trainer.runStep({ target: { data: Float32Array.from(target), dims: [3] } }, lr);
    for (let i = 0; i < 3; i++) {
      const grad = p[i]! - target[i]!;
      m[i] = 0.9 * m[i]! + 0.1 * grad;
      v[i] = 0.999 * v[i]! + 0.001 * grad * grad;
      const bc1 = 1 - 0.9 ** step;
      const bc2 = 1 - 0.999 ** step;
      p[i] = p[i]! - (lr / bc1) * (m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(bc2) + 1e-8));
    }
    const got = trainer.weights().get('p')!;
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(got[i]! - p[i]!) < 1e-6, `step ${step} p[${i}]: ${got[i]} vs ${p[i]}`);
  }
  await trainer.release();
});

test('AdamW decays decoupled from the gradient; SGD momentum matches PyTorch', async () => {
  const target = [1, -1];
  {
    const { spec } = quadratic({ kind: 'adamw', weightDecay: 0.1 }, [2, 3], target);
    const tr = await Trainer.create(spec, new Map([['p', Float32Array.of(2, 3)]]));
    await tr.runStep({ target: { data: Float32Array.from(target), dims: [2] } }, 0.01);
    // Step 1: p*(1 - lr wd) - lr * sign-like ratio m/(sqrt v + eps) where m/sqrt(v) = grad/|grad| after bias correction.
    const exp = [2 * (1 - 0.001) - 0.01 * 1, 3 * (1 - 0.001) - 0.01 * 1];
    const got = tr.weights().get('p')!;
    exp.forEach((e, i) => assert.ok(Math.abs(got[i]! - e) < 1e-6, `adamw p[${i}] ${got[i]} vs ${e}`));
    await tr.release();
  }
  {
    const { spec } = quadratic({ kind: 'sgd', momentum: 0.9 }, [2], [0]);
    const tr = await Trainer.create(spec, new Map([['p', Float32Array.of(2)]]));
    let p = 2;
    let buf = 0;
    for (let s = 0; s < 3; s++) {
      await tr.runStep({ target: { data: Float32Array.of(0), dims: [1] } }, 0.1);
      buf = 0.9 * buf + p;
      p -= 0.1 * buf;
      assert.ok(Math.abs(tr.weights().get('p')![0]! - p) < 1e-6);
    }
    await tr.release();
  }
});

function mlpSpec(hidden: number, lr: number): { graph: Graph; loss: ReturnType<typeof mse> } {
  void lr;
  const g = new Graph(true);
  const x = g.input('x', ['batch', 2]);
  const y = g.input('y', ['batch', 1]);
  const h = gelu(new Linear('0', 2, hidden).forward(x));
  const out = new Linear('1', hidden, 1).forward(h);
  return { graph: g, loss: mse(out, y) };
}

test('a small MLP learns XOR; the same seed gives identical parameters', async () => {
  const xs = Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1);
  const ys = Float32Array.of(0, 1, 1, 0);
  const run = async (): Promise<{ loss: number; w: Float32Array }> => {
    const { graph, loss } = mlpSpec(16, 0.05);
    const tr = await Trainer.create({ graph, loss, optimizer: { kind: 'adam' } }, initWeights(graph, 7));
    let last = Infinity;
    for (let i = 0; i < 300; i++) last = (await tr.runStep({ x: { data: xs, dims: [4, 2] }, y: { data: ys, dims: [4, 1] } }, 0.03)).loss!;
    const w = Float32Array.from(tr.weights().get('0.weight')!);
    await tr.release();
    return { loss: last, w };
  };
  const a = await run();
  const b = await run();
  assert.ok(a.loss < 0.01, `XOR loss after 300 steps: ${a.loss}`);
  assert.deepEqual(a.w, b.w);
});

test('an MLP fits a nonlinear regression target with gradient clipping', async () => {
  const rng = new Rng(3);
  const n = 64;
  const x = new Float32Array(n * 2);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = rng.range(-2, 2);
    x[2 * i + 1] = rng.range(-2, 2);
    y[i] = Math.sin(x[2 * i]!) * x[2 * i + 1]!;
  }
  const { graph, loss } = mlpSpec(32, 0);
  const tr = await Trainer.create({ graph, loss, optimizer: { kind: 'adam' }, clipGradNorm: 1 }, initWeights(graph, 1));
  const first = (await tr.runStep({ x: { data: x, dims: [n, 2] }, y: { data: y, dims: [n, 1] } }, 0.01)).loss!;
  let last = first;
  let norm = 0;
  for (let i = 0; i < 400; i++) {
    const r = await tr.runStep({ x: { data: x, dims: [n, 2] }, y: { data: y, dims: [n, 1] } }, 0.01);
    last = r.loss!;
    norm = r.grad_norm!;
  }
  assert.ok(last < first * 0.1, `regression loss ${first} -> ${last}`);
  assert.ok(Number.isFinite(norm) && norm > 0);
  await tr.release();
});

test('a NaN loss is reported with its step and the weights stay at the last good values', async () => {
  const { spec } = quadratic({ kind: 'adam' }, [1], [0]);
  const tr = await Trainer.create(spec, new Map([['p', Float32Array.of(1)]]));
  await tr.runStep({ target: { data: Float32Array.of(0), dims: [1] } }, 0.1);
  const good = tr.weights().get('p')![0];
  await assert.rejects(tr.runStep({ target: { data: Float32Array.of(NaN), dims: [1] } }, 0.1), (e: unknown) => {
    assert.ok(e instanceof NonFiniteLossError);
    assert.equal(e.step, 2);
    return true;
  });
  assert.equal(tr.weights().get('p')![0], good);
  assert.equal(tr.step, 1);
  await tr.release();
});

test('BatchNorm in training: batch statistics, chained running-stat updates as PyTorch', async () => {
  const g = new Graph(true);
  const x = g.input('x', ['n', 3]);
  const bn = new BatchNorm('bn', 3);
  const y1 = bn.forward(x);
  const y2 = bn.forward(x.mul(2));
  const loss = y1.mul(y2).mean([0, 1]);
  const rng = new Rng(5);
  const xv = rng.fillNormal(new Float32Array(12));
  const tr = await Trainer.create({ graph: g, loss, optimizer: { kind: 'sgd' } }, initWeights(g, 0));
  await tr.runStep({ x: { data: xv, dims: [4, 3] } }, 0);
  const rm = tr.weights().get('bn.running_mean')!;
  const rv = tr.weights().get('bn.running_var')!;
  for (let c = 0; c < 3; c++) {
    const col = [0, 1, 2, 3].map((i) => xv[i * 3 + c]!);
    const mean = col.reduce((a, b) => a + b) / 4;
    const uvar = col.reduce((a, b) => a + (b - mean) ** 2, 0) / 3;
    // Two updates: with x, then with 2x (mean 2m, unbiased var 4v).
    const m1 = 0.1 * mean;
    const v1 = 0.9 + 0.1 * uvar;
    const m2 = 0.9 * m1 + 0.1 * 2 * mean;
    const v2 = 0.9 * v1 + 0.1 * 4 * uvar;
    assert.ok(Math.abs(rm[c]! - m2) < 1e-5, `running_mean[${c}] ${rm[c]} vs ${m2}`);
    assert.ok(Math.abs(rv[c]! - v2) < 1e-5, `running_var[${c}] ${rv[c]} vs ${v2}`);
  }
  assert.equal(tr.weights().get('bn.num_batches_tracked')![0], 2);
  await tr.release();
});

test('gradient reversal flips the sign of the gradient of the branch behind it only', () => {
  const g = new Graph(true);
  const x = g.input('x', [3]);
  const a = x.mul(x).sum([0]);
  const b = x.gradReverse(0.1).mul(3).sum([0]);
  const [ga] = gradients(a.add(b), [x]);
  const [gOnlyB] = gradients(b, [x]);
  const [v, vb] = evaluate(g, { x: nd([3], [1, 2, 3]) }, [ga!, gOnlyB!]);
  assert.deepEqual(
    [...vb!.data].map((t) => Math.round(t * 1e6) / 1e6),
    [-0.3, -0.3, -0.3],
  );
  assert.deepEqual(
    [...v!.data].map((t) => Math.round(t * 1e6) / 1e6),
    [2 - 0.3, 4 - 0.3, 6 - 0.3],
  );
});

test('cross-entropy training of a classifier reaches high accuracy', async () => {
  const g = new Graph(true);
  const x = g.input('x', ['batch', 2]);
  const t = g.input('t', ['batch', 3]);
  const logits = new Linear('out', 16, 3).forward(gelu(new Linear('h', 2, 16).forward(x)));
  const loss = crossEntropy(logits, t);
  const tr = await Trainer.create({ graph: g, loss, optimizer: { kind: 'adam' } }, initWeights(g, 2));
  const rng = new Rng(9);
  const n = 96;
  const xv = new Float32Array(n * 2);
  const tv = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const k = i % 3;
    const ang = (2 * Math.PI * k) / 3;
    xv[2 * i] = Math.cos(ang) + 0.3 * rng.normal();
    xv[2 * i + 1] = Math.sin(ang) + 0.3 * rng.normal();
    tv[3 * i + k] = 1;
  }
  let loss0 = 0;
  let lossN = 0;
  for (let s = 0; s < 150; s++) {
    const r = await tr.runStep({ x: { data: xv, dims: [n, 2] }, t: { data: tv, dims: [n, 3] } }, 0.02);
    if (s === 0) loss0 = r.loss!;
    lossN = r.loss!;
  }
  assert.ok(lossN < 0.25 && lossN < loss0 / 3, `CE ${loss0} -> ${lossN}`);
  await tr.release();
});

test('frozen parameters are fed but never updated; trainable ones still learn', async () => {
  const g = new Graph(true);
  const x = g.input('x', ['batch', 2]);
  const y = g.input('y', ['batch', 1]);
  const frozen = g.param('frozen', [2, 2], { kind: 'const', value: 0.5 }, false);
  const out = new Linear('head', 2, 1).forward(x.matmul(frozen));
  const tr = await Trainer.create({ graph: g, loss: mse(out, y), optimizer: { kind: 'adam' } }, initWeights(g, 3));
  const batch = { x: { data: Float32Array.of(1, 2, 3, 4), dims: [2, 2] }, y: { data: Float32Array.of(1, -1), dims: [2, 1] } };
  const w0 = Float32Array.from(tr.weights().get('head.weight')!);
  for (let i = 0; i < 5; i++) await tr.runStep(batch, 0.05);
  assert.deepEqual([...tr.weights().get('frozen')!], [0.5, 0.5, 0.5, 0.5]);
  assert.notDeepEqual(tr.weights().get('head.weight'), w0);
  assert.ok(!tr.layout.params.includes('frozen') && tr.layout.frozen.includes('frozen'));
  await tr.release();
});

/** Linear -> LayerNorm -> GELU -> Linear -> BatchNorm -> Linear, regression on [n, 3] -> [n, 2]. */
function mixedSpec(inPlace: boolean | 'state' | undefined): Parameters<typeof Trainer.create>[0] {
  const g = new Graph(true);
  const x = g.input('x', ['batch', 3]);
  const y = g.input('y', ['batch', 2]);
  let h = gelu(new LayerNorm('ln', 8).forward(new Linear('0', 3, 8).forward(x)));
  h = new BatchNorm('bn', 8).forward(new Linear('1', 8, 8).forward(h));
  return { graph: g, loss: mse(new Linear('2', 8, 2).forward(h), y), optimizer: { kind: 'adam' }, ...(inPlace === undefined ? {} : { inPlace }) };
}

test('in-place updates: Adam state, biases and buffers overwrite their inputs; weights the backward pass still reads do not', () => {
  const { layout } = compileTrainStep(mixedSpec(undefined));
  const inPlace = new Set(layout.inPlace);
  for (const p of layout.params) for (const s of layout.slots) assert.ok(inPlace.has(`${p}.${s}`), `${p}.${s} should update in place`);
  for (const b of ['0.bias', '1.bias', '2.bias', 'ln.bias', 'bn.running_mean', 'bn.running_var']) assert.ok(inPlace.has(b), `${b} should update in place`);
  // dX of layers 1 and 2 (and LayerNorm's backward) read these after their gradient exists.
  for (const w of ['1.weight', '2.weight', 'ln.weight']) assert.ok(!inPlace.has(w), `${w} must be double-buffered`);
  // Layer 0's input needs no gradient, so nothing reads its weight after the update could run.
  assert.ok(inPlace.has('0.weight'));
  assert.deepEqual(compileTrainStep(mixedSpec(false)).layout.inPlace, []);
  assert.ok(compileTrainStep(mixedSpec('state')).layout.inPlace.every((n) => !layout.params.includes(n)));
});

test('in-place and double-buffered training steps give bit-identical weights and optimizer state', async () => {
  const rng = new Rng(11);
  const n = 16;
  const batch = {
    x: { data: rng.fillNormal(new Float32Array(n * 3)), dims: [n, 3] },
    y: { data: rng.fillNormal(new Float32Array(n * 2)), dims: [n, 2] },
  };
  const run = async (inPlace: boolean): Promise<Map<string, Float32Array>> => {
    const spec = mixedSpec(inPlace);
    const tr = await Trainer.create(spec, initWeights(spec.graph, 3));
    for (let i = 0; i < 5; i++) await tr.runStep(batch, 0.01);
    const st = tr.getState();
    await tr.release();
    return new Map([...st.weights, ...st.optimizer]);
  };
  const a = await run(true);
  const b = await run(false);
  assert.equal(a.size, b.size);
  for (const [k, v] of b) assert.deepEqual(a.get(k), v, `${k} differs between in-place and double-buffered updates`);
  // A non-finite step changes nothing, in place or not.
  const spec = mixedSpec(true);
  const tr = await Trainer.create(spec, initWeights(spec.graph, 3));
  await tr.runStep(batch, 0.01);
  const before = tr.getState();
  const bad = { x: batch.x, y: { data: new Float32Array(n * 2).fill(Infinity), dims: [n, 2] } };
  await assert.rejects(tr.runStep(bad, 0.01), NonFiniteLossError);
  const after = tr.getState();
  for (const [k, v] of [...before.weights, ...before.optimizer])
    assert.deepEqual(after.weights.get(k) ?? after.optimizer.get(k), v, `${k} changed by a discarded step`);
  await tr.release();
});
