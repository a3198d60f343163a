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
import type { Rng } from '../util/rng.js';
import type { Scheduler } from './sd/schedulers/index.js';
import { GuidedUnet, type UnetSignature } from './sd/unet.js';

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

export interface DenoiseSetup {
  /** The UNet and what its inputs declare. */
  session: Session;
  signature: UnetSignature;
  /** A scheduler whose timesteps are already set. */
  scheduler: Scheduler;
  /** [B, T, D] conditions. */
  cond: Float32Array;
  /** [1 or B, T, D] unconditional conditions (unused when guidance is off). */
  uncond: Float32Array;
  batch: number;
  tokens: number;
  dim: number;
  /** [C, h, w] of one latent. */
  latentShape: readonly [number, number, number];
  guidance: number;
  /** Run the unconditional and conditional halves as two UNet calls even when one would do. */
  separate: boolean;
  rng: Rng;
  onStep?: (step: number, total: number) => void;
  signal?: AbortSignal;
  /** Names the generator in errors. */
  what: string;
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

export async function denoise(s: DenoiseSetup): Promise<DenoiseResult> {
  const { batch, tokens, dim, latentShape, scheduler, rng, what } = s;
  const row = tokens * dim;
  if (!(Number.isInteger(batch) && batch >= 1)) throw new Error(`${what}: batch ${batch} must be a positive integer`);
  checkGuidance(s.guidance, what);
  if (s.cond.length !== batch * row) {
    throw new Error(`${what}: cond has ${s.cond.length} values; expected batch x tokens x dim = ${batch} x ${tokens} x ${dim} = ${batch * row}`);
  }
  const guided = guidanceIsOn(s.guidance);
  if (guided && s.uncond.length !== row && s.uncond.length !== batch * row) {
    throw new Error(`${what}: uncond has ${s.uncond.length} values; expected [1, ${tokens}, ${dim}] (${row}) or [${batch}, ${tokens}, ${dim}] (${batch * row})`);
  }
  const unet = new GuidedUnet(s.session, s.signature, {
    cond: s.cond,
    uncond: guided ? s.uncond : null,
    batch,
    tokens,
    dim,
    latentShape,
    guidance: s.guidance,
    separate: s.separate,
  });
  const latentSize = latentShape[0] * latentShape[1] * latentShape[2];
  let latents = rng.fillNormal(new Float32Array(batch * latentSize), scheduler.initNoiseSigma);
  const noise = (): number => rng.normal();
  const total = scheduler.timesteps.length;
  for (let i = 0; i < total; i++) {
    if (s.signal?.aborted) throw new Error(`${what}: generation aborted at step ${i} of ${total}`);
    const t = scheduler.timesteps[i]!;
    const eps = await unet.predict(scheduler.scaleModelInput(latents, t), t);
    latents = scheduler.step(eps, t, latents, noise);
    s.onStep?.(i + 1, total);
  }
  return { latents, steps: total, unetCallsPerStep: unet.callsPerStep, unetRowsPerStep: unet.rowsPerStep, unetMs: unet.sessionMs };
}
