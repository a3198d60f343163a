/**
 * Euler discrete sampler (Karras et al. 2022, "Elucidating the Design Space of Diffusion-Based
 * Generative Models", Algorithm 2 without churn), as diffusers' EulerDiscreteScheduler.
 *
 * It works in the variance-exploding space x = x0 + sigma * eps with sigma = sqrt((1-abar)/abar):
 * the model (trained on VP inputs) sees x / sqrt(sigma^2 + 1).
 */
import { checkNumSteps, checkSameLength, interpTable, noiseSchedule, type Scheduler, type SchedulerConfig, sigmasFromAlphasCumprod } from './common.js';
import { roundHalfEven } from './ddim.js';

export class EulerScheduler implements Scheduler {
  readonly name = 'euler';
  readonly config: Readonly<SchedulerConfig>;
  /** sigma of every training timestep 0 .. T-1. */
  readonly trainSigmas: Float64Array;
  timesteps: number[] = [];
  /** sigma at each inference timestep, then a final 0. */
  sigmas: number[] = [];
  initNoiseSigma = 1;
  private stepIndex: number | null = null;

  constructor(config: SchedulerConfig) {
    this.config = config;
    this.trainSigmas = sigmasFromAlphasCumprod(noiseSchedule(config).alphasCumprod);
  }

  setTimesteps(numSteps: number): void {
    const T = this.config.num_train_timesteps;
    checkNumSteps(numSteps, T);
    const ts: number[] = [];
    if (this.config.timestep_spacing === 'linspace') {
      // Fractional timesteps: np.linspace(0, T-1, N)[::-1] (float32 in diffusers).
      for (let i = numSteps - 1; i >= 0; i--) ts.push(Math.fround(numSteps === 1 ? 0 : ((T - 1) * i) / (numSteps - 1)));
    } else if (this.config.timestep_spacing === 'leading') {
      const ratio = Math.floor(T / numSteps);
      for (let i = numSteps - 1; i >= 0; i--) ts.push(i * ratio + this.config.steps_offset);
    } else {
      const ratio = T / numSteps;
      for (let i = 0; i < numSteps; i++) ts.push(roundHalfEven(T - i * ratio) - 1);
    }
    this.timesteps = ts;
    // sigma at (possibly fractional) timesteps by linear interpolation of the training table.
    this.sigmas = [...ts.map((t) => interpTable(this.trainSigmas, t)), 0];
    const sigmaMax = Math.max(...this.sigmas);
    // x_T = sigma_max * eps in VE space; diffusers uses sqrt(sigma_max^2 + 1) for 'leading'.
    this.initNoiseSigma = this.config.timestep_spacing === 'leading' ? Math.sqrt(sigmaMax * sigmaMax + 1) : sigmaMax;
    this.stepIndex = null;
  }

  /** The index of timestep t: the first match on the first call, then one step at a time. */
  private indexOf(t: number): number {
    if (this.timesteps.length === 0) throw new Error('Euler used before setTimesteps(); set the number of steps first');
    if (this.stepIndex === null) {
      const i = this.timesteps.indexOf(t);
      if (i < 0) throw new Error(`timestep ${t} is not one of this Euler schedule's timesteps (${this.timesteps.slice(0, 3).join(', ')}, ...)`);
      this.stepIndex = i;
    }
    if (this.stepIndex >= this.timesteps.length) {
      throw new Error(`Euler step() called after the last timestep; call setTimesteps() to start a new run`);
    }
    const expected = this.timesteps[this.stepIndex] as number;
    if (expected !== t) throw new Error(`Euler expected timestep ${expected} (step ${this.stepIndex}) but got ${t}; step through timesteps in order`);
    return this.stepIndex;
  }

  scaleModelInput(sample: Float32Array, t: number): Float32Array {
    const sigma = this.sigmas[this.indexOf(t)] as number;
    const scale = 1 / Math.sqrt(sigma * sigma + 1);
    return sample.map((x) => x * scale);
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array): Float32Array {
    const i = this.indexOf(t);
    checkSameLength('model output', modelOutput, sample.length);
    const sigma = this.sigmas[i] as number;
    const sigmaNext = this.sigmas[i + 1] as number;
    const dt = sigmaNext - sigma;
    const c = Math.sqrt(sigma * sigma + 1);
    const type = this.config.prediction_type;
    const out = new Float32Array(sample.length);
    for (let k = 0; k < sample.length; k++) {
      const x = sample[k] as number;
      const m = modelOutput[k] as number;
      // Denoised estimate x0 from the prediction (v refers to the VP input x / c).
      const x0 = type === 'epsilon' ? x - sigma * m : type === 'v_prediction' ? (-sigma / c) * m + x / (c * c) : m;
      // Karras eq. (2)'s ODE direction d = (x - x0) / sigma, one Euler step to the next sigma.
      out[k] = x + ((x - x0) / sigma) * dt;
    }
    this.stepIndex = i + 1;
    return out;
  }

  /** VE noising: x0 + sigma(t) * noise, with sigma interpolated at t (diffusers' add_noise). */
  addNoise(x0: Float32Array, noise: Float32Array, t: number): Float32Array {
    const T = this.config.num_train_timesteps;
    if (!(t >= 0 && t <= T - 1)) throw new Error(`timestep ${t} is outside the training range [0, ${T - 1}]`);
    checkSameLength('noise', noise, x0.length);
    const sigma = interpTable(this.trainSigmas, t);
    return x0.map((x, i) => x + sigma * (noise[i] as number));
  }
}
