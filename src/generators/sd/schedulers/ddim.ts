/**
 * DDIM (Song et al. 2021, "Denoising Diffusion Implicit Models"), as diffusers' DDIMScheduler.
 * Equation numbers refer to the paper.
 */
import {
  addNoiseVp,
  checkNumSteps,
  checkSameLength,
  checkTrainTimestep,
  noiseSchedule,
  type Scheduler,
  type SchedulerConfig,
  type SchedulerOptions,
} from './common.js';

export class DdimScheduler implements Scheduler {
  readonly name = 'ddim';
  readonly initNoiseSigma = 1;
  readonly config: Readonly<SchedulerConfig>;
  readonly eta: number;
  readonly alphasCumprod: Float64Array;
  /** abar used for the step after the last timestep. */
  readonly finalAlphaCumprod: number;
  timesteps: number[] = [];
  private numSteps = 0;

  constructor(config: SchedulerConfig, options: SchedulerOptions = {}) {
    this.config = config;
    this.eta = options.eta ?? 0;
    if (!(this.eta >= 0)) throw new Error(`DDIM eta ${this.eta} must be >= 0 (0 = deterministic)`);
    this.alphasCumprod = noiseSchedule(config).alphasCumprod;
    this.finalAlphaCumprod = config.set_alpha_to_one ? 1 : (this.alphasCumprod[0] as number);
  }

  setTimesteps(numSteps: number): void {
    const T = this.config.num_train_timesteps;
    checkNumSteps(numSteps, T);
    this.numSteps = numSteps;
    this.timesteps = spacedTimesteps(this.config, numSteps);
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, noise?: () => number): Float32Array {
    if (this.numSteps === 0) throw new Error('DDIM step() called before setTimesteps(); set the number of steps first');
    const T = this.config.num_train_timesteps;
    checkTrainTimestep(t, T);
    checkSameLength('model output', modelOutput, sample.length);
    // 1. previous timestep: t - T // N (diffusers uses the same stride for every spacing).
    const prevT = t - Math.floor(T / this.numSteps);
    // 2. alphas and betas of t and the previous step.
    const aT = this.alphasCumprod[t] as number;
    const aPrev = prevT >= 0 ? (this.alphasCumprod[prevT] as number) : this.finalAlphaCumprod;
    const bT = 1 - aT;
    // 6. sigma_t of eq. (16): eta * sqrt((1 - abar_prev) / (1 - abar_t) * (1 - abar_t / abar_prev)).
    const variance = ((1 - aPrev) / bT) * (1 - aT / aPrev);
    const stdDev = this.eta * Math.sqrt(variance);
    if (stdDev > 0 && !noise) throw new Error(`DDIM with eta ${this.eta} needs a noise source; pass step(..., () => rng.normal())`);
    const sqrtA = Math.sqrt(aT);
    const sqrtB = Math.sqrt(bT);
    const sqrtAPrev = Math.sqrt(aPrev);
    const dirCoeff = Math.sqrt(Math.max(0, 1 - aPrev - stdDev * stdDev));
    const clip = this.config.clip_sample ? this.config.clip_sample_range : Infinity;
    const type = this.config.prediction_type;
    const out = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i] as number;
      const m = modelOutput[i] as number;
      // 3. predicted x0 and epsilon, eq. (12), from whatever the model predicts.
      let x0: number;
      let eps: number;
      if (type === 'epsilon') {
        x0 = (x - sqrtB * m) / sqrtA;
        eps = m;
      } else if (type === 'sample') {
        x0 = m;
        eps = (x - sqrtA * m) / sqrtB;
      } else {
        x0 = sqrtA * x - sqrtB * m;
        eps = sqrtA * m + sqrtB * x;
      }
      // 4. clip x0 (diffusers keeps the unclipped epsilon for the direction).
      if (x0 > clip) x0 = clip;
      else if (x0 < -clip) x0 = -clip;
      // 7. eq. (12): x_prev = sqrt(abar_prev) x0 + sqrt(1 - abar_prev - sigma^2) eps + sigma z.
      let prev = sqrtAPrev * x0 + dirCoeff * eps;
      if (stdDev > 0) prev += stdDev * (noise as () => number)();
      out[i] = prev;
    }
    return out;
  }

  addNoise(x0: Float32Array, noise: Float32Array, t: number): Float32Array {
    checkTrainTimestep(t, this.config.num_train_timesteps);
    return addNoiseVp(x0, noise, this.alphasCumprod[t] as number);
  }
}

/** DDIM/diffusers integer timesteps for N steps, newest (noisiest) first. */
export function spacedTimesteps(config: SchedulerConfig, numSteps: number): number[] {
  const T = config.num_train_timesteps;
  const out: number[] = [];
  if (config.timestep_spacing === 'leading') {
    const ratio = Math.floor(T / numSteps);
    for (let i = numSteps - 1; i >= 0; i--) out.push(i * ratio + config.steps_offset);
  } else if (config.timestep_spacing === 'trailing') {
    // np.round(np.arange(T, 0, -T/N)) - 1
    const ratio = T / numSteps;
    for (let i = 0; i < numSteps; i++) out.push(roundHalfEven(T - i * ratio) - 1);
  } else {
    // np.linspace(0, T-1, N).round()[::-1]
    for (let i = numSteps - 1; i >= 0; i--) out.push(roundHalfEven(numSteps === 1 ? 0 : ((T - 1) * i) / (numSteps - 1)));
  }
  return out;
}

/** numpy's round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
