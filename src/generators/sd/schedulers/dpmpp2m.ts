/**
 * DPM-Solver++ 2M (Lu et al. 2022, "DPM-Solver++: Fast Solver for Guided Sampling of Diffusion
 * Probabilistic Models", Algorithm 2, midpoint form), as diffusers' DPMSolverMultistepScheduler with
 * algorithm_type 'dpmsolver++', solver_order 2, final_sigmas_type 'zero' (so the last step is first
 * order). It works on VP samples (init sigma 1, no input scaling) but steps in sigma space.
 */
import {
  addNoiseVp,
  checkNumSteps,
  checkSameLength,
  interpTable,
  noiseSchedule,
  type Scheduler,
  type SchedulerConfig,
  sigmasFromAlphasCumprod,
} from './common.js';
import { roundHalfEven } from './ddim.js';

export class DpmSolverPlusPlus2MScheduler implements Scheduler {
  readonly name = 'dpmpp2m';
  readonly initNoiseSigma = 1;
  readonly config: Readonly<SchedulerConfig>;
  readonly trainSigmas: Float64Array;
  readonly alphasCumprod: Float64Array;
  timesteps: number[] = [];
  /** VE sigma at each inference timestep, then a final 0. */
  sigmas: number[] = [];
  private stepIndex: number | null = null;
  /** Data predictions x0 of the previous step (m1) — the solver's memory. */
  private previousX0: Float64Array | null = null;

  constructor(config: SchedulerConfig) {
    this.config = config;
    this.alphasCumprod = noiseSchedule(config).alphasCumprod;
    this.trainSigmas = sigmasFromAlphasCumprod(this.alphasCumprod);
  }

  setTimesteps(numSteps: number): void {
    const T = this.config.num_train_timesteps;
    checkNumSteps(numSteps, T);
    const ts: number[] = [];
    if (this.config.timestep_spacing === 'leading') {
      // Its own spacing: N+1 points with stride T // (N+1), the smallest dropped.
      const ratio = Math.floor(T / (numSteps + 1));
      for (let i = numSteps; i >= 1; i--) ts.push(i * ratio + this.config.steps_offset);
    } else if (this.config.timestep_spacing === 'linspace') {
      // np.linspace(0, T-1, N+1).round()[::-1][:-1]
      for (let i = numSteps; i >= 1; i--) ts.push(roundHalfEven(((T - 1) * i) / numSteps));
    } else {
      const ratio = T / numSteps;
      for (let i = 0; i < numSteps; i++) ts.push(roundHalfEven(T - i * ratio) - 1);
    }
    this.timesteps = ts;
    this.sigmas = [...ts.map((t) => interpTable(this.trainSigmas, t)), 0];
    this.stepIndex = null;
    this.previousX0 = null;
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  private indexOf(t: number): number {
    if (this.timesteps.length === 0) throw new Error('DPM++ 2M used before setTimesteps(); set the number of steps first');
    if (this.stepIndex === null) {
      const i = this.timesteps.indexOf(t);
      if (i < 0) throw new Error(`timestep ${t} is not one of this DPM++ 2M schedule's timesteps (${this.timesteps.slice(0, 3).join(', ')}, ...)`);
      this.stepIndex = i;
    }
    if (this.stepIndex >= this.timesteps.length) {
      throw new Error('DPM++ 2M step() called after the last timestep; call setTimesteps() to start a new run');
    }
    const expected = this.timesteps[this.stepIndex] as number;
    if (expected !== t) throw new Error(`DPM++ 2M expected timestep ${expected} (step ${this.stepIndex}) but got ${t}; step through timesteps in order`);
    return this.stepIndex;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array): Float32Array {
    const i = this.indexOf(t);
    checkSameLength('model output', modelOutput, sample.length);
    const n = sample.length;
    // alpha_t = 1 / sqrt(sigma^2 + 1), sigma_t = sigma alpha_t, lambda = log alpha_t - log sigma_t.
    const s0 = vpOf(this.sigmas[i] as number);
    const tNext = vpOf(this.sigmas[i + 1] as number);
    // 1. data prediction x0 (the "++": the solver integrates in x0, not eps).
    const x0 = new Float64Array(n);
    const type = this.config.prediction_type;
    for (let k = 0; k < n; k++) {
      const x = sample[k] as number;
      const m = modelOutput[k] as number;
      x0[k] = type === 'epsilon' ? (x - s0.sigma * m) / s0.alpha : type === 'sample' ? m : s0.alpha * x - s0.sigma * m;
    }
    const h = tNext.lambda - s0.lambda;
    const expm1 = Math.exp(-h) - 1; // -> -1 at the final sigma 0 (lambda = +inf)
    const ratio = tNext.sigma / s0.sigma; // 0 at the final step
    const isLast = i === this.timesteps.length - 1;
    const out = new Float32Array(n);
    if (this.previousX0 === null || isLast) {
      // 2a. first order (DPM-Solver++ 1 = DDIM): x_t = (sigma_t/sigma_s) x - alpha_t (e^-h - 1) x0.
      for (let k = 0; k < n; k++) out[k] = ratio * (sample[k] as number) - tNext.alpha * expm1 * (x0[k] as number);
    } else {
      // 2b. second order midpoint: r0 = h_prev / h, D1 = (m0 - m1) / r0,
      //     x_t = (sigma_t/sigma_s0) x - alpha_t (e^-h - 1) D0 - 0.5 alpha_t (e^-h - 1) D1.
      const s1 = vpOf(this.sigmas[i - 1] as number);
      const r0 = (s0.lambda - s1.lambda) / h;
      const m1 = this.previousX0;
      for (let k = 0; k < n; k++) {
        const d0 = x0[k] as number;
        const d1 = (d0 - (m1[k] as number)) / r0;
        out[k] = ratio * (sample[k] as number) - tNext.alpha * expm1 * d0 - 0.5 * tNext.alpha * expm1 * d1;
      }
    }
    this.previousX0 = x0;
    this.stepIndex = i + 1;
    return out;
  }

  /** VP noising alpha_t x0 + sigma_t noise at the (interpolated) sigma of t, as diffusers does. */
  addNoise(x0: Float32Array, noise: Float32Array, t: number): Float32Array {
    const T = this.config.num_train_timesteps;
    if (!(t >= 0 && t <= T - 1)) throw new Error(`timestep ${t} is outside the training range [0, ${T - 1}]`);
    const sigma = interpTable(this.trainSigmas, t);
    return addNoiseVp(x0, noise, 1 / (sigma * sigma + 1));
  }
}

/** The VP pair (alpha_t, sigma_t) and log-SNR lambda of a VE sigma. */
function vpOf(sigma: number): { alpha: number; sigma: number; lambda: number } {
  const alpha = 1 / Math.sqrt(sigma * sigma + 1);
  const s = sigma * alpha;
  return { alpha, sigma: s, lambda: Math.log(alpha) - Math.log(s) };
}
