/**
 * The generator's diffusion process: the noise schedule (shared with the samplers through
 * scheduler_config.json), what the network predicts, and the per-timestep loss weights.
 *
 * Prediction: the clean sample x0 ("sample"), with a cosine schedule; the loss is
 * w(t) |x0_hat - x0|^2 with w(t) = clamp(SNR(t), 1, 5) — min-SNR-5 weighting (Hang et al. 2023,
 * for eps-loss = SNR * x0-loss), floored at 1 so the high-noise steps that fix colour and place keep
 * the weight of plain x0 regression, while the mid/low-noise steps where outlines form get up to 5x.
 */
import { noiseSchedule, parseSchedulerConfig } from '../../generators/sd/schedulers/index.js';

/** Pixel models clip the predicted x0 to [-1, 1]; standardised latents are not bounded (as in SD). */
export function worldSchedulerConfig(latent: boolean): Record<string, unknown> {
  return { ...WORLD_SCHEDULER_CONFIG, clip_sample: !latent };
}

export const WORLD_SCHEDULER_CONFIG = {
  _class_name: 'DDIMScheduler',
  num_train_timesteps: 1000,
  beta_schedule: 'squaredcos_cap_v2',
  beta_start: 0.0001,
  beta_end: 0.02,
  prediction_type: 'sample',
  timestep_spacing: 'trailing',
  steps_offset: 0,
  set_alpha_to_one: true,
  clip_sample: true,
  clip_sample_range: 1,
  trained_betas: null,
  skip_prk_steps: true,
} as const;

export interface DiffusionTables {
  T: number;
  sqrtAlphaBar: Float32Array; // [T]
  sqrtOneMinusAlphaBar: Float32Array; // [T]
  lossWeight: Float32Array; // [T]
}

export function diffusionTables(minWeight = 1, maxWeight = 5): DiffusionTables {
  const cfg = parseSchedulerConfig(WORLD_SCHEDULER_CONFIG);
  const { alphasCumprod } = noiseSchedule(cfg);
  const T = cfg.num_train_timesteps;
  const a = new Float32Array(T);
  const b = new Float32Array(T);
  const w = new Float32Array(T);
  for (let t = 0; t < T; t++) {
    const ab = alphasCumprod[t]!;
    a[t] = Math.sqrt(ab);
    b[t] = Math.sqrt(1 - ab);
    const snr = ab / (1 - ab);
    w[t] = Math.min(maxWeight, Math.max(minWeight, snr));
  }
  return { T, sqrtAlphaBar: a, sqrtOneMinusAlphaBar: b, lossWeight: w };
}
