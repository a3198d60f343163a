/**
 * One-step and multistep updates against the published formulas, written here as scalar float64
 * arithmetic (independent of the vectorised scheduler code).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createScheduler, type PredictionType } from '../../src/generators/sd/schedulers/index.js';
import { Rng } from '../../src/util/rng.js';

// abar_t of Stable Diffusion: betas = linspace(sqrt(0.00085), sqrt(0.012), 1000)^2.
const ABAR: number[] = [];
{
  let p = 1;
  for (let i = 0; i < 1000; i++) {
    const b = (Math.sqrt(0.00085) + ((Math.sqrt(0.012) - Math.sqrt(0.00085)) * i) / 999) ** 2;
    p *= 1 - b;
    ABAR.push(p);
  }
}
const abar = (t: number): number => (t >= 0 ? (ABAR[t] as number) : (ABAR[0] as number)); // set_alpha_to_one false
const sigmaOf = (t: number): number => Math.sqrt((1 - abar(t)) / abar(t));

function randomVec(rng: Rng, n: number): Float32Array {
  return rng.fillNormal(new Float32Array(n));
}

function assertClose(actual: Float32Array, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i] as number;
    const d = Math.abs((actual[i] as number) - e);
    assert.ok(d <= tol * (1 + Math.abs(e)), `${what}[${i}]: got ${actual[i]}, expected ${e}`);
  }
}

const N = 16;

test('DDIM eta=0 step matches eq. (12) for epsilon, and v / x0 predictions of the same state agree', () => {
  const rng = new Rng(1);
  const x0 = randomVec(rng, N);
  const eps = randomVec(rng, N);
  const t = 981;
  const tp = 961;
  const a = abar(t);
  const x = x0.map((v, i) => Math.sqrt(a) * v + Math.sqrt(1 - a) * (eps[i] as number));
  const expected = Array.from(x, (_, i) => Math.sqrt(abar(tp)) * (x0[i] as number) + Math.sqrt(1 - abar(tp)) * (eps[i] as number));
  const outputs: Record<PredictionType, Float32Array> = {
    epsilon: eps,
    v_prediction: x0.map((v, i) => Math.sqrt(a) * (eps[i] as number) - Math.sqrt(1 - a) * v),
    sample: x0,
  };
  for (const type of ['epsilon', 'v_prediction', 'sample'] as const) {
    const s = createScheduler('ddim', { prediction_type: type });
    s.setTimesteps(50);
    assertClose(s.step(outputs[type], t, x), expected, 2e-5, `ddim ${type}`);
  }
});

test('DDIM eta>0 adds sigma_t z with sigma_t = eta sqrt((1-abar_prev)/(1-abar_t) (1 - abar_t/abar_prev))', () => {
  const rng = new Rng(2);
  const x = randomVec(rng, N);
  const eps = randomVec(rng, N);
  const z = Array.from(randomVec(rng, N));
  const eta = 0.7;
  const t = 501;
  const tp = 481;
  const at = abar(t);
  const ap = abar(tp);
  const sig = eta * Math.sqrt(((1 - ap) / (1 - at)) * (1 - at / ap));
  const expected = Array.from(x, (xv, i) => {
    const x0 = (xv - Math.sqrt(1 - at) * (eps[i] as number)) / Math.sqrt(at);
    return Math.sqrt(ap) * x0 + Math.sqrt(1 - ap - sig * sig) * (eps[i] as number) + sig * (z[i] as number);
  });
  const s = createScheduler('ddim', {}, { eta });
  s.setTimesteps(50);
  let k = 0;
  assertClose(
    s.step(eps, t, x, () => z[k++] as number),
    expected,
    2e-5,
    'ddim eta',
  );
  assert.throws(() => s.step(eps, t, x), /needs a noise source/);
});

test('DDIM clip_sample clamps the predicted x0; the final step uses abar_0 (set_alpha_to_one false)', () => {
  const x = new Float32Array([3, -3, 0.5]);
  const eps = new Float32Array([0, 0, 0]);
  const s = createScheduler('ddim', { clip_sample: true });
  s.setTimesteps(50);
  // eps = 0: x0 = x / sqrt(abar_1), clamped to [-1, 1]; x_prev = sqrt(abar_0) x0.
  const x0 = Array.from(x, (v) => Math.max(-1, Math.min(1, v / Math.sqrt(abar(1)))));
  assertClose(
    s.step(eps, 1, x),
    x0.map((v) => Math.sqrt(abar(0)) * v),
    1e-6,
    'clip',
  );
});

/** The PLMS transfer of the paper, eq. (11). */
function plmsPhi(x: number, t: number, tp: number, e: number): number {
  const at = abar(t);
  const ap = abar(tp);
  return Math.sqrt(ap / at) * x - ((ap - at) * e) / (at * Math.sqrt(1 - ap) + Math.sqrt(at * (1 - at) * ap));
}

test('the PLMS transfer equals the deterministic DDIM update', () => {
  const [x0, e, t, tp] = [0.3, -1.2, 741, 721];
  const x = Math.sqrt(abar(t)) * x0 + Math.sqrt(1 - abar(t)) * e;
  assert.ok(Math.abs(plmsPhi(x, t, tp, e) - (Math.sqrt(abar(tp)) * x0 + Math.sqrt(1 - abar(tp)) * e)) < 1e-12);
});

test('PNDM: warm-up re-step at the duplicated timestep, then 2nd/3rd/4th-order multistep', () => {
  const rng = new Rng(3);
  const s = createScheduler('pndm');
  s.setTimesteps(50);
  const steps = 7;
  const outs = Array.from({ length: steps }, () => randomVec(rng, N));
  const xStart = randomVec(rng, N);
  let x = xStart;
  const got: Float32Array[] = [];
  for (let k = 0; k < steps; k++) {
    x = s.step(outs[k] as Float32Array, s.timesteps[k] as number, x);
    got.push(x);
  }
  // Scalar reference per element. Timesteps: 981, 961(dup), 961, 941, 921, 901, 881.
  for (let i = 0; i < N; i++) {
    const E = outs.map((o) => o[i] as number);
    const x1 = plmsPhi(xStart[i] as number, 981, 961, E[0]!);
    const x2 = plmsPhi(xStart[i] as number, 981, 961, (E[0]! + E[1]!) / 2); // redo from the saved sample
    // The duplicated step's output is not kept: the history is E0, E2, E3, ...
    const x3 = plmsPhi(x2, 961, 941, (3 * E[2]! - E[0]!) / 2);
    const x4 = plmsPhi(x3, 941, 921, (23 * E[3]! - 16 * E[2]! + 5 * E[0]!) / 12);
    const x5 = plmsPhi(x4, 921, 901, (55 * E[4]! - 59 * E[3]! + 37 * E[2]! - 9 * E[0]!) / 24);
    const x6 = plmsPhi(x5, 901, 881, (55 * E[5]! - 59 * E[4]! + 37 * E[3]! - 9 * E[2]!) / 24);
    const x7 = plmsPhi(x6, 881, 861, (55 * E[6]! - 59 * E[5]! + 37 * E[4]! - 9 * E[3]!) / 24);
    [x1, x2, x3, x4, x5, x6, x7].forEach((v, k) => {
      const d = Math.abs((got[k]![i] as number) - v);
      assert.ok(d < 1e-4 * (1 + Math.abs(v)), `pndm step ${k} [${i}]: got ${got[k]![i]}, expected ${v}`);
    });
  }
});

test('Euler step: x0 = x - sigma eps, x_next = x + (x - x0)/sigma (sigma_next - sigma); v and x0 agree', () => {
  const rng = new Rng(4);
  const x0 = randomVec(rng, N);
  const eps = randomVec(rng, N);
  const sig = sigmaOf(981);
  const sigNext = sigmaOf(961);
  const c = Math.sqrt(sig * sig + 1);
  const x = x0.map((v, i) => v + sig * (eps[i] as number));
  const expected = Array.from(x, (xv, i) => xv + ((xv - (xv - sig * (eps[i] as number))) / sig) * (sigNext - sig));
  // v refers to the VP input x/c: sqrt(abar) = 1/c, sqrt(1 - abar) = sigma/c.
  const outputs: Record<PredictionType, Float32Array> = {
    epsilon: eps,
    v_prediction: x0.map((v, i) => (eps[i] as number) / c - (sig / c) * v),
    sample: x0,
  };
  for (const type of ['epsilon', 'v_prediction', 'sample'] as const) {
    const s = createScheduler('euler', { prediction_type: type });
    s.setTimesteps(50);
    assertClose(s.step(outputs[type], 981, x), expected, 2e-5, `euler ${type}`);
  }
});

test('DPM++ 2M: first order, then second order midpoint, last step first order to sigma 0', () => {
  const rng = new Rng(5);
  const s = createScheduler('dpmpp2m');
  s.setTimesteps(5); // ratio 1000 // 6 = 166: 831, 665, 499, 333, 167
  assert.deepEqual(s.timesteps, [831, 665, 499, 333, 167]);
  const outs = Array.from({ length: 5 }, () => randomVec(rng, N));
  const xStart = randomVec(rng, N);
  let x = xStart;
  const got: Float32Array[] = [];
  for (let k = 0; k < 5; k++) {
    x = s.step(outs[k] as Float32Array, s.timesteps[k] as number, x);
    got.push(x);
  }
  const sigmas = [...s.timesteps.map(sigmaOf), 0];
  const alphaT = (sg: number): number => 1 / Math.sqrt(sg * sg + 1);
  const sigmaT = (sg: number): number => sg / Math.sqrt(sg * sg + 1);
  const lambda = (sg: number): number => Math.log(alphaT(sg)) - Math.log(sigmaT(sg));
  for (let i = 0; i < N; i++) {
    let xv = xStart[i] as number;
    let mPrev = 0;
    for (let k = 0; k < 5; k++) {
      const s0 = sigmas[k]!;
      const st = sigmas[k + 1]!;
      const m0 = (xv - sigmaT(s0) * outs[k]![i]!) / alphaT(s0);
      const h = lambda(st) - lambda(s0); // +inf at the last step
      const em1 = Math.exp(-h) - 1;
      if (k === 0 || k === 4) {
        xv = (sigmaT(st) / sigmaT(s0)) * xv - alphaT(st) * em1 * m0;
      } else {
        const r0 = (lambda(s0) - lambda(sigmas[k - 1]!)) / h;
        const d1 = (m0 - mPrev) / r0;
        xv = (sigmaT(st) / sigmaT(s0)) * xv - alphaT(st) * em1 * m0 - 0.5 * alphaT(st) * em1 * d1;
      }
      mPrev = m0;
      const d = Math.abs((got[k]![i] as number) - xv);
      assert.ok(d < 1e-4 * (1 + Math.abs(xv)), `dpm step ${k} [${i}]: got ${got[k]![i]}, expected ${xv}`);
    }
    // The last step lands on the data prediction itself.
    assert.ok(Math.abs(got[4]![i]! - (got[3]![i]! - sigmaT(sigmas[4]!) * outs[4]![i]!) / alphaT(sigmas[4]!)) < 1e-4);
  }
});

test('addNoise: VP for DDIM/PNDM/DPM++, VE (x0 + sigma noise) for Euler', () => {
  const x0 = new Float32Array([1, -2]);
  const n = new Float32Array([0.5, 0.25]);
  const t = 500;
  const vp = [Math.sqrt(abar(t)) * 1 + Math.sqrt(1 - abar(t)) * 0.5, -2 * Math.sqrt(abar(t)) + Math.sqrt(1 - abar(t)) * 0.25];
  for (const name of ['ddim', 'pndm', 'dpmpp2m'] as const) assertClose(createScheduler(name).addNoise(x0, n, t), vp, 1e-6, name);
  assertClose(createScheduler('euler').addNoise(x0, n, t), [1 + sigmaOf(t) * 0.5, -2 + sigmaOf(t) * 0.25], 1e-6, 'euler');
  assert.throws(() => createScheduler('ddim').addNoise(x0, n, 1000), /timestep 1000 is not an integer training timestep/);
});
