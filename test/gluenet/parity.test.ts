/**
 * Numerical parity with PyTorch: three Adam steps of a tiny GlueNet (aligner + decoder +
 * discriminator, every loss term, BatchNorm called twice per step) from the same initial weights
 * on the same batches, for each arch. Reference made by scripts/fixtures/make_gluenet_parity.py.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gradients } from '../../src/engine/autodiff.js';
import { emitOnnx } from '../../src/engine/emit.js';
import { Graph, type Tensor } from '../../src/engine/ir.js';
import { serializeModel } from '../../src/engine/onnx/model.js';
import { type HostTensor, Session } from '../../src/engine/runtime.js';
import { Trainer } from '../../src/engine/trainer.js';
import { parseConfig } from '../../src/gluenet/config.js';
import { Aligner } from '../../src/gluenet/inference.js';
import { glueNetLoss } from '../../src/gluenet/losses.js';
import { readSafetensors, tensorToFloat32 } from '../../src/io/safetensors.js';

/** Tensors whose updates are round-off driven (zero true gradient) or follow such a tensor. */
const NOISE_ONLY = ['discriminator.net.0.bias', 'discriminator.net.1.running_mean'];

const dir = new URL('../../../test/fixtures/gluenet/', import.meta.url);

for (const name of ['noln', 'ln', 'w_head']) {
  test(`GlueNet ${name}: 3 training steps and inference match PyTorch`, async () => {
    const meta = JSON.parse(readFileSync(new URL(`parity-${name}.json`, dir), 'utf8'));
    const { tensors } = await readSafetensors(new URL(`parity-${name}.safetensors`, dir).pathname);
    const get = (k: string): Float32Array => tensorToFloat32(tensors.get(k)!, k);
    const cfg = parseConfig(meta.config);
    const g = new Graph(true);
    const terms = glueNetLoss(g, cfg);
    const init = new Map<string, Float32Array>();
    for (const k of [...g.params.keys(), ...g.buffers.keys()]) {
      assert.ok(tensors.has(`init.${k}`), `PyTorch has no parameter '${k}'`);
      init.set(k, get(`init.${k}`));
    }
    const torchNames = [...tensors.keys()].filter((k) => k.startsWith('init.')).map((k) => k.slice(5));
    assert.deepEqual(torchNames.sort(), [...init.keys()].sort(), 'same state-dict keys as PyTorch');
    const trainer = await Trainer.create(
      { graph: g, loss: terms.total, metrics: { distill: terms.distill, rec: terms.rec!, adv: terms.adv! }, optimizer: { kind: 'adam' } },
      init,
    );
    for (let s = 0; s < meta.steps.length; s++) {
      const x = tensors.get(`batch${s}.x`)!;
      const cond = tensors.get(`batch${s}.cond`)!;
      const r = await trainer.runStep({ x: { data: get(`batch${s}.x`), dims: x.shape }, cond: { data: get(`batch${s}.cond`), dims: cond.shape } }, meta.lr);
      for (const k of ['distill', 'rec', 'adv'] as const) {
        const want = meta.steps[s][k];
        const got = r[k]!;
        assert.ok(Math.abs(got - want) <= 2e-4 * Math.abs(want) + 1e-5, `step ${s} ${k}: ours ${got}, PyTorch ${want}`);
      }
    }
    // Weights after the steps. Adam divides by sqrt(v): an element whose gradient is pure round-off
    // (e.g. discriminator.net.0.bias, whose true gradient is 0 because BatchNorm follows) moves by
    // about lr either way in both frameworks. So: nearly every element within 2e-4, all within Adam's
    // bound of lr per step; the gradients themselves are compared exactly below.
    const w = trainer.weights();
    let total = 0;
    let off = 0;
    for (const [k, v] of w) {
      const ref = get(`final.${k}`);
      for (let i = 0; i < v.length; i++) {
        const err = Math.abs(v[i]! - ref[i]!);
        total++;
        if (err > 2e-4) off++;
        if (NOISE_ONLY.some((n) => k.startsWith(n))) continue;
        assert.ok(err <= meta.lr * meta.steps.length * 1.01 + 2e-4 || k.includes('running'), `${k}[${i}]: ours ${v[i]}, PyTorch ${ref[i]}`);
      }
    }
    assert.ok(off / total < 0.01, `${off} of ${total} weights differ from PyTorch by more than 2e-4 after ${meta.steps.length} steps`);
    await trainer.release();

    // Gradients of the first step, every parameter, against PyTorch's autograd.
    const g0 = new Graph(true);
    const t0 = glueNetLoss(g0, cfg);
    const params = [...g0.params.values()];
    const grads = gradients(
      t0.total,
      params.map((p) => p.tensor),
    );
    const outputs: Record<string, Tensor> = {};
    params.forEach((p, i) => (outputs[`grad.${p.name}`] = grads[i]!));
    const session = await Session.create(serializeModel(emitOnnx(g0, { outputs, weights: 'inputs' })));
    const feeds: Record<string, HostTensor> = {
      x: { data: get('batch0.x'), dims: tensors.get('batch0.x')!.shape },
      cond: { data: get('batch0.cond'), dims: tensors.get('batch0.cond')!.shape },
    };
    for (const [k, v] of init) if (session.input(k)) feeds[k] = { data: v, dims: [...(g0.params.get(k) ?? g0.buffers.get(k))!.shape] };
    const res = await session.run(feeds);
    let globalMax = 0;
    for (const p of params) for (const v of get(`grad0.${p.name}`)) globalMax = Math.max(globalMax, Math.abs(v));
    for (const p of params) {
      const ours = res[`grad.${p.name}`]!.data as Float32Array;
      const ref = get(`grad0.${p.name}`);
      if (p.name === 'discriminator.net.0.bias') {
        // True gradient is 0 (BatchNorm follows): both sides must be round-off small.
        for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(ours[i]!) < 1e-6 * globalMax && Math.abs(ref[i]!) < 1e-6 * globalMax);
        continue;
      }
      const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      for (let i = 0; i < ref.length; i++) {
        assert.ok(Math.abs(ours[i]! - ref[i]!) <= 1e-4 * scale + 1e-6, `d loss / d ${p.name}[${i}]: ours ${ours[i]}, PyTorch ${ref[i]} (max ${scale})`);
      }
    }
    await session.release();

    const probe = tensors.get('probe.x')!;
    const al = await Aligner.create(cfg, w);
    const out = await al.align(get('probe.x'), probe.shape[0]!);
    const ref = get('probe.aligned');
    for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(out[i]! - ref[i]!) < 1e-3 * (1 + Math.abs(ref[i]!)), `aligned[${i}]: ${out[i]} vs ${ref[i]}`);
    await al.release();
  });
}
