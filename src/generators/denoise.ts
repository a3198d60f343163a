/**
 * The one guided denoising loop. Stable Diffusion folders and the bundled world's generator both
 * run it; each supplies its UNet session (SD's UNet interface: sample, timestep,
 * encoder_hidden_states -> out_sample), its scheduler and, afterwards, its own decoder.
 *
 *   1. latents ~ N(0, 1) * scheduler.initNoiseSigma, drawn from the seeded Rng
 *   2. for each timestep t: eps = guided UNet prediction of scaleModelInput(latents, t)
 *                           latents = scheduler.step(eps, t, latents)
 *
 * Guidance rule (classifier-free guidance, Ho & Salimans 2022, as diffusers decides it): guidance
 * > 1 runs the unconditional and conditional halves and mixes them,
 * eps = eps_uncond + guidance * (eps_cond - eps_uncond); guidance <= 1 turns guidance off: the
 * UNet sees only the conditional rows (one UNet row per image per step) and eps = eps_cond.
 */
import type { Session } from '../engine/runtime.js';
import type { Scheduler } from './sd/schedulers/index.js';
import { GuidedUnet, type UnetSignature } from './sd/unet.js';
import type { ConditionSpec, GenerateOptions } from './types.js';

/** The single rule for "is classifier-free guidance on" (see the file comment). */
export function guidanceIsOn(guidance: number): boolean {
  return guidance > 1;
}

/** Throws unless `guidance` is a usable scale; `what` names the generator in the message. */
export function checkGuidance(guidance: number, what: string): void {
  if (!(Number.isFinite(guidance) && guidance >= 0)) {
    throw new Error(`${what}: guidance ${guidance} must be a finite number >= 0 (7.5 is usual for SD, 3 for the world; <= 1 turns guidance off)`);
  }
}

/** The UNet a generator supplies to the loop. */
export interface DenoiseUnet {
  /** The UNet and what its inputs declare. */
  session: Session;
  signature: UnetSignature;
  /** [T, D] of the conditions it cross-attends to. */
  condition: ConditionSpec;
  /** Run the unconditional and conditional halves as two UNet calls even when one would do. */
  separate: boolean;
}

export interface DenoiseResult {
  /** [B, C, h, w] denoised latents. */
  latents: Float32Array;
  steps: number;
  /** UNet calls per step and UNet rows (images x halves) per step. */
  unetCallsPerStep: number;
  unetRowsPerStep: number;
  /** Milliseconds inside the UNet session. */
  unetMs: number;
}

/**
 * Runs the loop for a generator's request `o` (conditions, guidance, noise, callbacks) over latents
 * of `latentShape` [C, h, w]; `scheduler` has its timesteps set; `what` names the generator in errors.
 */
export async function denoise(
  unet: DenoiseUnet,
  scheduler: Scheduler,
  latentShape: readonly [number, number, number],
  o: GenerateOptions,
  what: string,
): Promise<DenoiseResult> {
  const { batch, rng } = o;
  const { tokens, dim } = unet.condition;
  const row = tokens * dim;
  if (!(Number.isInteger(batch) && batch >= 1)) throw new Error(`${what}: batch ${batch} must be a positive integer`);
  checkGuidance(o.guidance, what);
  if (o.cond.length !== batch * row) {
    throw new Error(`${what}: cond has ${o.cond.length} values; expected batch x tokens x dim = ${batch} x ${tokens} x ${dim} = ${batch * row}`);
  }
  const guided = guidanceIsOn(o.guidance);
  if (guided && o.uncond.length !== row && o.uncond.length !== batch * row) {
    throw new Error(
      `${what}: uncond has ${o.uncond.length} values; expected [1, ${tokens}, ${dim}] (${row}) or [${batch}, ${tokens}, ${dim}] (${batch * row})`,
    );
  }
  const guidedUnet = new GuidedUnet(unet.session, unet.signature, {
    cond: o.cond,
    uncond: guided ? o.uncond : null,
    batch,
    tokens,
    dim,
    latentShape,
    guidance: o.guidance,
    separate: unet.separate,
  });
  const latentSize = latentShape[0] * latentShape[1] * latentShape[2];
  let latents = rng.fillNormal(new Float32Array(batch * latentSize), scheduler.initNoiseSigma);
  const noise = (): number => rng.normal();
  const total = scheduler.timesteps.length;
  for (let i = 0; i < total; i++) {
    if (o.signal?.aborted) throw new Error(`${what}: generation aborted at step ${i} of ${total}`);
    const t = scheduler.timesteps[i]!;
    const eps = await guidedUnet.predict(scheduler.scaleModelInput(latents, t), t);
    latents = scheduler.step(eps, t, latents, noise);
    o.onStep?.(i + 1, total);
  }
  return { latents, steps: total, unetCallsPerStep: guidedUnet.callsPerStep, unetRowsPerStep: guidedUnet.rowsPerStep, unetMs: guidedUnet.sessionMs };
}
