/**
 * The UNet of an SD ONNX export: what its inputs declare, and classifier-free-guided noise
 * prediction over it.
 *
 * Guidance needs the model's output for the unconditional and the conditional condition. When the
 * UNet's batch dim is dynamic, both halves go in one call of batch 2B (uncond rows first, as
 * diffusers does); with `separate` or a fixed batch they are split into calls of that batch.
 * Condition tensors are converted to the model's dtype once per generation; per step only the
 * latents and the timestep are written into preallocated buffers, and outputs are bound in place.
 */
import type { Session } from '../../engine/runtime.js';
import { FloatBuffer, type FloatType, floatTypeOf, stage, TimestepBuffer, type TimestepType, timestepTypeOf } from './io-types.js';

export interface UnetSignature {
  sample: FloatType;
  timestep: TimestepType;
  condition: FloatType;
  /** Declared timestep dims: [] scalar, [n] fixed, ['sym'] per batch row; null if undeclared. */
  timestepDims: (number | string)[] | null;
  /** A fixed batch size the export was frozen to, or null when dynamic. */
  fixedBatch: number | null;
  /** Static dims the export declares (null = dynamic or undeclared). */
  channels: number | null;
  latentHeight: number | null;
  latentWidth: number | null;
  tokens: number | null;
  dim: number | null;
  outputName: string;
  output: FloatType;
}

const REQUIRED = ['sample', 'timestep', 'encoder_hidden_states'];
const staticDim = (d: number | string | undefined): number | null => (typeof d === 'number' && d > 0 ? d : null);

export function readUnetSignature(session: Session, file: string): UnetSignature {
  const what = `UNet '${file}'`;
  const names = session.inputs.map((i) => i.name);
  const missing = REQUIRED.filter((n) => !names.includes(n));
  if (missing.length) {
    throw new Error(
      `${what} lacks input(s) ${missing.join(', ')} (it has ${names.join(', ')}); expected a Stable Diffusion 1.x/2.x UNet export with inputs ${REQUIRED.join(', ')}`,
    );
  }
  const extra = names.filter((n) => !REQUIRED.includes(n));
  if (extra.length) {
    throw new Error(
      `${what} has extra input(s) ${extra.join(', ')} (SDXL-style added conditions?); only Stable Diffusion 1.x/2.x UNets with inputs ${REQUIRED.join(', ')} are supported`,
    );
  }
  const sample = session.input('sample')!;
  const cond = session.input('encoder_hidden_states')!;
  const timestep = session.input('timestep')!;
  if (sample.dims && sample.dims.length !== 4)
    throw new Error(`${what} input 'sample' has dims [${sample.dims.join(', ')}]; expected 4 dims [batch, channels, height, width]`);
  if (cond.dims && cond.dims.length !== 3)
    throw new Error(`${what} input 'encoder_hidden_states' has dims [${cond.dims.join(', ')}]; expected 3 dims [batch, tokens, dim]`);
  if (timestep.dims && timestep.dims.length > 1) throw new Error(`${what} input 'timestep' has dims [${timestep.dims.join(', ')}]; expected a scalar or 1 dim`);
  const outputName = session.outputs.some((o) => o.name === 'out_sample') ? 'out_sample' : session.outputs.length === 1 ? session.outputs[0]!.name : null;
  if (!outputName) throw new Error(`${what} has outputs ${session.outputs.map((o) => o.name).join(', ')}; expected 'out_sample'`);
  const fixedBatch = staticDim(sample.dims?.[0]);
  const condBatch = staticDim(cond.dims?.[0]);
  if (fixedBatch !== condBatch) {
    throw new Error(
      `${what} declares batch ${sample.dims?.[0]} for 'sample' but ${cond.dims?.[0]} for 'encoder_hidden_states'; re-export it with matching batch dims`,
    );
  }
  return {
    sample: floatTypeOf(sample, what),
    timestep: timestepTypeOf(timestep, what),
    condition: floatTypeOf(cond, what),
    timestepDims: timestep.dims,
    fixedBatch,
    channels: staticDim(sample.dims?.[1]),
    latentHeight: staticDim(sample.dims?.[2]),
    latentWidth: staticDim(sample.dims?.[3]),
    tokens: staticDim(cond.dims?.[1]),
    dim: staticDim(cond.dims?.[2]),
    outputName,
    output: floatTypeOf(session.outputs.find((o) => o.name === outputName)!, what),
  };
}

export interface GuidanceSetup {
  /** [B, T, D] conditions. */
  cond: Float32Array;
  /** [1 or B, T, D] unconditional conditions; null runs no guidance (guidance <= 1). */
  uncond: Float32Array | null;
  batch: number;
  tokens: number;
  dim: number;
  /** [C, h, w] of one latent. */
  latentShape: readonly [number, number, number];
  guidance: number;
  /** Run the unconditional and conditional halves as two calls even when one would do. */
  separate: boolean;
}

/** One UNet call: which rows it holds and its preallocated tensors. */
interface UnetCall {
  /** Row r of the call is image rows[r].image of half rows[r].half. */
  rows: { half: 'uncond' | 'cond'; image: number }[];
  sample: FloatBuffer;
  condition: FloatBuffer;
  timestep: TimestepBuffer;
  out: FloatBuffer;
}

export class GuidedUnet {
  private readonly calls: UnetCall[] = [];
  private readonly latentSize: number;
  private readonly condEps: Float32Array;
  private readonly uncondEps: Float32Array | null;
  /** Milliseconds spent inside the UNet session so far. */
  sessionMs = 0;

  constructor(
    private readonly session: Session,
    private readonly sig: UnetSignature,
    private readonly setup: GuidanceSetup,
  ) {
    const { batch, tokens, dim, latentShape } = setup;
    this.latentSize = latentShape[0] * latentShape[1] * latentShape[2];
    this.condEps = new Float32Array(batch * this.latentSize);
    this.uncondEps = setup.uncond ? new Float32Array(batch * this.latentSize) : null;
    const rows: UnetCall['rows'] = [];
    if (setup.uncond) for (let i = 0; i < batch; i++) rows.push({ half: 'uncond', image: i });
    for (let i = 0; i < batch; i++) rows.push({ half: 'cond', image: i });
    const perCall = sig.fixedBatch ?? (setup.separate && setup.uncond ? batch : rows.length);
    if (rows.length % perCall !== 0) {
      throw new Error(
        `the UNet export is fixed to batch ${perCall}, which does not divide the ${rows.length} rows this generation needs ` +
          `(${batch} image(s)${setup.uncond ? ' x 2 for guidance' : ''}); use a batch that makes them divisible, or re-export the UNet with a dynamic batch`,
      );
    }
    const condRow = tokens * dim;
    for (let start = 0; start < rows.length; start += perCall) {
      const callRows = rows.slice(start, start + perCall);
      const condition = new FloatBuffer(sig.condition, [perCall, tokens, dim]);
      callRows.forEach((r, k) => {
        const src = r.half === 'cond' ? setup.cond : (setup.uncond as Float32Array);
        const row = r.half === 'uncond' && src.length === condRow ? 0 : r.image;
        condition.write(src.subarray(row * condRow, (row + 1) * condRow), k * condRow);
      });
      const tsDims = sig.timestepDims === null ? [perCall] : sig.timestepDims.map((d) => (typeof d === 'number' && d > 0 ? d : perCall));
      this.calls.push({
        rows: callRows,
        sample: new FloatBuffer(sig.sample, [perCall, ...latentShape]),
        condition,
        timestep: new TimestepBuffer(sig.timestep, tsDims),
        out: new FloatBuffer(sig.output, [perCall, ...latentShape]),
      });
    }
  }

  get callsPerStep(): number {
    return this.calls.length;
  }

  /** UNet rows (images, doubled when guided) evaluated per step. */
  get rowsPerStep(): number {
    return this.calls.reduce((n, c) => n + c.rows.length, 0);
  }

  /**
   * The guided noise prediction for `latentIn` [B, C, h, w] at timestep t:
   * eps = eps_uncond + guidance * (eps_cond - eps_uncond). A new array each call (multistep
   * schedulers keep earlier outputs).
   */
  async predict(latentIn: Float32Array, t: number): Promise<Float32Array> {
    const n = this.latentSize;
    if (latentIn.length !== this.setup.batch * n) throw new Error(`internal: latent input has ${latentIn.length} values, expected ${this.setup.batch * n}`);
    // Converted once: with guidance every latent is fed twice (unconditional and conditional rows).
    const staged = stage(latentIn, this.sig.sample);
    for (const call of this.calls) {
      call.rows.forEach((r, k) => call.sample.copy(staged.subarray(r.image * n, (r.image + 1) * n), k * n));
      call.timestep.set(t);
      const feeds = { sample: call.sample.tensor, timestep: call.timestep.tensor, encoder_hidden_states: call.condition.tensor };
      const started = performance.now();
      await this.session.run(feeds, { [this.sig.outputName]: call.out.tensor });
      this.sessionMs += performance.now() - started;
      call.rows.forEach((r, k) => call.out.read(k * n, n, r.half === 'cond' ? this.condEps : (this.uncondEps as Float32Array), r.image * n));
    }
    const out = new Float32Array(this.condEps.length);
    if (!this.uncondEps) {
      out.set(this.condEps);
      return out;
    }
    const g = this.setup.guidance;
    const c = this.condEps;
    const u = this.uncondEps;
    for (let i = 0; i < out.length; i++) out[i] = u[i]! + g * (c[i]! - u[i]!);
    return out;
  }
}
