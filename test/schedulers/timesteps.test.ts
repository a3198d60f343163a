import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createScheduler, type DpmSolverPlusPlus2MScheduler, type EulerScheduler } from '../../src/generators/sd/schedulers/index.js';

const range = (n: number, f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));

test('DDIM timesteps: leading, trailing, linspace', () => {
  const s = createScheduler('ddim');
  s.setTimesteps(50);
  assert.deepEqual(
    s.timesteps,
    range(50, (i) => 981 - 20 * i),
  ); // 981, 961, ..., 1
  const tr = createScheduler('ddim', { timestep_spacing: 'trailing' });
  tr.setTimesteps(50);
  assert.deepEqual(
    tr.timesteps,
    range(50, (i) => 999 - 20 * i),
  ); // 999, ..., 19
  const ls = createScheduler('ddim', { timestep_spacing: 'linspace' });
  ls.setTimesteps(50);
  // numpy: np.linspace(0, 999, 50).round()[::-1][:5]
  assert.deepEqual(ls.timesteps.slice(0, 5), [999, 979, 958, 938, 917]);
  assert.equal(ls.timesteps[49], 0);
});

test('PNDM (PLMS) timesteps: 51 entries with the second one duplicated', () => {
  const s = createScheduler('pndm');
  s.setTimesteps(50);
  assert.equal(s.timesteps.length, 51);
  assert.deepEqual(s.timesteps.slice(0, 4), [981, 961, 961, 941]);
  assert.deepEqual(
    s.timesteps.slice(3),
    range(48, (i) => 941 - 20 * i),
  );
});

test('Euler timesteps, sigmas and init noise sigma', () => {
  const s = createScheduler('euler') as EulerScheduler;
  s.setTimesteps(50);
  assert.deepEqual(
    s.timesteps,
    range(50, (i) => 981 - 20 * i),
  );
  assert.equal(s.sigmas.length, 51);
  assert.equal(s.sigmas[50], 0);
  // numpy: sqrt((1 - abar_981) / abar_981) and sqrt(that^2 + 1)
  assert.ok(Math.abs((s.sigmas[0] as number) - 13.120410742553977) < 1e-9);
  assert.ok(Math.abs(s.initNoiseSigma - 13.158464122127848) < 1e-9);
  const ls = createScheduler('euler', { timestep_spacing: 'linspace' }) as EulerScheduler;
  ls.setTimesteps(50);
  assert.equal(ls.timesteps[0], 999);
  assert.ok(Math.abs((ls.timesteps[1] as number) - 978.61224) < 1e-4); // fractional timestep
  // np.interp at the float32 timestep 978.61224
  assert.ok(Math.abs((ls.sigmas[1] as number) - 12.936773065200642) < 1e-6);
  assert.ok(Math.abs(ls.initNoiseSigma - 14.614641229333639) < 1e-9); // sigma_max for linspace
  const scaled = ls.scaleModelInput(new Float32Array([2, -1]), 999);
  const c = Math.sqrt(14.614641229333639 ** 2 + 1);
  assert.ok(Math.abs((scaled[0] as number) - 2 / c) < 1e-6 && Math.abs((scaled[1] as number) + 1 / c) < 1e-6);
});

test('DPM++ 2M uses its own leading spacing', () => {
  const s = createScheduler('dpmpp2m') as DpmSolverPlusPlus2MScheduler;
  s.setTimesteps(20);
  // ratio = 1000 // 21 = 47: reverse(arange(21) * 47)[:-1] + 1
  assert.deepEqual(
    s.timesteps,
    range(20, (i) => 941 - 47 * i),
  );
  assert.equal(s.sigmas.length, 21);
  assert.equal(s.initNoiseSigma, 1);
  const ls = createScheduler('dpmpp2m', { timestep_spacing: 'linspace' });
  ls.setTimesteps(20);
  assert.deepEqual(ls.timesteps.slice(0, 5), [999, 949, 899, 849, 799]); // numpy linspace(0, 999, 21).round()[::-1][:-1]
});

test('bad step counts and out-of-order timesteps give clear errors', () => {
  const s = createScheduler('euler');
  assert.throws(() => s.setTimesteps(0), /steps 0 must be an integer in \[1, num_train_timesteps = 1000\]/);
  s.setTimesteps(10);
  const x = new Float32Array(2);
  assert.throws(() => s.step(x, 500, x), /timestep 500 is not one of/);
  s.step(x, s.timesteps[0] as number, x);
  assert.throws(() => s.step(x, s.timesteps[0] as number, x), /expected timestep .* but got/);
  const d = createScheduler('ddim');
  assert.throws(() => d.step(x, 1, x), /before setTimesteps/);
  d.setTimesteps(10);
  assert.throws(() => d.step(new Float32Array(3), 901, x), /3 values but the sample has 2/);
});
