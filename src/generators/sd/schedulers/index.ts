/** Scheduler factory: a name and a scheduler_config.json -> a ready Scheduler. */
import { parseSchedulerConfig, type Scheduler, type SchedulerConfig, type SchedulerOptions } from './common.js';
import { DdimScheduler } from './ddim.js';
import { DpmSolverPlusPlus2MScheduler } from './dpmpp2m.js';
import { EulerScheduler } from './euler.js';
import { type LcmOptions, LcmScheduler } from './lcm.js';
import { PndmScheduler } from './pndm.js';

export * from './common.js';
export { DdimScheduler, spacedTimesteps } from './ddim.js';
export { DpmSolverPlusPlus2MScheduler } from './dpmpp2m.js';
export { EulerScheduler } from './euler.js';
export { type LcmOptions, LcmScheduler } from './lcm.js';
export { PndmScheduler } from './pndm.js';

export type SchedulerName = 'ddim' | 'pndm' | 'euler' | 'dpmpp2m' | 'lcm';
export const SCHEDULER_NAMES: readonly SchedulerName[] = ['ddim', 'pndm', 'euler', 'dpmpp2m', 'lcm'];

/** diffusers' `_class_name` of each scheduler gluegen implements. */
const CLASS_NAMES: Record<string, SchedulerName> = {
  DDIMScheduler: 'ddim',
  PNDMScheduler: 'pndm',
  EulerDiscreteScheduler: 'euler',
  DPMSolverMultistepScheduler: 'dpmpp2m',
  LCMScheduler: 'lcm',
};

/**
 * Build a scheduler. `config` is a parsed scheduler_config.json (validated here) or an already
 * validated SchedulerConfig; omitted fields take Stable Diffusion 1.5's values.
 */
export function createScheduler(name: SchedulerName, config: unknown = {}, options: SchedulerOptions = {}): Scheduler {
  const cfg: SchedulerConfig = parseSchedulerConfig(config);
  switch (name) {
    case 'ddim':
      return new DdimScheduler(cfg, options);
    case 'pndm':
      return new PndmScheduler(cfg);
    case 'euler':
      return new EulerScheduler(cfg);
    case 'dpmpp2m':
      return new DpmSolverPlusPlus2MScheduler(cfg);
    case 'lcm':
      return new LcmScheduler(cfg, lcmOptions(config));
    default:
      throw new Error(`unknown scheduler '${String(name)}'; expected one of ${SCHEDULER_NAMES.join(', ')}`);
  }
}

/** The scheduler a diffusers config names in `_class_name`, or null if gluegen has no such scheduler. */
export function schedulerNameForConfig(json: unknown): SchedulerName | null {
  if (typeof json !== 'object' || json === null) return null;
  const cls = (json as Record<string, unknown>)._class_name;
  return typeof cls === 'string' ? (CLASS_NAMES[cls] ?? null) : null;
}

/** LCMScheduler's own scheduler_config.json fields (original_inference_steps, timestep_scaling). */
function lcmOptions(config: unknown): LcmOptions {
  const raw = (typeof config === 'object' && config !== null ? config : {}) as Record<string, unknown>;
  const out: LcmOptions = {};
  for (const [key, field] of [
    ['original_inference_steps', 'originalInferenceSteps'],
    ['timestep_scaling', 'timestepScaling'],
  ] as const) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`scheduler config field '${key}' is ${JSON.stringify(v)}; expected a number`);
    out[field] = v;
  }
  return out;
}
