/**
 * The VAE decoder of an SD ONNX export (latent_sample -> sample) and the conversion of its output
 * to 8-bit RGB, as diffusers does: image = clamp(x / 2 + 0.5, 0, 1), bytes = round(image * 255).
 */
import type { Session } from '../../engine/runtime.js';
import { FloatBuffer, type FloatType, floatTypeOf, outputToFloat32 } from './io-types.js';

export interface DecodedImage {
  /** RGB bytes, HWC. */
  rgb: Uint8Array;
  width: number;
  height: number;
}

export class VaeDecoder {
  private readonly inputName: string;
  private readonly outputName: string;
  private readonly inputType: FloatType;
  /** Milliseconds spent inside the VAE session so far. */
  sessionMs = 0;

  constructor(
    private readonly session: Session,
    file: string,
    /** Latents are divided by this before decoding (0.18215 for SD 1.x). */
    private readonly scalingFactor: number,
  ) {
    const what = `VAE decoder '${file}'`;
    const input = session.input('latent_sample') ?? (session.inputs.length === 1 ? session.inputs[0] : undefined);
    if (!input) throw new Error(`${what} has inputs ${session.inputs.map((i) => i.name).join(', ')}; expected one input 'latent_sample'`);
    const output = session.outputs.find((o) => o.name === 'sample') ?? (session.outputs.length === 1 ? session.outputs[0] : undefined);
    if (!output) throw new Error(`${what} has outputs ${session.outputs.map((o) => o.name).join(', ')}; expected 'sample'`);
    const batch = input.dims?.[0];
    if (typeof batch === 'number' && batch !== 1) {
      throw new Error(`${what} is fixed to batch ${batch}; images are decoded one at a time, so re-export it with batch 1 or a dynamic batch`);
    }
    this.inputName = input.name;
    this.outputName = output.name;
    this.inputType = floatTypeOf(input, what);
  }

  async release(): Promise<void> {
    await this.session.release();
  }

  /** Decodes one latent [C, h, w] (already in the UNet's latent space) to RGB bytes. */
  async decode(latent: Float32Array, shape: readonly [number, number, number]): Promise<DecodedImage> {
    const scaled = new Float32Array(latent.length);
    const inv = 1 / this.scalingFactor;
    for (let i = 0; i < latent.length; i++) scaled[i] = latent[i]! * inv;
    const input = new FloatBuffer(this.inputType, [1, ...shape]);
    input.write(scaled, 0);
    const started = performance.now();
    const result = await this.session.run({ [this.inputName]: input.tensor });
    this.sessionMs += performance.now() - started;
    const out = result[this.outputName];
    if (!out) throw new Error(`internal: VAE decoder returned no '${this.outputName}'`);
    const dims = out.dims;
    if (dims.length !== 4 || dims[0] !== 1 || dims[1] !== 3) {
      throw new Error(`VAE decoder output '${this.outputName}' has dims [${dims.join(', ')}]; expected [1, 3, height, width] (an RGB image)`);
    }
    const [, , height, width] = dims as [number, number, number, number];
    return { rgb: chwToRgbBytes(outputToFloat32(out, `VAE decoder output '${this.outputName}'`), height, width), width, height };
  }
}

/**
 * [3, H, W] values in [-1, 1] -> HWC RGB bytes: round(clamp((x + 1) / 2, 0, 1) * 255).
 * A Uint8ClampedArray store clamps to [0, 255], rounds half to even (as numpy's round) and maps
 * NaN (a broken fp16 export) to 0.
 */
export function chwToRgbBytes(chw: Float32Array, height: number, width: number): Uint8Array {
  const plane = height * width;
  if (chw.length !== 3 * plane) throw new Error(`internal: image has ${chw.length} values, expected 3 x ${height} x ${width}`);
  const out = new Uint8ClampedArray(3 * plane);
  for (let c = 0; c < 3; c++) {
    const src = chw.subarray(c * plane, (c + 1) * plane);
    for (let p = 0, o = c; p < plane; p++, o += 3) out[o] = ((src[p]! + 1) / 2) * 255;
  }
  return new Uint8Array(out.buffer);
}
