/**
 * X-to-image: one linear pipeline from inputs of any modality to PNG images.
 *
 *   inputs -> encoder -> [align: e.g. a GlueNet aligner] -> [mix with a text condition]
 *          -> generator.generate (classifier-free guidance) -> PNG bytes
 *
 * The unconditional condition for guidance, as in the GlueGen release:
 * - text encoders: the empty prompt "" through the SAME encoder and aligner;
 * - audio encoders: "" through the generator's own text encoder (`nativeTextEncoder`, e.g. CLIP for
 *   SD 1.x, used without an aligner) when one is given, else zeros.
 * A negative prompt replaces "" as the unconditional, through the same path ("" -> "negative"): the new
 * text encoder + aligner for text inputs (as the release and diffusers' GlueGen pipeline do), the
 * generator's own text encoder for audio inputs.
 * Mixing (GlueGen's sound + text): the aligned condition is Cs, the native text encoder's condition
 * of the mix prompt is Ct; see mix.ts.
 *
 * Usage: `const p = new X2ImagePipeline(parts, request); p.checkInputs(); const r = await p.run();`
 */
import type { EncodedBatch, Encoder, EncoderInput, Modality } from '../encoders/types.js';
import type { GeneratedImages, Generator } from '../generators/types.js';
import { encodePng } from '../io/png.js';
import { formatParameters } from './metadata.js';
import { Rng } from '../util/rng.js';
import { mixConditions, type ConditionShape, type MixSpec } from './mix.js';

/** Encoder features [B, Tn, Dn] (flat) -> generator condition [B, T, D] (flat). */
export type AlignFn = (features: Float32Array, batch: number) => Promise<Float32Array> | Float32Array;

export interface X2ImageParts<M extends Modality> {
  /** Turns the inputs into features. */
  encoder: Encoder<M>;
  /** Maps the encoder's features into the generator's condition space; omit for the generator's own encoder. */
  align?: AlignFn;
  /** The aligner's name for the PNG metadata (e.g. the GlueNet folder's name). */
  alignName?: string;
  generator: Generator;
  /** The generator's own text encoder (no aligner): the unconditional for audio and the text side of a mix. */
  nativeTextEncoder?: Encoder<'text'>;
}

export interface X2ImageRequest<M extends Modality> {
  /** One input per image. */
  inputs: EncoderInput<M>[];
  /** Mix each condition with the native text encoder's condition of prompts[i] (one prompt is used for all). */
  mix?: { spec: MixSpec; prompts: string[] };
  /** What the images should not show: replaces "" as the unconditional (one for all, or one per input). */
  negativePrompts?: string[];
  steps?: number; // 50
  guidance?: number; // 7.5
  /** An implemented scheduler name, or 'default' for the generator's own. */
  scheduler?: string; // 'default'
  seed?: number; // 42
  height?: number; // generator default
  width?: number; // generator default
  onStep?: (step: number, total: number) => void;
  signal?: AbortSignal;
}

export type UncondSource = 'encoder' | 'native-text-encoder' | 'zeros';

export interface X2ImageResult {
  images: GeneratedImages;
  /** One PNG file's bytes per image. */
  pngs: Uint8Array[];
  /** The conditions fed to the generator, [B, T, D]. */
  condition: Float32Array;
  /** The unconditional condition, [1, T, D] (or [B, T, D] with one negative prompt per input), and where it came from. */
  uncond: Float32Array;
  uncondSource: UncondSource;
}

export class X2ImagePipeline<M extends Modality> {
  constructor(
    readonly parts: X2ImageParts<M>,
    readonly request: X2ImageRequest<M>,
  ) {}

  private get shape(): ConditionShape {
    const { tokens, dim } = this.parts.generator.condition;
    return { batch: this.request.inputs.length, tokens, dim };
  }

  /** Checks everything that can be checked before running a model; throws a clear Error. */
  checkInputs(): void {
    const { encoder, align, generator, nativeTextEncoder } = this.parts;
    const r = this.request;
    const { tokens, dim } = generator.condition;
    const modality = encoder.info.modality;
    if (r.inputs.length === 0) throw new Error('x2image: no inputs; pass at least one prompt or audio clip');
    r.inputs.forEach((x, i) => {
      const ok = modality === 'text' ? typeof x === 'string' : typeof x === 'object' && x !== null && (x as { samples?: unknown }).samples instanceof Float32Array;
      if (!ok) throw new Error(`x2image: input ${i} is not ${modality === 'text' ? 'a string' : 'an audio clip {samples, sampleRate}'}, but encoder '${encoder.info.name}' takes ${modality}`);
    });
    if (!align && (encoder.info.tokens !== tokens || encoder.info.dim !== dim)) {
      throw new Error(
        `x2image: encoder '${encoder.info.name}' gives [${encoder.info.tokens}, ${encoder.info.dim}] features but generator '${generator.name}' takes [${tokens}, ${dim}] conditions; ` +
          'add a GlueNet trained for this encoder (--gluenet), or use the generator\'s own text encoder',
      );
    }
    const textOk = (e: Encoder<'text'>): boolean => e.info.tokens === tokens && e.info.dim === dim;
    if (nativeTextEncoder && !textOk(nativeTextEncoder)) {
      throw new Error(
        `x2image: the generator's text encoder '${nativeTextEncoder.info.name}' gives [${nativeTextEncoder.info.tokens}, ${nativeTextEncoder.info.dim}] features but the generator takes [${tokens}, ${dim}]; pass the text encoder of this generator`,
      );
    }
    if (r.mix) {
      if (!nativeTextEncoder) throw new Error("x2image: mixing needs the generator's own text encoder for the text side (--text-encoder)");
      const n = r.mix.prompts.length;
      if (n !== 1 && n !== r.inputs.length) throw new Error(`x2image: mix has ${n} prompts for ${r.inputs.length} inputs; pass one prompt, or one per input`);
      // Validates split / weight against the token count with zero conditions of the right shape.
      const zeros = new Float32Array(tokens * dim);
      mixConditions(zeros, zeros, { batch: 1, tokens, dim }, r.mix.spec);
    }
    const negs = r.negativePrompts ?? [];
    if (negs.length > 1 && negs.length !== r.inputs.length) throw new Error(`x2image: ${negs.length} negative prompts for ${r.inputs.length} inputs; pass one, or one per input`);
    negs.forEach((n, i) => {
      if (typeof n !== 'string') throw new Error(`x2image: negative prompt ${i} is ${n === null ? 'null' : typeof n}; pass a string ("" for none)`);
    });
    if (modality === 'audio' && !nativeTextEncoder && negs.some((n) => n !== '')) {
      throw new Error("x2image: a negative prompt with audio inputs goes through the generator's own text encoder, which is not loaded; pass it (--text-encoder) or drop the negative prompt");
    }
    const { steps = 50, guidance = 7.5, seed = 42 } = r;
    if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`x2image: steps ${steps} must be a positive integer`);
    if (!(Number.isFinite(guidance) && guidance >= 0)) throw new Error(`x2image: guidance ${guidance} must be a number >= 0 (7.5 is usual; <= 1 turns guidance off)`);
    if (!(Number.isInteger(seed) && seed >= 0)) throw new Error(`x2image: seed ${seed} must be an integer >= 0`);
  }

  /** Encodes inputs and aligns them: [B, T, D] conditions. */
  private async condition(inputs: EncoderInput<M>[], what: string): Promise<Float32Array> {
    const { encoder, align } = this.parts;
    const encoded: EncodedBatch = await encoder.encode(inputs);
    if (encoded.batch !== inputs.length) throw new Error(`internal: encoder '${encoder.info.name}' returned ${encoded.batch} items for ${inputs.length} inputs`);
    const cond = align ? await align(encoded.features, encoded.batch) : encoded.features;
    this.checkCondition(cond, inputs.length, what);
    return cond;
  }

  private checkCondition(cond: Float32Array, batch: number, what: string): void {
    const { tokens, dim } = this.parts.generator.condition;
    if (cond.length !== batch * tokens * dim) {
      throw new Error(
        `x2image: the ${what} has ${cond.length} values but the generator takes [${batch}, ${tokens}, ${dim}] = ${batch * tokens * dim}; ` +
          'the aligner (GlueNet) does not output this generator\'s condition shape',
      );
    }
  }

  private async nativeText(prompts: string[], what: string): Promise<Float32Array> {
    const encoded = await (this.parts.nativeTextEncoder as Encoder<'text'>).encode(prompts);
    this.checkCondition(encoded.features, prompts.length, what);
    return encoded.features;
  }

  private async unconditional(): Promise<{ uncond: Float32Array; source: UncondSource }> {
    const { tokens, dim } = this.parts.generator.condition;
    // "" (or one negative prompt) gives [1, T, D]; one negative prompt per input gives [B, T, D].
    const negs = this.request.negativePrompts ?? [];
    const texts = negs.length === 0 ? [''] : negs.every((n) => n === negs[0]) ? [negs[0]!] : negs;
    if (this.parts.encoder.info.modality === 'text') {
      return { uncond: await this.condition(texts as EncoderInput<M>[], 'unconditional condition'), source: 'encoder' };
    }
    if (this.parts.nativeTextEncoder) return { uncond: await this.nativeText(texts, 'unconditional condition'), source: 'native-text-encoder' };
    return { uncond: new Float32Array(tokens * dim), source: 'zeros' };
  }

  /** The PNG `parameters` text of image i (see metadata.ts). */
  parameters(i: number, width: number, height: number): string {
    const r = this.request;
    const { encoder, generator, alignName } = this.parts;
    const input = r.inputs[i];
    const negs = r.negativePrompts ?? [];
    const scheduler = r.scheduler ?? 'default';
    const extra: Record<string, string | number> = {};
    if (typeof input !== 'string') extra.Audio = lastPathPart((input as { source?: string }).source ?? 'clip');
    if (r.mix) extra.Mix = r.mix.spec.kind === 'avg' ? `avg:${r.mix.spec.weight}` : `splice:${r.mix.spec.split}`;
    if (r.inputs.length > 1) Object.assign(extra, { 'Batch size': r.inputs.length, 'Batch pos': i });
    return formatParameters({
      prompt: typeof input === 'string' ? input : r.mix ? (r.mix.prompts[r.mix.prompts.length === 1 ? 0 : i] ?? '') : '',
      negativePrompt: negs[negs.length === 1 ? 0 : i] ?? '',
      steps: r.steps ?? 50,
      guidance: r.guidance ?? 7.5,
      seed: r.seed ?? 42,
      scheduler: generator.resolveScheduler ? safely(() => generator.resolveScheduler!(scheduler), scheduler) : scheduler,
      width,
      height,
      // Names, never local paths: PNGs get shared.
      generator: lastPathPart(generator.name.replace(/^sd-onnx:/, '')),
      encoder: encoder.info.name,
      gluenet: this.parts.align ? (alignName ?? 'unnamed') : null,
      extra,
    });
  }

  async run(): Promise<X2ImageResult> {
    this.checkInputs();
    const r = this.request;
    const shape = this.shape;
    let condition = await this.condition(r.inputs, 'condition');
    if (r.mix) {
      const prompts = r.mix.prompts.length === 1 ? new Array<string>(shape.batch).fill(r.mix.prompts[0]!) : r.mix.prompts;
      condition = mixConditions(condition, await this.nativeText(prompts, 'mix text condition'), shape, r.mix.spec);
    }
    const { uncond, source } = await this.unconditional();
    const images = await this.parts.generator.generate({
      cond: condition,
      uncond,
      batch: shape.batch,
      steps: r.steps ?? 50,
      guidance: r.guidance ?? 7.5,
      scheduler: r.scheduler ?? 'default',
      rng: new Rng(r.seed ?? 42),
      ...(r.height !== undefined ? { height: r.height } : {}),
      ...(r.width !== undefined ? { width: r.width } : {}),
      ...(r.onStep ? { onStep: r.onStep } : {}),
      ...(r.signal ? { signal: r.signal } : {}),
    });
    const pngs = images.images.map((rgb, i) => encodePng(rgb, images.width, images.height, 3, { parameters: this.parameters(i, images.width, images.height) }));
    return { images, pngs, condition, uncond, uncondSource: source };
  }
}

/** 'models/sd15-onnx/' -> 'sd15-onnx'; names without a path stay as they are. */
function lastPathPart(name: string): string {
  const parts = name.split(/[\\/]/).filter((s) => s !== '');
  return parts.at(-1) ?? name;
}

function safely<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}
