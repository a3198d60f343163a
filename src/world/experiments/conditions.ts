/**
 * Ways to turn an input (a caption in some language, or a sound) into the generator's condition
 * [B, Tg, Dg] — one per row of the GlueGen experiments: the native encoder, GlueNet, and the
 * baselines. Each also gives the unconditional condition used for classifier-free guidance.
 */
import { encodeAll, type EncodedBatch, type Encoder, type EncoderInput, type Modality } from '../../encoders/types.js';

import { naivePlugIn, type LinearMap } from '../../gluenet/baselines.js';
import type { LoadedAligner } from '../../gluenet/load.js';

export interface ConditionSource<M extends Modality> {
  name: string;
  /** [B, Tg, Dg] flat. */
  condition(inputs: EncoderInput<M>[]): Promise<Float32Array>;
  /** [1, Tg, Dg]. */
  uncondition(): Promise<Float32Array>;
}

export interface Shape {
  tokens: number;
  dim: number;
}

/** The generator's own text encoder (the upper bound, and the target GlueNet learns). */
export function nativeSource(native: Encoder<'text'>, name = 'native English'): ConditionSource<'text'> {
  return {
    name,
    condition: async (texts) => (await encodeAll(native, texts)).features,
    uncondition: async () => (await native.encode([''])).features,
  };
}

/** New encoder -> GlueNet aligner; uncond = "" through the same encoder + aligner (as the release). */
export function glueNetSource<M extends Modality>(name: string, encoder: Encoder<M>, aligner: LoadedAligner, uncondFrom?: () => Promise<Float32Array>): ConditionSource<M> {
  return {
    name,
    condition: async (inputs) => {
      const e = await encodeAll(encoder, inputs);
      return aligner.align(e.features, e.batch);
    },
    uncondition: uncondFrom ?? (async () => aligner.align((await encoder.encode(['' as EncoderInput<M>])).features, 1)),
  };
}

/** New features zero-padded/truncated into the generator's shape (no alignment at all). */
export function naiveSource<M extends Modality>(name: string, encoder: Encoder<M>, out: Shape, uncondFrom?: () => Promise<Float32Array>): ConditionSource<M> {
  const plug = (e: EncodedBatch): Float32Array => naivePlugIn(e.features, e.batch, e.tokens, e.dim, out.tokens, out.dim);
  return {
    name,
    condition: async (inputs) => plug(await encodeAll(encoder, inputs)),
    uncondition: uncondFrom ?? (async () => plug(await encoder.encode(['' as EncoderInput<M>]))),
  };
}

/** A least-squares linear map of the flattened new features. */
export function linearSource<M extends Modality>(name: string, encoder: Encoder<M>, map: LinearMap, uncondFrom?: () => Promise<Float32Array>): ConditionSource<M> {
  return {
    name,
    condition: async (inputs) => {
      const e = await encodeAll(encoder, inputs);
      return map.apply(e.features, e.batch);
    },
    uncondition: uncondFrom ?? (async () => map.apply((await encoder.encode(['' as EncoderInput<M>])).features, 1)),
  };
}

/** Any text transformation in front of the native encoder (the translate-then-generate baseline). */
export function translatedSource(name: string, native: Encoder<'text'>, translate: (text: string) => string): ConditionSource<'text'> {
  return {
    name,
    condition: async (texts) => (await encodeAll(native, texts.map(translate))).features,
    uncondition: async () => (await native.encode([''])).features,
  };
}
