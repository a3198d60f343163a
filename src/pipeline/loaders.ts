/**
 * Loading the models of an X-to-image pipeline from folders, once, from typed options; the command
 * line, the server and library callers share it. Every folder opens by what its own files say it is
 * (generators/open.ts, encoders/registry.ts); short names of bundled models are resolved by the
 * caller before this (the pipeline knows no bundled world). Tests swap the loaders for stubs.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelDtype } from '../encoders/model-file.js';
import { describeEncoderFolder, loadEncoder } from '../encoders/registry.js';
import type { Encoder, EncoderInput, Modality } from '../encoders/types.js';
import type { Device } from '../engine/runtime.js';
import { openGenerator } from '../generators/open.js';
import type { Generator } from '../generators/types.js';
import { loadAligner } from '../gluenet/load.js';
import type { MixSpec } from './mix.js';
import { type AlignFn, alignMap, type ConditionSource, encoderSource, type MixInput, mixSource } from './sources.js';

export interface LoadedAlignerPart {
  align: AlignFn;
  release(): Promise<void>;
  /** How many tokens of the new encoder the GlueNet expects. */
  tokensIn?: number;
  /** [T, D] the GlueNet outputs. */
  shapeOut?: { tokens: number; dim: number };
}

export interface GenerateLoaders {
  generator(dir: string, device: Device): Promise<Generator>;
  /** maxLength: pad/truncate to this many tokens (a GlueNet's tokens_in), else the encoder's default. */
  textEncoder(dir: string, device: Device, maxLength?: number, dtype?: ModelDtype): Promise<Encoder<'text'>>;
  audioEncoder(dir: string, device: Device, dtype?: ModelDtype): Promise<Encoder<'audio'>>;
  pointCloudEncoder(dir: string, device: Device): Promise<Encoder<'pointcloud'>>;
  aligner(dir: string, device: Device): Promise<LoadedAlignerPart>;
}

export const DEFAULT_LOADERS: GenerateLoaders = {
  generator: (dir, device) => openGenerator(dir, { device }),
  textEncoder: (dir, device, maxLength, dtype) =>
    loadEncoder(dir, { device, ...(maxLength ? { maxLength } : {}), ...(dtype ? { dtype } : {}) }) as Promise<Encoder<'text'>>,
  audioEncoder: (dir, device, dtype) => loadEncoder(dir, { device, ...(dtype ? { dtype } : {}) }) as Promise<Encoder<'audio'>>,
  pointCloudEncoder: (dir, device) => loadEncoder(dir, { device }) as Promise<Encoder<'pointcloud'>>,
  aligner: async (dir, device) => {
    const a = await loadAligner(dir, { device });
    return { align: a.align, release: a.release, tokensIn: a.config.tokens_in, shapeOut: { tokens: a.config.tokens_out, dim: a.config.dim_out } };
  },
};

/** The generator's own text encoder inside its folder (SD layout: GENERATOR/text_encoder), or null. */
export function ownTextEncoderDir(generatorDir: string): string | null {
  const dir = join(generatorDir, 'text_encoder');
  return existsSync(dir) ? dir : null;
}

/** What an existing encoder folder takes ('audio', 'pointcloud', 'text'); 'text' for a path that is no folder. */
export function folderModality(dir: string): Modality {
  return existsSync(dir) ? describeEncoderFolder(dir).modality : 'text';
}

/** The encoder a folder holds takes other inputs than the request brings (a user error: the wrong --encoder). */
export class EncoderModalityError extends Error {
  override name = 'EncoderModalityError';
  constructor(
    readonly dir: string,
    readonly takes: Modality,
    readonly given: Modality,
  ) {
    super(`encoder '${dir}' takes ${MODALITY_WORDS[takes]}, not ${MODALITY_WORDS[given]}; pass an encoder for ${MODALITY_WORDS[given]} and its GlueNet`);
  }
}

/** Modalities as messages name them. */
export const MODALITY_WORDS: Record<Modality, string> = { text: 'text', audio: 'sounds', pointcloud: 'point clouds' };

/** What to load: folders (short names already resolved). */
export interface X2ImageModelOptions {
  generator: string;
  /** The encoder of the inputs; default: the generator's own text encoder (GENERATOR/text_encoder). */
  encoder?: string | null;
  /** Which kind of inputs the encoder takes (default: as its folder says). */
  modality?: Modality;
  /** A GlueNet mapping the encoder's features into the generator's condition space. */
  gluenet?: string | null;
  /** The generator's own text encoder, for audio and point clouds: the unconditional (and the text side of a mix). */
  textEncoder?: string | null;
  device?: Device;
  /** Weight variant of transformers.js encoder folders ('fp32' model.onnx, 'fp16', 'q8', ...); the new encoder only. */
  dtype?: ModelDtype;
}

/** An encoder of any modality, as the loaders return it. */
export type AnyEncoder = Encoder<'text'> | Encoder<'audio'> | Encoder<'pointcloud'>;

/** Loaded models of one pipeline; release() frees them all. */
export interface X2ImageModels {
  generator: Generator;
  modality: Modality;
  encoder: AnyEncoder;
  aligner: LoadedAlignerPart | null;
  nativeTextEncoder: Encoder<'text'> | null;
  release(): Promise<void>;
}

/** Loads generator, encoder, GlueNet and (audio, point clouds) the generator's text encoder; frees what it loaded on failure. */
export async function loadX2ImageModels(o: X2ImageModelOptions, loaders: GenerateLoaders = DEFAULT_LOADERS): Promise<X2ImageModels> {
  const device = o.device ?? 'cpu';
  const releases: (() => Promise<void>)[] = [];
  const keep = <T extends { release(): Promise<void> }>(x: T): T => (releases.push(() => x.release()), x);
  const release = async (): Promise<void> => {
    for (const r of releases.splice(0).reverse()) await r().catch(() => undefined);
  };
  try {
    const encoderDir = o.encoder ?? ownTextEncoderDir(o.generator);
    if (encoderDir === null) throw new Error(`'${o.generator}' has no text_encoder/; pass the text encoder with --encoder DIR`);
    const modality = o.modality ?? folderModality(encoderDir);
    const generator = keep(await loaders.generator(o.generator, device));
    const aligner = o.gluenet ? keep(await loaders.aligner(o.gluenet, device)) : null;
    // A GlueNet was trained on a fixed number of new-encoder tokens (77 for the release's XLM-R):
    // pad/truncate prompts to exactly that.
    const encoder: AnyEncoder =
      modality === 'audio'
        ? keep(await loaders.audioEncoder(encoderDir, device, o.dtype))
        : modality === 'pointcloud'
          ? keep(await loaders.pointCloudEncoder(encoderDir, device))
          : keep(await loaders.textEncoder(encoderDir, device, aligner?.tokensIn, o.dtype));
    // The folder said what it takes; an encoder that takes something else would fail on every input.
    if (encoder.info.modality !== modality) throw new EncoderModalityError(encoderDir, encoder.info.modality, modality);
    const nativeTextEncoder = modality !== 'text' && o.textEncoder ? keep(await loaders.textEncoder(o.textEncoder, device)) : null;
    return { generator, modality, encoder, aligner, nativeTextEncoder, release };
  } catch (e) {
    await release();
    throw e;
  }
}

/**
 * The condition source of loaded parts: encoder -> [GlueNet]; for audio and point clouds the
 * unconditional from the generator's own text encoder (zeros without one), since "" is no sound or
 * shape; with `mix`, GlueGen's sound + text mix.
 */
export function modelSource(
  m: {
    generator: Generator;
    encoder: AnyEncoder;
    align?: AlignFn | null;
    alignName?: string;
    alignShape?: { tokens: number; dim: number };
    nativeTextEncoder?: Encoder<'text'> | null;
  },
  mix?: MixSpec | null,
): ConditionSource<EncoderInput<Modality>> | ConditionSource<MixInput<EncoderInput<Modality>>> {
  const shape = m.generator.condition;
  const native = m.nativeTextEncoder ? encoderSource(m.nativeTextEncoder) : null;
  if (native && (native.shape!.tokens !== shape.tokens || native.shape!.dim !== shape.dim)) {
    throw new Error(
      `x2image: the generator's text encoder '${m.nativeTextEncoder!.info.name}' gives [${native.shape!.tokens}, ${native.shape!.dim}] features but the generator takes [${shape.tokens}, ${shape.dim}]; pass the text encoder of this generator`,
    );
  }
  const notText = m.encoder.info.modality !== 'text';
  const source = encoderSource(m.encoder as Encoder<Modality>, {
    ...(m.align ? { map: alignMap(m.align), gluenetName: m.alignName ?? 'unnamed' } : {}),
    ...(m.align && m.alignShape ? { mapShape: m.alignShape } : {}),
    ...(notText ? { uncond: native ?? { zeros: shape } } : {}),
  });
  if (!mix) return source;
  if (!native) throw new Error("x2image: mixing needs the generator's own text encoder for the text side (--text-encoder)");
  return mixSource(source, native, mix, shape);
}
