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
 * A negative prompt replaces "" as the unconditional condition, through the source's own path (see
 * sources.ts). Each PNG carries the run's `parameters` text (metadata.ts): prompt, negative prompt,
 * seed, steps, guidance, the scheduler actually used and the names of generator, encoder and GlueNet.
 *
 * Usage: `const p = new X2ImagePipeline({ generator, source }); p.checkRequest(r); const out = await p.run(r);`
 */
import type { GeneratedImages, Generator } from '../generators/types.js';
import { encodePng } from '../io/png.js';
import { Rng } from '../util/rng.js';
import { formatParameters } from './metadata.js';
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
  /** What the images should not show: replaces "" as the unconditional (one for all, or one per input). */
  negativePrompts?: string[];
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
  /** The unconditional condition, [1, T, D] (or [B, T, D] with one negative prompt per input), and where it came from. */
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
    const negs = r.negativePrompts ?? [];
    if (negs.length > 1 && negs.length !== r.inputs.length)
      throw new Error(`x2image: ${negs.length} negative prompts for ${r.inputs.length} inputs; pass one, or one per input`);
    negs.forEach((n, i) => {
      if (typeof n !== 'string') throw new Error(`x2image: negative prompt ${i} is ${n === null ? 'null' : typeof n}; pass a string ("" for none)`);
    });
    if (!this.parts.source.negativePrompts && negs.some((n) => n !== '')) {
      throw new Error(
        this.parts.source.uncondSource === 'zeros'
          ? `x2image: a negative prompt with ${isPointCloud(r.inputs[0]) ? 'point-cloud' : 'audio'} inputs goes through the generator's own text encoder, which is not loaded; pass it (--text-encoder) or drop the negative prompt`
          : `x2image: '${this.parts.source.name}' takes no negative prompt; drop it`,
      );
    }
    const { steps = 50, guidance = 7.5, seed = 42 } = r;
    if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`x2image: steps ${steps} must be a positive integer`);
    if (!(Number.isFinite(guidance) && guidance >= 0))
      throw new Error(`x2image: guidance ${guidance} must be a number >= 0 (7.5 is usual; <= 1 turns guidance off)`);
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

  /** The PNG `parameters` text of image i of a request (see metadata.ts). */
  parameters(r: X2ImageRequest<I>, i: number, width: number, height: number): string {
    const { generator, source } = this.parts;
    const negs = r.negativePrompts ?? [];
    const scheduler = r.scheduler ?? 'default';
    const { prompt, extra } = describeInput(r.inputs[i]);
    Object.assign(extra, source.names?.extra ?? {});
    if (r.inputs.length > 1) Object.assign(extra, { 'Batch size': r.inputs.length, 'Batch pos': i });
    return formatParameters({
      prompt,
      negativePrompt: negs[negs.length === 1 ? 0 : i] ?? '',
      steps: r.steps ?? 50,
      guidance: r.guidance ?? 7.5,
      seed: r.seed ?? 42,
      scheduler: generator.resolveScheduler ? safely(() => generator.resolveScheduler!(scheduler), scheduler) : scheduler,
      width,
      height,
      // Names, never local paths: PNGs get shared.
      generator: lastPathPart(generator.name.replace(/^sd-onnx:/, '')),
      encoder: lastPathPart(source.names?.encoder ?? source.name),
      gluenet: source.names?.gluenet ?? null,
      extra,
    });
  }

  async run(r: X2ImageRequest<I>): Promise<X2ImageResult> {
    this.checkRequest(r);
    const { generator, source } = this.parts;
    const n = r.inputs.length;
    const chunk = r.chunk ?? n;
    const rng = r.rng ?? new Rng(r.seed ?? 42);
    // "" (or one negative prompt) gives [1, T, D]; one negative prompt per input gives [B, T, D].
    const negs = r.negativePrompts ?? [];
    const texts = negs.length === 0 ? [] : negs.every((x) => x === negs[0]) ? [negs[0]!] : negs;
    const uncond = await source.unconditional(texts.length > 0 ? texts : undefined);
    const uncondRows = Math.max(1, texts.length);
    this.checkCondition(uncond, uncondRows, 'unconditional condition');
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
        uncond: uncondRows === 1 ? uncond : uncond.subarray(start * per, (start + inputs.length) * per),
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
    const pngs =
      r.png === false ? [] : images.map((rgb, i) => encodePng(rgb, size.width, size.height, 3, { parameters: this.parameters(r, i, size.width, size.height) }));
    return { images: result, pngs, condition, uncond, uncondSource: source.uncondSource };
  }
}

/** 'models/sd15-onnx/' -> 'sd15-onnx'; names without a path stay as they are. */
function lastPathPart(name: string): string {
  const parts = name.split(/[\\/]/).filter((s) => s !== '');
  return parts.at(-1) ?? name;
}

/** The prompt and extra metadata of one input: a prompt, an audio clip, a mix input, a routed input. */
function describeInput(x: unknown): { prompt: string; extra: Record<string, string | number> } {
  if (typeof x === 'string') return { prompt: x, extra: {} };
  const o = (x ?? {}) as { samples?: unknown; source?: unknown; input?: unknown; prompt?: unknown };
  if (typeof o.prompt === 'string' && 'input' in o) {
    const inner = describeInput(o.input);
    return { prompt: o.prompt, extra: inner.extra };
  }
  if (o.samples instanceof Float32Array) return { prompt: '', extra: { Audio: lastPathPart(typeof o.source === 'string' ? o.source : 'clip') } };
  if (isPointCloud(o)) return { prompt: '', extra: { 'Point cloud': lastPathPart(typeof o.source === 'string' ? o.source : 'cloud') } };
  if ('input' in o && o.source !== undefined) return describeInput(o.input);
  return { prompt: '', extra: {} };
}

function isPointCloud(x: unknown): boolean {
  return typeof x === 'object' && x !== null && (x as { positions?: unknown }).positions instanceof Float32Array;
}

function safely<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}
