/**
 * The Encoder interface shared by every encoder gluegen knows: text or audio, a real ONNX export
 * or one of the bundled world's. An encoder turns a batch of inputs into token features
 * [B, T, D] float32 — the "new encoder X" that GlueNet aligns, or the generator's own text encoder.
 */
export type Modality = 'text' | 'audio' | 'pointcloud';

export interface EncoderInfo {
  /** A short name for messages and reports (e.g. 'clip-text', 'world-multilingual'). */
  name: string;
  modality: Modality;
  /** Tokens per item (T): fixed, since generators and GlueNets expect a fixed-length condition. */
  tokens: number;
  /** Feature width (D). */
  dim: number;
}

/** Audio as mono samples at a known rate (the encoder resamples as it needs). */
export interface AudioClip {
  samples: Float32Array;
  sampleRate: number;
  /** Where it came from, for error messages. */
  source?: string;
}

/**
 * Points sampled from a surface: positions in the encoder's units (scale carries size, so they are
 * not normalised), with an optional colour per point.
 */
export interface PointCloud {
  /** [N, 3] x y z, row-major. */
  positions: Float32Array;
  /** [N, 3] red green blue in [0, 1], row-major; absent: the encoder's neutral colour. */
  colours?: Float32Array;
  /** Where it came from, for error messages. */
  source?: string;
}

export type EncoderInput<M extends Modality> = M extends 'text' ? string : M extends 'audio' ? AudioClip : PointCloud;

export interface EncodedBatch {
  /** [B, T, D] row-major. */
  features: Float32Array;
  batch: number;
  tokens: number;
  dim: number;
  /** [B, T]: 1 for real tokens, 0 for padding, when the encoder knows. */
  mask?: Uint8Array;
}

export interface Encoder<M extends Modality = Modality> {
  readonly info: EncoderInfo & { modality: M };
  encode(inputs: EncoderInput<M>[]): Promise<EncodedBatch>;
  release(): Promise<void>;
}

/** Encodes a large list in batches, yielding each batch's features (for feature extraction). */
export async function* encodeInBatches<M extends Modality>(
  encoder: Encoder<M>,
  inputs: EncoderInput<M>[],
  batchSize: number,
): AsyncGenerator<{ start: number; batch: EncodedBatch }> {
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  for (let start = 0; start < inputs.length; start += batchSize) {
    yield { start, batch: await encoder.encode(inputs.slice(start, start + batchSize)) };
  }
}

/** Encodes any number of inputs in batches into one [N, T, D] array (features only). */
export async function encodeAll<M extends Modality>(encoder: Encoder<M>, inputs: EncoderInput<M>[], batchSize = 64): Promise<EncodedBatch> {
  const { tokens, dim } = encoder.info;
  const features = new Float32Array(inputs.length * tokens * dim);
  for await (const { start, batch } of encodeInBatches(encoder, inputs, batchSize)) features.set(batch.features, start * tokens * dim);
  return { features, batch: inputs.length, tokens, dim };
}
