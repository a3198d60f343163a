/** One generated image as the library returns it: RGB bytes plus the PNG (with its metadata). */
import { encodePng } from '../io/png.js';

export class GeneratedImage {
  constructor(
    readonly width: number,
    readonly height: number,
    /** RGB bytes, row-major, width * height * 3. */
    readonly data: Uint8Array,
    /** The PNG `parameters` text (prompt, negative prompt, steps, sampler, CFG scale, seed, models). */
    readonly parameters: string,
  ) {
    if (data.length !== width * height * 3) throw new Error(`internal: image data has ${data.length} bytes for ${width}x${height} RGB`);
  }

  /** The image as PNG file bytes, with `parameters` in a text chunk that image tools show. */
  toPng(): Uint8Array {
    return encodePng(this.data, this.width, this.height, 3, { parameters: this.parameters });
  }
}
