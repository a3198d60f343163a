/**
 * Condition sources: every way of turning inputs into the generator's conditions [B, T, D] and its
 * unconditional condition [1, T, D]. The X-to-image pipeline takes one source; what differs between
 * `gluegen generate`, the server, the demo and the experiments is only which source they hand it:
 *
 * - encoderSource: an encoder, optionally followed by a map into the generator's space (a GlueNet
 *   aligner, the naive plug-in, a linear map) and a text transformation in front (translation);
 * - mixSource: GlueGen's sound + text mix of a source with the generator's own text encoder;
 * - perInputSource: each input through a source of its own (a demo page of many routes).
 *
 * The unconditional condition, as in the GlueGen release: for text, "" through the same encoder and
 * map; for audio, "" through the generator's own text encoder when there is one, else zeros.
 * A negative prompt replaces "" on the same path: the new text encoder + map for text inputs (as the
 * release and diffusers' GlueGen pipeline do), the generator's own text encoder for audio inputs.
 */
import { type EncodedBatch, type Encoder, type EncoderInput, encodeAll, type Modality } from '../encoders/types.js';
import { type ConditionShape, type MixSpec, mixConditions } from './mix.js';

/** Where an unconditional condition came from (reported with the images). */
export type UncondSource = 'encoder' | 'native-text-encoder' | 'zeros' | 'per-input';

/** Condition tensors for a batch of inputs of type I. */
export interface ConditionSource<I> {
  readonly name: string;
  /** [T, D] of what condition() returns, when known before running (null: checked after). */
  readonly shape: { tokens: number; dim: number } | null;
  readonly uncondSource: UncondSource;
  /** Whether unconditional() takes negative prompts (false: only "" / zeros). */
  readonly negativePrompts: boolean;
  /** What the PNG metadata names: the encoder, the GlueNet (null: none), anything else (e.g. the mix). */
  readonly names?: SourceNames;
  /** Throws a clear Error when input i is not something this source takes. */
  checkInput(input: I, i: number): void;
  /** [B, T, D] conditions, one per input. */
  condition(inputs: I[]): Promise<Float32Array>;
  /** [1, T, D]; with K negative prompts, [K, T, D] of them instead of "". */
  unconditional(negativePrompts?: string[]): Promise<Float32Array>;
}

/** Model names (never local paths) for the PNG `parameters` metadata. */
export interface SourceNames {
  encoder: string;
  gluenet: string | null;
  extra?: Record<string, string>;
}

/** Encoder features [B, Tn, Dn] (flat) -> generator condition [B, T, D] (flat). */
export type AlignFn = (features: Float32Array, batch: number) => Promise<Float32Array> | Float32Array;

export interface EncoderSourceOptions<M extends Modality> {
  /** Names the source in reports (default: the encoder's name). */
  name?: string;
  /** The map's name for the PNG metadata when it is a GlueNet (e.g. its folder's name). */
  gluenetName?: string;
  /** Maps encoded features into the generator's condition space (GlueNet, naive plug-in, linear map). */
  map?: (encoded: EncodedBatch) => Promise<Float32Array> | Float32Array;
  /** [T, D] the map outputs, when it says (a GlueNet's tokens_out, dim_out). */
  mapShape?: { tokens: number; dim: number };
  /** Rewrites each input before encoding (e.g. word-by-word translation). */
  transform?: (input: EncoderInput<M>) => EncoderInput<M>;
  /**
   * The unconditional condition: 'self' ("" through this source: text encoders), a text source
   * (audio: the generator's own text encoder), or 'zeros' of the given shape.
   */
  uncond?: 'self' | ConditionSource<string> | { zeros: { tokens: number; dim: number } };
}

/** A GlueNet-style aligner as a map of encoded features. */
export function alignMap(align: AlignFn): (encoded: EncodedBatch) => Promise<Float32Array> | Float32Array {
  return (e) => align(e.features, e.batch);
}

const MODALITY_INPUT: Record<Modality, { what: string; is: (input: unknown) => boolean }> = {
  text: { what: 'a string', is: (x) => typeof x === 'string' },
  audio: {
    what: 'an audio clip {samples, sampleRate}',
    is: (x) => typeof x === 'object' && x !== null && (x as { samples?: unknown }).samples instanceof Float32Array,
  },
  pointcloud: {
    what: 'a point cloud {positions, colours?}',
    is: (x) => typeof x === 'object' && x !== null && (x as { positions?: unknown }).positions instanceof Float32Array,
  },
};

function checkModality(modality: Modality, encoderName: string, input: unknown, i: number): void {
  if (!MODALITY_INPUT[modality].is(input))
    throw new Error(`x2image: input ${i} is not ${MODALITY_INPUT[modality].what}, but encoder '${encoderName}' takes ${modality}`);
}

/** encoder -> [map]; see EncoderSourceOptions. */
export function encoderSource<M extends Modality>(encoder: Encoder<M>, o: EncoderSourceOptions<M> = {}): ConditionSource<EncoderInput<M>> {
  const modality = encoder.info.modality;
  const uncond = o.uncond ?? (modality === 'text' ? 'self' : { zeros: o.mapShape ?? { tokens: encoder.info.tokens, dim: encoder.info.dim } });
  const transform = o.transform;
  const encode = async (inputs: EncoderInput<M>[]): Promise<Float32Array> => {
    const encoded = await encodeAll(encoder, transform ? inputs.map(transform) : inputs);
    if (encoded.batch !== inputs.length)
      throw new Error(`internal: encoder '${encoder.info.name}' returned ${encoded.batch} items for ${inputs.length} inputs`);
    return o.map ? o.map(encoded) : encoded.features;
  };
  return {
    name: o.name ?? encoder.info.name,
    shape: o.map ? (o.mapShape ?? null) : { tokens: encoder.info.tokens, dim: encoder.info.dim },
    uncondSource: uncond === 'self' ? 'encoder' : 'zeros' in uncond ? 'zeros' : 'native-text-encoder',
    negativePrompts: uncond === 'self' ? modality === 'text' : !('zeros' in uncond) && uncond.negativePrompts,
    names: { encoder: encoder.info.name, gluenet: o.map ? (o.gluenetName ?? null) : null },
    checkInput: (input, i) => checkModality(modality, encoder.info.name, input, i),
    condition: encode,
    unconditional: async (negatives) => {
      const texts = negatives && negatives.length > 0 ? negatives : [''];
      if (uncond === 'self') return encode(texts as EncoderInput<M>[]);
      if ('zeros' in uncond) {
        if (texts.some((t) => t !== '')) throw new Error(`x2image: '${encoder.info.name}' has no text path for a negative prompt; drop the negative prompt`);
        return new Float32Array(uncond.zeros.tokens * uncond.zeros.dim);
      }
      return uncond.unconditional(negatives);
    },
  };
}

/** An input of a mix: what the mixed source takes, and the prompt of the text side. */
export interface MixInput<I> {
  input: I;
  prompt: string;
}

/** GlueGen's sound + text mix: source(input) mixed with text(prompt) by `spec` (see mix.ts). */
export function mixSource<I>(
  source: ConditionSource<I>,
  text: ConditionSource<string>,
  spec: MixSpec,
  shape: { tokens: number; dim: number },
): ConditionSource<MixInput<I>> {
  // Validates split / weight against the token count with zero conditions of the right shape.
  const zeros = new Float32Array(shape.tokens * shape.dim);
  mixConditions(zeros, zeros, { batch: 1, ...shape }, spec);
  return {
    name: `${source.name} + ${text.name} (${spec.kind === 'splice' ? `splice:${spec.split}` : `avg:${spec.weight}`})`,
    shape,
    uncondSource: source.uncondSource,
    negativePrompts: source.negativePrompts,
    ...(source.names
      ? { names: { ...source.names, extra: { ...source.names.extra, Mix: spec.kind === 'splice' ? `splice:${spec.split}` : `avg:${spec.weight}` } } }
      : {}),
    checkInput: (x, i) => {
      if (typeof x?.prompt !== 'string') throw new Error(`x2image: mix input ${i} has no text prompt`);
      source.checkInput(x.input, i);
    },
    condition: async (inputs) => {
      const mixShape: ConditionShape = { batch: inputs.length, ...shape };
      return mixConditions(await source.condition(inputs.map((x) => x.input)), await text.condition(inputs.map((x) => x.prompt)), mixShape, spec);
    },
    unconditional: (negatives) => source.unconditional(negatives),
  };
}

/** An input routed through a source of its own. */
export interface RoutedInput {
  source: ConditionSource<never>;
  input: unknown;
}

/**
 * Each input through its own source, one input at a time, with one shared unconditional condition
 * (a batch of several routes, as the demo page draws them).
 */
export function perInputSource(unconditional: () => Promise<Float32Array>, name = 'per input'): ConditionSource<RoutedInput> {
  return {
    name,
    shape: null,
    uncondSource: 'per-input',
    negativePrompts: false,
    checkInput: (x, i) => (x.source as ConditionSource<unknown>).checkInput(x.input, i),
    condition: async (inputs) => {
      const parts: Float32Array[] = [];
      for (const x of inputs) parts.push(await (x.source as ConditionSource<unknown>).condition([x.input]));
      const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) out.set(p, at), (at += p.length);
      return out;
    },
    unconditional,
  };
}

/** Routes an input through `source` inside a perInputSource batch. */
export function route<I>(source: ConditionSource<I>, input: I): RoutedInput {
  return { source: source as ConditionSource<never>, input };
}
