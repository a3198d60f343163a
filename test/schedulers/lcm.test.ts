/**
 * LCM against the LCM paper's formulas (Luo et al. 2023), written here as scalar float64 arithmetic:
 * the skipping-step timesteps, the consistency boundary-condition scalings, the multi-step sampling
 * with noise re-injection, and the errors.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createScheduler, type LcmScheduler, schedulerNameForConfig } from '../../src/generators/sd/schedulers/index.js';
import { Rng } from '../../src/util/rng.js';

// abar_t of Stable Diffusion: betas = linspace(sqrt(0.00085), sqrt(0.012), 1000)^2.
const ABAR: number[] = [];
{
  let p = 1;
  for (let i = 0; i < 1000; i++) {
    p *= 1 - (Math.sqrt(0.00085) + ((Math.sqrt(0.012) - Math.sqrt(0.00085)) * i) / 999) ** 2;
    ABAR.push(p);
  }
}

const LCM_CONFIG = { _class_name: 'LCMScheduler', set_alpha_to_one: true, original_inference_steps: 50, timestep_scaling: 10 };

test('LCM timesteps are the evenly spaced subset of the 50-step distillation schedule (diffusers: 4 steps = 999, 759, 499, 259)', () => {
  const s = createScheduler('lcm', LCM_CONFIG);
  s.setTimesteps(4);
  assert.deepEqual(s.timesteps, [999, 759, 499, 259]);
  s.setTimesteps(1);
  assert.deepEqual(s.timesteps, [999]);
  s.setTimesteps(8);
  assert.deepEqual(s.timesteps, [999, 879, 759, 639, 499, 379, 259, 139]);
  // A coarser distillation schedule: k = 1000 // 10 = 100, t_i = 100 i - 1.
  const coarse = createScheduler('lcm', { ...LCM_CONFIG, original_inference_steps: 10 });
  coarse.setTimesteps(5);
  assert.deepEqual(coarse.timesteps, [999, 799, 599, 399, 199]);
});

test('LCM boundary condition: c_skip(0) = 1, c_out(0) = 0, and the scalings follow sigma_data = 0.5, s = timestep_scaling', () => {
  const s = createScheduler('lcm', LCM_CONFIG) as LcmScheduler;
  assert.deepEqual(s.scalings(0), { cSkip: 1, cOut: 0 });
  for (const t of [1, 19, 259, 999]) {
    const st = 10 * t;
    const { cSkip, cOut } = s.scalings(t);
    assert.ok(Math.abs(cSkip - 0.25 / (st * st + 0.25)) < 1e-15, `c_skip(${t})`);
    assert.ok(Math.abs(cOut - st / Math.sqrt(st * st + 0.25)) < 1e-15, `c_out(${t})`);
  }
  const wide = createScheduler('lcm', { ...LCM_CONFIG, timestep_scaling: 1 }) as LcmScheduler;
  assert.ok(Math.abs(wide.scalings(1).cSkip - 0.25 / 1.25) < 1e-15);
});

test('LCM multi-step sampling: x_prev = sqrt(abar_prev) (c_skip x + c_out x0) + sqrt(1 - abar_prev) z, and the last step returns the consistency output', () => {
  const rng = new Rng(3);
  const n = 16;
  const s = createScheduler('lcm', LCM_CONFIG) as LcmScheduler;
  s.setTimesteps(4);
  let x = rng.fillNormal(new Float32Array(n));
  const noiseRng = new Rng(9);
  const replay = new Rng(9);
  for (let i = 0; i < 4; i++) {
    const t = s.timesteps[i]!;
    const eps = rng.fillNormal(new Float32Array(n));
    const out = s.step(eps, t, x, () => noiseRng.normal());
    const a = ABAR[t]!;
    const st = 10 * t;
    const cSkip = 0.25 / (st * st + 0.25);
    const cOut = st / Math.sqrt(st * st + 0.25);
    for (let k = 0; k < n; k++) {
      const x0 = (x[k]! - Math.sqrt(1 - a) * eps[k]!) / Math.sqrt(a);
      const f = cSkip * x[k]! + cOut * x0;
      let expected = f;
      if (i < 3) {
        const ap = ABAR[s.timesteps[i + 1]!]!;
        expected = Math.sqrt(ap) * f + Math.sqrt(1 - ap) * replay.normal();
      }
      assert.ok(Math.abs(out[k]! - expected) <= 1e-5 * (1 + Math.abs(expected)), `step ${i} [${k}]: got ${out[k]}, expected ${expected}`);
    }
    x = out;
  }
});

test('LCM with an exact x0 oracle lands on x0 (v and sample predictions too)', () => {
  const rng = new Rng(5);
  const n = 32;
  const x0 = rng.fillNormal(new Float32Array(n));
  for (const type of ['epsilon', 'v_prediction', 'sample'] as const) {
    const s = createScheduler('lcm', { ...LCM_CONFIG, prediction_type: type });
    s.setTimesteps(4);
    let x = rng.fillNormal(new Float32Array(n));
    for (const t of s.timesteps) {
      const a = ABAR[t]!;
      const out = x.map((v, k) => {
        const eps = (v - Math.sqrt(a) * x0[k]!) / Math.sqrt(1 - a);
        return type === 'epsilon' ? eps : type === 'sample' ? x0[k]! : Math.sqrt(a) * eps - Math.sqrt(1 - a) * x0[k]!;
      });
      x = s.step(out, t, x, () => rng.normal());
    }
    const err = Math.max(...x.map((v, k) => Math.abs(v - x0[k]!)));
    assert.ok(err < 1e-4, `${type}: max error ${err}`);
  }
});

test('LCM refuses bad steps, configs and calls with clear errors', () => {
  assert.equal(schedulerNameForConfig(LCM_CONFIG), 'lcm');
  const s = createScheduler('lcm', LCM_CONFIG);
  assert.throws(() => s.setTimesteps(51), /LCM number of inference steps 51 must be an integer in \[1, original_inference_steps = 50\]/);
  assert.throws(() => s.step(new Float32Array(2), 999, new Float32Array(2)), /before setTimesteps/);
  s.setTimesteps(2);
  assert.throws(() => s.step(new Float32Array(2), 999, new Float32Array(2)), /re-injects noise/);
  s.setTimesteps(2);
  assert.throws(() => s.step(new Float32Array(2), 500, new Float32Array(2), () => 0), /timestep 500 is not one of this LCM schedule's timesteps/);
  assert.throws(() => createScheduler('lcm', { original_inference_steps: 'fifty' }), /original_inference_steps.*expected a number/);
  assert.throws(() => createScheduler('lcm', { original_inference_steps: 0 }), /original_inference_steps 0 must be an integer/);
  assert.throws(() => createScheduler('lcm', { timestep_scaling: -1 }), /timestep_scaling -1 must be a number > 0/);
});
