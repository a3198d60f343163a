/**
 * What every diffusion scheduler shares: the diffusers `scheduler_config.json` fields, the noise
 * schedule (betas, alpha-bar) in float64, and the `Scheduler` interface the generators drive.
 *
 * Conventions (as in diffusers): training timesteps t = 0 .. T-1; abar_t = prod_{s<=t} (1 - beta_s);
 * a noised sample is x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps.
 */

export type BetaSchedule = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
export type TimestepSpacing = 'leading' | 'trailing' | 'linspace';
export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';

/** The fields of diffusers' scheduler_config.json that gluegen reads (snake_case, as in the file). */
export interface SchedulerConfig {
  /** Diffusion steps the model was trained with (T). */
  num_train_timesteps: number; // 1000
  /** First and last beta of the linear / scaled_linear schedules. */
  beta_start: number; // 0.00085
  beta_end: number; // 0.012
  /** scaled_linear: betas = linspace(sqrt(start), sqrt(end), T)^2 (Stable Diffusion). */
  beta_schedule: BetaSchedule; // 'scaled_linear'
  /** Explicit betas overriding beta_schedule (length T), or null. */
  trained_betas: number[] | null; // null
  /** DDIM/PNDM: alpha-bar after the final step is 1 (true) or abar_0 (false). */
  set_alpha_to_one: boolean; // false
  /** Added to every inference timestep under 'leading' spacing (SD uses 1: 981 .. 1). */
  steps_offset: number; // 1
  /** How inference timesteps are spread over 0 .. T-1. */
  timestep_spacing: TimestepSpacing; // 'leading'
  /** What the network predicts: noise, velocity v = sqrt(abar) eps - sqrt(1-abar) x0, or x0. */
  prediction_type: PredictionType; // 'epsilon'
  /** DDIM: clamp the predicted x0 to [-clip_sample_range, clip_sample_range]. */
  clip_sample: boolean; // false
  clip_sample_range: number; // 1
  /** PNDM: skip the Runge-Kutta warm-up and run pure PLMS (the only mode implemented). */
  skip_prk_steps: boolean; // true
}

/** Stable Diffusion 1.5's scheduler_config.json values. */
export const SD15_SCHEDULER_CONFIG: Readonly<SchedulerConfig> = Object.freeze({
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  trained_betas: null,
  set_alpha_to_one: false,
  steps_offset: 1,
  timestep_spacing: 'leading',
  prediction_type: 'epsilon',
  clip_sample: false,
  clip_sample_range: 1,
  skip_prk_steps: true,
});

/**
 * Options that diffusers configs may carry but that would change results in ways gluegen does not
 * implement. A config setting one of them to anything but its default is refused, not ignored.
 */
const UNSUPPORTED_OPTIONS: Record<string, unknown> = {
  thresholding: false,
  rescale_betas_zero_snr: false,
  use_karras_sigmas: false,
  use_exponential_sigmas: false,
  use_beta_sigmas: false,
  interpolation_type: 'linear',
  timestep_type: 'discrete',
  algorithm_type: 'dpmsolver++',
  solver_order: 2,
  solver_type: 'midpoint',
  lower_order_final: true,
  euler_at_final: false,
  final_sigmas_type: 'zero',
  use_lu_lambdas: false,
};

const ENUMS: Record<string, readonly string[]> = {
  beta_schedule: ['linear', 'scaled_linear', 'squaredcos_cap_v2'],
  timestep_spacing: ['leading', 'trailing', 'linspace'],
  prediction_type: ['epsilon', 'v_prediction', 'sample'],
};

/**
 * Validate a parsed scheduler_config.json (or a partial object) and fill defaults from SD 1.5.
 * Keys starting with '_' (`_class_name`, `_diffusers_version`) and unknown keys are ignored.
 */
export function parseSchedulerConfig(json: unknown): SchedulerConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`scheduler config must be a JSON object, got ${describe(json)}; pass the parsed scheduler_config.json`);
  }
  const raw = json as Record<string, unknown>;
  const out: SchedulerConfig = { ...SD15_SCHEDULER_CONFIG, trained_betas: null };
  const fail = (key: string, expected: string): never => {
    throw new Error(`scheduler config field '${key}' is ${describe(raw[key])}; expected ${expected}`);
  };
  const num = (key: keyof SchedulerConfig, check: (v: number) => boolean, expected: string): void => {
    if (!(key in raw) || raw[key] === null) return;
    const v = raw[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) fail(key, expected);
    (out as unknown as Record<string, unknown>)[key] = v;
  };
  const bool = (key: keyof SchedulerConfig): void => {
    if (!(key in raw) || raw[key] === null) return;
    if (typeof raw[key] !== 'boolean') fail(key, 'true or false');
    (out as unknown as Record<string, unknown>)[key] = raw[key];
  };
  const choice = (key: keyof SchedulerConfig): void => {
    if (!(key in raw) || raw[key] === null) return;
    const allowed = ENUMS[key] ?? [];
    if (typeof raw[key] !== 'string' || !allowed.includes(raw[key] as string)) {
      fail(key, `one of ${allowed.map((s) => `'${s}'`).join(', ')}`);
    }
    (out as unknown as Record<string, unknown>)[key] = raw[key];
  };

  num('num_train_timesteps', (v) => Number.isInteger(v) && v >= 2, 'an integer >= 2');
  num('beta_start', (v) => v > 0 && v < 1, 'a number in (0, 1)');
  num('beta_end', (v) => v > 0 && v < 1, 'a number in (0, 1)');
  num('steps_offset', (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0');
  num('clip_sample_range', (v) => v > 0, 'a number > 0');
  choice('beta_schedule');
  choice('timestep_spacing');
  choice('prediction_type');
  bool('set_alpha_to_one');
  bool('clip_sample');
  bool('skip_prk_steps');

  if ('trained_betas' in raw && raw.trained_betas !== null) {
    const tb = raw.trained_betas;
    if (!Array.isArray(tb) || !tb.every((b) => typeof b === 'number' && b > 0 && b < 1)) {
      fail('trained_betas', 'null or an array of numbers in (0, 1)');
    }
    out.trained_betas = (tb as number[]).slice();
    if (!('num_train_timesteps' in raw)) out.num_train_timesteps = out.trained_betas.length;
    if (out.trained_betas.length !== out.num_train_timesteps) {
      fail('trained_betas', `an array of num_train_timesteps = ${out.num_train_timesteps} betas (got ${out.trained_betas.length})`);
    }
  }
  if (out.beta_end < out.beta_start) {
    throw new Error(`scheduler config has beta_end ${out.beta_end} < beta_start ${out.beta_start}; betas must not decrease`);
  }
  for (const [key, dflt] of Object.entries(UNSUPPORTED_OPTIONS)) {
    const v = raw[key];
    if (v !== undefined && v !== null && v !== dflt) {
      throw new Error(
        `scheduler config sets '${key}' to ${describe(v)}, which gluegen does not implement; ` + `remove it or set it to ${JSON.stringify(dflt)}`,
      );
    }
  }
  return out;
}

/** The noise schedule of a config, in float64. */
export interface NoiseSchedule {
  betas: Float64Array; // [T]
  alphasCumprod: Float64Array; // [T], abar_t
}

export function noiseSchedule(config: SchedulerConfig): NoiseSchedule {
  const T = config.num_train_timesteps;
  const betas = new Float64Array(T);
  if (config.trained_betas) {
    betas.set(config.trained_betas);
  } else if (config.beta_schedule === 'linear') {
    for (let i = 0; i < T; i++) betas[i] = config.beta_start + ((config.beta_end - config.beta_start) * i) / (T - 1);
  } else if (config.beta_schedule === 'scaled_linear') {
    const a = Math.sqrt(config.beta_start);
    const b = Math.sqrt(config.beta_end);
    for (let i = 0; i < T; i++) betas[i] = (a + ((b - a) * i) / (T - 1)) ** 2;
  } else {
    // Nichol & Dhariwal's cosine schedule: abar(u) = cos((u + 0.008) / 1.008 * pi/2)^2, beta capped at 0.999.
    const abar = (u: number): number => Math.cos(((u + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    for (let i = 0; i < T; i++) betas[i] = Math.min(1 - abar((i + 1) / T) / abar(i / T), 0.999);
  }
  const alphasCumprod = new Float64Array(T);
  let prod = 1;
  for (let i = 0; i < T; i++) {
    prod *= 1 - (betas[i] as number);
    alphasCumprod[i] = prod;
  }
  return { betas, alphasCumprod };
}

/** sigma_t = sqrt((1 - abar_t) / abar_t): the noise level of the variance-exploding parameterisation. */
export function sigmasFromAlphasCumprod(alphasCumprod: Float64Array): Float64Array {
  return alphasCumprod.map((a) => Math.sqrt((1 - a) / a));
}

/** np.interp(x, [0, 1, .., n-1], table) for one x (clamped at both ends). */
export function interpTable(table: Float64Array, x: number): number {
  const n = table.length;
  if (x <= 0) return table[0] as number;
  if (x >= n - 1) return table[n - 1] as number;
  const i = Math.floor(x);
  const f = x - i;
  return (table[i] as number) * (1 - f) + (table[i + 1] as number) * f;
}

/** A sampler over the reverse diffusion: set the steps, then step() once per entry of `timesteps`. */
export interface Scheduler {
  readonly name: string;
  readonly config: Readonly<SchedulerConfig>;
  /** The timesteps to feed the model, in order (set by setTimesteps). */
  readonly timesteps: number[];
  /** Multiply unit Gaussian noise by this to get the first sample. */
  readonly initNoiseSigma: number;
  setTimesteps(numSteps: number): void;
  /** What to feed the model for the current sample at timestep t. */
  scaleModelInput(sample: Float32Array, t: number): Float32Array;
  /** One reverse step: the model's output at (sample, t) -> the sample at the next timestep. */
  step(modelOutput: Float32Array, t: number, sample: Float32Array, noise?: () => number): Float32Array;
  /** Noise a clean sample to timestep t in this scheduler's sample space (training, img2img). */
  addNoise(x0: Float32Array, noise: Float32Array, t: number): Float32Array;
}

/** Options that are not part of scheduler_config.json. */
export interface SchedulerOptions {
  /** DDIM: weight of fresh noise (0 = deterministic DDIM, 1 = DDPM-like). */
  eta?: number; // 0
}

/** The variance-preserving forward process: sqrt(abar) x0 + sqrt(1 - abar) noise. */
export function addNoiseVp(x0: Float32Array, noise: Float32Array, alphaCumprod: number): Float32Array {
  checkSameLength('noise', noise, x0.length);
  const a = Math.sqrt(alphaCumprod);
  const s = Math.sqrt(1 - alphaCumprod);
  const out = new Float32Array(x0.length);
  for (let i = 0; i < x0.length; i++) out[i] = a * (x0[i] as number) + s * (noise[i] as number);
  return out;
}

/** Integer training timestep t in [0, T) or a clear error. */
export function checkTrainTimestep(t: number, T: number): number {
  if (!Number.isInteger(t) || t < 0 || t >= T) {
    throw new Error(`timestep ${t} is not an integer training timestep in [0, ${T - 1}]`);
  }
  return t;
}

export function checkSameLength(what: string, arr: Float32Array, n: number): void {
  if (arr.length !== n) throw new Error(`${what} has ${arr.length} values but the sample has ${n}; pass arrays of the same shape`);
}

export function checkNumSteps(numSteps: number, T: number): void {
  if (!Number.isInteger(numSteps) || numSteps < 1 || numSteps > T) {
    throw new Error(`number of inference steps ${numSteps} must be an integer in [1, num_train_timesteps = ${T}]`);
  }
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}
