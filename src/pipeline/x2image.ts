/**
 * X-to-image: one linear pipeline from inputs of any modality to images, used by `gluegen generate`,
 * the server, the demo and the world experiments alike.
 *
 *   inputs -> condition source (encoder [-> GlueNet | baseline map] [-> mix]) -> conditions [B, T, D]
 *          -> generator.generate (the shared guided denoising loop) -> RGB images -> PNG bytes
 *
 * The parts (a generator and a condition source, see sources.ts) are fixed at construction and
 * checked against each other; each run takes its own request and never changes the pipeline.
 *
 * Usage: `const p = new X2ImagePipeline({ generator, source }); p.checkRequest(r); const out = await p.run(r);`
 */
import type { GeneratedImages, Generator } from '../generators/types.js';
import { encodePng } from '../io/png.js';
import { Rng } from '../util/rng.js';
import type { ConditionSource, UncondSource } from './sources.js';

export type { AlignFn, UncondSource } from './sources.js';

export interface X2ImageParts<I> {
  generator: Generator;
  /** Turns the inputs into the generator's conditions (and gives the unconditional one). */
  source: ConditionSource<I>;
}

export interface X2ImageRequest<I> {
  /** One input per image. */
  inputs: I[];
  steps?: number; // 50
  guidance?: number; // 7.5; <= 1 turns guidance off (src/generators/denoise.ts)
  /** An implemented scheduler name, or 'default' for the generator's own. */
  scheduler?: string; // 'default'
  seed?: number; // 42
  /** The noise source instead of `seed`: runs that share one continue its stream. */
  rng?: Rng;
  /** Images per generator call (default: all inputs in one call); chunks draw from the same noise stream. */
  chunk?: number;
  height?: number; // generator default
  width?: number; // generator default
  /** Encode PNG files (default true). */
  png?: boolean;
  onStep?: (step: number, total: number) => void;
  signal?: AbortSignal;
}

export interface X2ImageResult {
  images: GeneratedImages;
  /** One PNG file's bytes per image (empty with `png: false`). */
  pngs: Uint8Array[];
  /** The conditions fed to the generator, [B, T, D]. */
  condition: Float32Array;
  /** The unconditional condition, [1, T, D], and where it came from. */
  uncond: Float32Array;
  uncondSource: UncondSource;
}

export class X2ImagePipeline<I> {
  readonly parts: Readonly<X2ImageParts<I>>;

  /** Checks the parts against each other (a source of the wrong shape says what to add). */
  constructor(parts: X2ImageParts<I>) {
    this.parts = Object.freeze({ ...parts });
    const { tokens, dim } = parts.generator.condition;
    const s = parts.source.shape;
    if (s !== null && (s.tokens !== tokens || s.dim !== dim)) {
      throw new Error(
        `x2image: '${parts.source.name}' gives [${s.tokens}, ${s.dim}] features but generator '${parts.generator.name}' takes [${tokens}, ${dim}] conditions; ` +
          "add a GlueNet trained for this encoder (--gluenet), or use the generator's own text encoder",
      );
    }
  }

  /** Checks everything about a request that can be checked before running a model; throws a clear Error. */
  checkRequest(r: X2ImageRequest<I>): void {
    if (r.inputs.length === 0) throw new Error('x2image: no inputs; pass at least one prompt or audio clip');
    r.inputs.forEach((x, i) => this.parts.source.checkInput(x, i));
    const { steps = 50, guidance = 7.5, seed = 42 } = r;
    if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`x2image: steps ${steps} must be a positive integer`);
    if (!(Number.isFinite(guidance) && guidance >= 0)) throw new Error(`x2image: guidance ${guidance} must be a number >= 0 (7.5 is usual; <= 1 turns guidance off)`);
    if (!(Number.isInteger(seed) && seed >= 0)) throw new Error(`x2image: seed ${seed} must be an integer >= 0`);
    if (r.chunk !== undefined && !(Number.isInteger(r.chunk) && r.chunk >= 1)) throw new Error(`x2image: chunk ${r.chunk} must be a positive integer`);
  }

  private checkCondition(cond: Float32Array, batch: number, what: string): void {
    const { tokens, dim } = this.parts.generator.condition;
    if (cond.length !== batch * tokens * dim) {
      throw new Error(
        `x2image: the ${what} has ${cond.length} values but the generator takes [${batch}, ${tokens}, ${dim}] = ${batch * tokens * dim}; ` +
          "the aligner (GlueNet) does not output this generator's condition shape",
      );
    }
  }

  async run(r: X2ImageRequest<I>): Promise<X2ImageResult> {
    this.checkRequest(r);
    const { generator, source } = this.parts;
    const n = r.inputs.length;
    const chunk = r.chunk ?? n;
    const rng = r.rng ?? new Rng(r.seed ?? 42);
    const uncond = await source.unconditional();
    this.checkCondition(uncond, 1, 'unconditional condition');
    const per = generator.condition.tokens * generator.condition.dim;
    const condition = new Float32Array(n * per);
    const images: Uint8Array[] = [];
    let size = { width: 0, height: 0 };
    for (let start = 0; start < n; start += chunk) {
      const inputs = r.inputs.slice(start, start + chunk);
      const cond = await source.condition(inputs);
      this.checkCondition(cond, inputs.length, 'condition');
      condition.set(cond, start * per);
      const out = await generator.generate({
        cond,
        uncond,
        batch: inputs.length,
        steps: r.steps ?? 50,
        guidance: r.guidance ?? 7.5,
        scheduler: r.scheduler ?? 'default',
        rng,
        ...(r.height !== undefined ? { height: r.height } : {}),
        ...(r.width !== undefined ? { width: r.width } : {}),
        ...(r.onStep ? { onStep: r.onStep } : {}),
        ...(r.signal ? { signal: r.signal } : {}),
      });
      images.push(...out.images);
      size = { width: out.width, height: out.height };
    }
    const result = { images, ...size };
    const pngs = r.png === false ? [] : images.map((rgb) => encodePng(rgb, size.width, size.height, 3));
    return { images: result, pngs, condition, uncond, uncondSource: source.uncondSource };
  }
}
