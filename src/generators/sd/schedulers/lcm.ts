/**
 * Latent Consistency Model sampling (Luo et al. 2023, "Latent Consistency Models: Synthesizing
 * High-Resolution Images with Few-Step Inference"), as diffusers' LCMScheduler: for LCM-distilled
 * Stable Diffusion 1.x exports (LCM-Dreamshaper, LCM-LoRA fused UNets), 2-8 steps.
 *
 * The consistency function f(x, t) = c_skip(t) x + c_out(t) x0_hat(x, t) (eq. 5 / 9) meets the
 * boundary condition f(x, eps) = x through the discrete-time scalings with sigma_data = 0.5:
 *   c_skip(t) = sigma_data^2 / ((s t)^2 + sigma_data^2),  c_out(t) = s t / sqrt((s t)^2 + sigma_data^2),
 * s = timestep_scaling (10 in diffusers). Multi-step sampling (Algorithm 1) alternates a consistency
 * jump to x0 with noise re-injection to the next timestep: x_prev = sqrt(abar_prev) f + sqrt(1 - abar_prev) z.
 * The timesteps are a subset of the distillation's skipping-step schedule (original_inference_steps).
 */
import { addNoiseVp, checkSameLength, checkTrainTimestep, noiseSchedule, type Scheduler, type SchedulerConfig } from './common.js';

export interface LcmOptions {
  /** Steps of the DDIM schedule the model was distilled on (scheduler_config original_inference_steps). */
  originalInferenceSteps?: number; // 50
  /** Multiplies t in the boundary-condition scalings (scheduler_config timestep_scaling). */
  timestepScaling?: number; // 10
}

/** sigma_data of the consistency parameterisation (Song et al. 2023), as the LCM release. */
const SIGMA_DATA = 0.5;

export class LcmScheduler implements Scheduler {
  readonly name = 'lcm';
  readonly initNoiseSigma = 1;
  readonly config: Readonly<SchedulerConfig>;
  readonly alphasCumprod: Float64Array;
  readonly finalAlphaCumprod: number;
  readonly originalInferenceSteps: number;
  readonly timestepScaling: number;
  timesteps: number[] = [];
  private stepIndex: number | null = null;

  constructor(config: SchedulerConfig, options: LcmOptions = {}) {
    this.config = config;
    this.alphasCumprod = noiseSchedule(config).alphasCumprod;
    this.finalAlphaCumprod = config.set_alpha_to_one ? 1 : (this.alphasCumprod[0] as number);
    this.originalInferenceSteps = options.originalInferenceSteps ?? 50;
    this.timestepScaling = options.timestepScaling ?? 10;
    const T = config.num_train_timesteps;
    if (!(Number.isInteger(this.originalInferenceSteps) && this.originalInferenceSteps >= 1 && this.originalInferenceSteps <= T)) {
      throw new Error(`LCM original_inference_steps ${this.originalInferenceSteps} must be an integer in [1, num_train_timesteps = ${T}]`);
    }
    if (!(Number.isFinite(this.timestepScaling) && this.timestepScaling > 0))
      throw new Error(`LCM timestep_scaling ${this.timestepScaling} must be a number > 0`);
  }

  /** The boundary-condition scalings (c_skip, c_out) at timestep t; c_skip(0) = 1, c_out(0) = 0. */
  scalings(t: number): { cSkip: number; cOut: number } {
    const st = t * this.timestepScaling;
    const d2 = SIGMA_DATA * SIGMA_DATA;
    return { cSkip: d2 / (st * st + d2), cOut: st / Math.sqrt(st * st + d2) };
  }

  setTimesteps(numSteps: number): void {
    const T = this.config.num_train_timesteps;
    const original = this.originalInferenceSteps;
    if (!Number.isInteger(numSteps) || numSteps < 1 || numSteps > original) {
      throw new Error(`LCM number of inference steps ${numSteps} must be an integer in [1, original_inference_steps = ${original}] (LCMs use 2-8)`);
    }
    // 1. The distillation schedule: t_i = i * (T // N_orig) - 1 for i = 1 .. N_orig, noisiest first.
    const k = Math.floor(T / original);
    const origin: number[] = [];
    for (let i = original; i >= 1; i--) origin.push(i * k - 1);
    // 2. numSteps of them, evenly spaced: floor(linspace(0, N_orig, numSteps, endpoint=False)).
    this.timesteps = Array.from({ length: numSteps }, (_, j) => origin[Math.floor((j * origin.length) / numSteps)]!);
    this.stepIndex = null;
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  private indexOf(t: number): number {
    if (this.timesteps.length === 0) throw new Error('LCM step() called before setTimesteps(); set the number of steps first');
    if (this.stepIndex === null) {
      const i = this.timesteps.indexOf(t);
      if (i < 0) throw new Error(`timestep ${t} is not one of this LCM schedule's timesteps (${this.timesteps.join(', ')})`);
      this.stepIndex = i;
    }
    if (this.stepIndex >= this.timesteps.length) throw new Error('LCM step() called after the last timestep; call setTimesteps() to start a new run');
    const expected = this.timesteps[this.stepIndex]!;
    if (expected !== t) throw new Error(`LCM expected timestep ${expected} (step ${this.stepIndex}) but got ${t}; step through timesteps in order`);
    return this.stepIndex;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, noise?: () => number): Float32Array {
    checkTrainTimestep(t, this.config.num_train_timesteps);
    const i = this.indexOf(t);
    checkSameLength('model output', modelOutput, sample.length);
    const last = i === this.timesteps.length - 1;
    if (!last && !noise) throw new Error('LCM re-injects noise between steps; pass step(..., () => rng.normal())');
    // 1. abar of t and of the next timestep (the final step returns the consistency output itself).
    const prevT = last ? t : this.timesteps[i + 1]!;
    const aT = this.alphasCumprod[t]!;
    const aPrev = prevT >= 0 ? this.alphasCumprod[prevT]! : this.finalAlphaCumprod;
    const sqrtA = Math.sqrt(aT);
    const sqrtB = Math.sqrt(1 - aT);
    const sqrtAPrev = Math.sqrt(aPrev);
    const sqrtBPrev = Math.sqrt(1 - aPrev);
    // 2. Boundary-condition scalings.
    const { cSkip, cOut } = this.scalings(t);
    const clip = this.config.clip_sample ? this.config.clip_sample_range : Infinity;
    const type = this.config.prediction_type;
    const out = new Float32Array(sample.length);
    for (let k = 0; k < sample.length; k++) {
      const x = sample[k]!;
      const m = modelOutput[k]!;
      // 3. x0 from the model's parameterisation.
      let x0 = type === 'epsilon' ? (x - sqrtB * m) / sqrtA : type === 'sample' ? m : sqrtA * x - sqrtB * m;
      if (x0 > clip) x0 = clip;
      else if (x0 < -clip) x0 = -clip;
      // 4. The consistency function f(x, t) = c_skip x + c_out x0.
      const denoised = cOut * x0 + cSkip * x;
      // 5. Multi-step sampling: re-noise f to the next timestep with fresh noise.
      out[k] = last ? denoised : sqrtAPrev * denoised + sqrtBPrev * (noise as () => number)();
    }
    this.stepIndex = i + 1;
    return out;
  }

  addNoise(x0: Float32Array, noise: Float32Array, t: number): Float32Array {
    checkTrainTimestep(t, this.config.num_train_timesteps);
    return addNoiseVp(x0, noise, this.alphasCumprod[t]!);
  }
}
