/**
 * PNDM in its PLMS form (Liu et al. 2022, "Pseudo Numerical Methods for Diffusion Models on
 * Manifolds"), as diffusers' PNDMScheduler with skip_prk_steps = true — Stable Diffusion's default.
 *
 * The Runge-Kutta warm-up is replaced by one extra model call: the second timestep appears twice,
 * and at its second occurrence the first step is redone from the saved sample with the average of
 * the two model outputs (a Heun-like correction). After that, linear multistep formulas of order
 * 2, 3, 4 combine the latest outputs.
 */
import { addNoiseVp, checkNumSteps, checkSameLength, checkTrainTimestep, noiseSchedule, type Scheduler, type SchedulerConfig } from './common.js';
import { roundHalfEven } from './ddim.js';

export class PndmScheduler implements Scheduler {
  readonly name = 'pndm';
  readonly initNoiseSigma = 1;
  readonly config: Readonly<SchedulerConfig>;
  readonly alphasCumprod: Float64Array;
  readonly finalAlphaCumprod: number;
  timesteps: number[] = [];
  private numSteps = 0;
  /** Model outputs of earlier steps, oldest first (at most 4 kept). */
  private ets: Float32Array[] = [];
  /** Steps taken since setTimesteps. */
  private counter = 0;
  /** The sample before the first step, redone at the duplicated timestep. */
  private savedSample: Float32Array | null = null;

  constructor(config: SchedulerConfig) {
    if (!config.skip_prk_steps) {
      throw new Error(
        "PNDM with skip_prk_steps = false (Runge-Kutta warm-up) is not implemented; set skip_prk_steps to true (Stable Diffusion's setting) or use 'ddim'",
      );
    }
    this.config = config;
    this.alphasCumprod = noiseSchedule(config).alphasCumprod;
    this.finalAlphaCumprod = config.set_alpha_to_one ? 1 : (this.alphasCumprod[0] as number);
  }

  setTimesteps(numSteps: number): void {
    const T = this.config.num_train_timesteps;
    checkNumSteps(numSteps, T);
    // Ascending base timesteps.
    const base: number[] = [];
    if (this.config.timestep_spacing === 'leading') {
      const ratio = Math.floor(T / numSteps);
      for (let i = 0; i < numSteps; i++) base.push(i * ratio + this.config.steps_offset);
    } else if (this.config.timestep_spacing === 'trailing') {
      const ratio = T / numSteps;
      for (let i = numSteps - 1; i >= 0; i--) base.push(roundHalfEven(T - i * ratio) - 1);
    } else {
      for (let i = 0; i < numSteps; i++) base.push(roundHalfEven(numSteps === 1 ? 0 : ((T - 1) * i) / (numSteps - 1)));
    }
    // [t_0 .. t_{N-2}, t_{N-2}, t_{N-1}] reversed: the second-noisiest timestep is duplicated.
    const plms = numSteps >= 2 ? [...base.slice(0, -1), base[numSteps - 2] as number, base[numSteps - 1] as number] : base;
    this.timesteps = plms.reverse();
    this.numSteps = numSteps;
    this.ets = [];
    this.counter = 0;
    this.savedSample = null;
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array): Float32Array {
    if (this.numSteps === 0) throw new Error('PNDM step() called before setTimesteps(); set the number of steps first');
    const T = this.config.num_train_timesteps;
    checkTrainTimestep(t, T);
    checkSameLength('model output', modelOutput, sample.length);
    // The multistep formulas extrapolate epsilon, so each output is converted to epsilon at the
    // sample and timestep it was computed for. (diffusers instead combines raw v outputs from
    // different noise levels and converts the mix; for epsilon models the two agree exactly.)
    const eps = this.toEpsilon(modelOutput, sample, t);
    const stride = Math.floor(T / this.numSteps);
    let from = t;
    let to = t - stride;
    let x = sample;
    let combined: Float32Array;
    if (this.counter !== 1) {
      this.ets = this.ets.slice(-3);
      this.ets.push(eps);
    } else {
      // The duplicated timestep: redo the step that started one stride earlier.
      to = t;
      from = t + stride;
    }
    const e = this.ets;
    const n = e.length;
    const e1 = e[n - 1] as Float32Array;
    if (n === 1 && this.counter === 0) {
      combined = eps;
      this.savedSample = sample;
    } else if (n === 1 && this.counter === 1) {
      // (e_t + e_{t-stride}) / 2, applied from the saved sample.
      combined = lincomb([eps, e1], [0.5, 0.5]);
      if (!this.savedSample) throw new Error('internal: PNDM lost the saved sample of its first step');
      x = this.savedSample;
      this.savedSample = null;
    } else if (n === 2) {
      combined = lincomb([e1, e[0] as Float32Array], [3 / 2, -1 / 2]);
    } else if (n === 3) {
      combined = lincomb([e1, e[1] as Float32Array, e[0] as Float32Array], [23 / 12, -16 / 12, 5 / 12]);
    } else {
      combined = lincomb([e1, e[2] as Float32Array, e[1] as Float32Array, e[0] as Float32Array], [55 / 24, -59 / 24, 37 / 24, -9 / 24]);
    }
    this.counter += 1;
    return this.prevSample(x, from, to, combined);
  }

  /** epsilon from the model's prediction at (sample, t). */
  private toEpsilon(modelOutput: Float32Array, sample: Float32Array, t: number): Float32Array {
    const type = this.config.prediction_type;
    if (type === 'epsilon') return modelOutput;
    const a = this.alphasCumprod[t] as number;
    const sqrtA = Math.sqrt(a);
    const sqrtB = Math.sqrt(1 - a);
    return type === 'v_prediction'
      ? modelOutput.map((v, i) => sqrtA * v + sqrtB * (sample[i] as number))
      : modelOutput.map((x0, i) => ((sample[i] as number) - sqrtA * x0) / sqrtB);
  }

  /** Eq. (11) of the paper (the "transfer" phi): from x at timestep `from` to `to` given epsilon. */
  private prevSample(sample: Float32Array, from: number, to: number, eps: Float32Array): Float32Array {
    const aT = this.alphasCumprod[from] as number;
    const aPrev = to >= 0 ? (this.alphasCumprod[to] as number) : this.finalAlphaCumprod;
    const sampleCoeff = Math.sqrt(aPrev / aT);
    const denom = aT * Math.sqrt(1 - aPrev) + Math.sqrt(aT * (1 - aT) * aPrev);
    const epsCoeff = (aPrev - aT) / denom;
    const out = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) out[i] = sampleCoeff * (sample[i] as number) - epsCoeff * (eps[i] as number);
    return out;
  }

  addNoise(x0: Float32Array, noise: Float32Array, t: number): Float32Array {
    checkTrainTimestep(t, this.config.num_train_timesteps);
    return addNoiseVp(x0, noise, this.alphasCumprod[t] as number);
  }
}

function lincomb(arrays: Float32Array[], weights: number[]): Float32Array {
  const n = (arrays[0] as Float32Array).length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < arrays.length; k++) s += (weights[k] as number) * ((arrays[k] as Float32Array)[i] as number);
    out[i] = s;
  }
  return out;
}
