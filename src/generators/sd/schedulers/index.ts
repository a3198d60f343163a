/** Scheduler factory: a name and a scheduler_config.json -> a ready Scheduler. */
import { parseSchedulerConfig, type Scheduler, type SchedulerConfig, type SchedulerOptions } from './common.js';
import { DdimScheduler } from './ddim.js';
import { DpmSolverPlusPlus2MScheduler } from './dpmpp2m.js';
import { EulerScheduler } from './euler.js';
import { PndmScheduler } from './pndm.js';

export * from './common.js';
export { DdimScheduler, spacedTimesteps } from './ddim.js';
export { DpmSolverPlusPlus2MScheduler } from './dpmpp2m.js';
export { EulerScheduler } from './euler.js';
export { PndmScheduler } from './pndm.js';

export type SchedulerName = 'ddim' | 'pndm' | 'euler' | 'dpmpp2m';
export const SCHEDULER_NAMES: readonly SchedulerName[] = ['ddim', 'pndm', 'euler', 'dpmpp2m'];

/** diffusers' `_class_name` of each scheduler gluegen implements. */
const CLASS_NAMES: Record<string, SchedulerName> = {
  DDIMScheduler: 'ddim',
  PNDMScheduler: 'pndm',
  EulerDiscreteScheduler: 'euler',
  DPMSolverMultistepScheduler: 'dpmpp2m',
};

/**
 * Build a scheduler. `config` is a parsed scheduler_config.json (validated here) or an already
 * validated SchedulerConfig; omitted fields take Stable Diffusion 1.5's values.
 */
export function createScheduler(
  name: SchedulerName,
  config: unknown = {},
  options: SchedulerOptions = {},
): Scheduler {
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
    default:
      throw new Error(`unknown scheduler '${String(name)}'; expected one of ${SCHEDULER_NAMES.join(', ')}`);
  }
}

/** The scheduler a diffusers config names in `_class_name`, or null if gluegen has no such scheduler. */
export function schedulerNameForConfig(json: unknown): SchedulerName | null {
  if (typeof json !== 'object' || json === null) return null;
  const cls = (json as Record<string, unknown>)['_class_name'];
  return typeof cls === 'string' ? (CLASS_NAMES[cls] ?? null) : null;
}
