import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noiseSchedule, parseSchedulerConfig, SD15_SCHEDULER_CONFIG, schedulerNameForConfig } from '../../src/generators/sd/schedulers/index.js';

// Stable Diffusion 1.5's scheduler/scheduler_config.json as published.
const SD15_JSON = {
  _class_name: 'PNDMScheduler',
  _diffusers_version: '0.6.0',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
  clip_sample: false,
};

test('parses the SD 1.5 scheduler config and fills defaults', () => {
  const cfg = parseSchedulerConfig(SD15_JSON);
  assert.deepEqual(cfg, { ...SD15_SCHEDULER_CONFIG });
  assert.equal(cfg.prediction_type, 'epsilon');
  assert.equal(cfg.timestep_spacing, 'leading');
  assert.equal(schedulerNameForConfig(SD15_JSON), 'pndm');
  assert.equal(schedulerNameForConfig({ _class_name: 'LMSDiscreteScheduler' }), null);
});

test('rejects bad fields with errors that name the field and the value', () => {
  assert.throws(() => parseSchedulerConfig([]), /must be a JSON object/);
  assert.throws(() => parseSchedulerConfig({ beta_schedule: 'cosine' }), /beta_schedule.*'cosine'.*scaled_linear/);
  assert.throws(() => parseSchedulerConfig({ prediction_type: 'eps' }), /prediction_type.*'eps'/);
  assert.throws(() => parseSchedulerConfig({ num_train_timesteps: 10.5 }), /num_train_timesteps.*10\.5/);
  assert.throws(() => parseSchedulerConfig({ set_alpha_to_one: 'no' }), /set_alpha_to_one.*true or false/);
  assert.throws(() => parseSchedulerConfig({ beta_start: 0.02, beta_end: 0.01 }), /beta_end 0.01 < beta_start 0.02/);
  assert.throws(() => parseSchedulerConfig({ use_karras_sigmas: true }), /use_karras_sigmas.*does not implement/);
  assert.throws(() => parseSchedulerConfig({ num_train_timesteps: 1000, trained_betas: [0.1, 0.2] }), /trained_betas.*1000/);
  // Defaults of unimplemented options are fine.
  assert.doesNotThrow(() => parseSchedulerConfig({ use_karras_sigmas: false, thresholding: false, solver_order: 2 }));
});

test('noise schedules match values computed with numpy', () => {
  const sd = noiseSchedule(parseSchedulerConfig({}));
  // numpy: np.cumprod(1 - np.linspace(0.00085**0.5, 0.012**0.5, 1000)**2)
  assert.ok(Math.abs((sd.alphasCumprod[0] as number) - 0.99915) < 1e-12);
  assert.ok(Math.abs((sd.alphasCumprod[981] as number) - 0.005775500139495751) < 1e-12);
  assert.ok(Math.abs((sd.alphasCumprod[999] as number) - 0.004660098513077238) < 1e-12);
  const lin = noiseSchedule(parseSchedulerConfig({ beta_schedule: 'linear', beta_start: 0.0001, beta_end: 0.02 }));
  assert.ok(Math.abs((lin.alphasCumprod[500] as number) - 0.07779665836502389) < 1e-12);
  const cos = noiseSchedule(parseSchedulerConfig({ beta_schedule: 'squaredcos_cap_v2' }));
  assert.ok(Math.abs((cos.alphasCumprod[500] as number) - 0.49228517244880304) < 1e-12);
  assert.equal(cos.betas[999], 0.999); // capped
  const trained = noiseSchedule(parseSchedulerConfig({ trained_betas: [0.1, 0.2, 0.5] }));
  assert.deepEqual(
    [...trained.alphasCumprod].map((v) => +v.toFixed(12)),
    [0.9, 0.72, 0.36],
  );
});
