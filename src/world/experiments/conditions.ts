/**
 * The rows of the GlueGen experiments as condition sources of the shared X-to-image pipeline
 * (src/pipeline/sources.ts): the native encoder, GlueNet, and the baselines. Each gives the
 * generator's condition [B, Tg, Dg] for a batch of inputs and the unconditional condition.
 */
import type { Encoder, EncoderInput, Modality } from '../../encoders/types.js';
import { type LinearMap, naivePlugIn } from '../../gluenet/baselines.js';
import type { LoadedAligner } from '../../gluenet/load.js';
import { alignMap, type ConditionSource, encoderSource } from '../../pipeline/sources.js';

export type { ConditionSource };

export interface Shape {
  tokens: number;
  dim: number;
}

/** Where a row's unconditional condition comes from: "" through the row itself, or another (text) source. */
type Uncond = ConditionSource<string> | undefined;
const uncondOption = (u: Uncond): { uncond: 'self' | ConditionSource<string> } => ({ uncond: u ?? 'self' });

/** The generator's own text encoder (the upper bound, and the target GlueNet learns). */
export function nativeSource(native: Encoder<'text'>, name = 'native English'): ConditionSource<string> {
  return encoderSource(native, { name });
}

/** New encoder -> GlueNet aligner; uncond = "" through the same encoder + aligner (as the release) unless given. */
export function glueNetSource<M extends Modality>(
  name: string,
  encoder: Encoder<M>,
  aligner: LoadedAligner,
  uncond?: Uncond,
): ConditionSource<EncoderInput<M>> {
  const c = aligner.config;
  return encoderSource(encoder, { name, map: alignMap(aligner.align), mapShape: { tokens: c.tokens_out, dim: c.dim_out }, ...uncondOption(uncond) });
}

/** New features zero-padded/truncated into the generator's shape (no alignment at all). */
export function naiveSource<M extends Modality>(name: string, encoder: Encoder<M>, out: Shape, uncond?: Uncond): ConditionSource<EncoderInput<M>> {
  return encoderSource(encoder, {
    name,
    map: (e) => naivePlugIn(e.features, e.batch, e.tokens, e.dim, out.tokens, out.dim),
    mapShape: out,
    ...uncondOption(uncond),
  });
}

/** A least-squares linear map of the flattened new features. */
export function linearSource<M extends Modality>(name: string, encoder: Encoder<M>, map: LinearMap, uncond?: Uncond): ConditionSource<EncoderInput<M>> {
  return encoderSource(encoder, { name, map: (e) => map.apply(e.features, e.batch), ...uncondOption(uncond) });
}

/** Any text transformation in front of the native encoder (the translate-then-generate baseline); uncond "" untranslated. */
export function translatedSource(name: string, native: Encoder<'text'>, translate: (text: string) => string): ConditionSource<string> {
  return encoderSource(native, { name, transform: translate, uncond: nativeSource(native) });
}
