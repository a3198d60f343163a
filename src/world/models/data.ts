/**
 * Tensors for training the world models from the world data (src/world/data): image pools as
 * float NCHW in [-1, 1], fresh English captions per draw, one-hot attribute targets, the word-level
 * tokenizer built from the caption vocabulary, and token ids padded to the encoder's length.
 */

import { type TextTokenizer, tokenizerFromJson, wordLevelVocabulary } from '../../encoders/text/tokenizer.js';
import { buildWordLevelTokenizer, type TokenizerFiles } from '../../encoders/text/tokenizer-json.js';
import { Rng } from '../../util/rng.js';
import { ATTRIBUTE_NAMES, type Attributes, type NamedAttributes } from '../data/attributes.js';
import { captionEn } from '../data/captions-en.js';
import { makeSplit, type Split } from '../data/dataset.js';
import { HEADS, NUM_LOGITS } from './evaluator.js';

export const IMAGE_SIDE = 32;
const PIXELS = 3 * IMAGE_SIDE * IMAGE_SIDE;

/** Rendered examples of one split as model-ready arrays. */
export interface ImagePool {
  attrs: Attributes[];
  /** [N, 3, 32, 32] in [-1, 1]. */
  pixels: Float32Array;
  /** The caption each example was rendered with (held-out prompts for the test split). */
  captions: { text: string; named: NamedAttributes }[];
}

/** HWC bytes -> CHW floats in [-1, 1], written at `out[offset..]`. */
export function bytesToPixels(image: Uint8Array, out: Float32Array, offset: number): void {
  const n = IMAGE_SIDE * IMAGE_SIDE;
  if (image.length !== 3 * n) throw new Error(`internal: world image has ${image.length} bytes, expected ${3 * n}`);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) out[offset + c * n + i] = image[i * 3 + c]! / 127.5 - 1;
}

export function renderPool(split: Split, n: number, seed: number): ImagePool {
  const examples = makeSplit(split, n, seed);
  const pixels = new Float32Array(n * PIXELS);
  examples.forEach((e, i) => bytesToPixels(e.image, pixels, i * PIXELS));
  return { attrs: examples.map((e) => e.attrs), pixels, captions: examples.map((e) => e.caption) };
}

/**
 * In place: a 3x3 blur of one [3, 32, 32] image at `offset`, neighbours weighted 1 and the centre
 * `centre` (1: box blur; larger: milder), edges clamped — the softness of a generated or decoded image.
 */
export function blur3x3(pixels: Float32Array, offset: number, centre: number): void {
  const S = IMAGE_SIDE;
  const src = pixels.slice(offset, offset + 3 * S * S);
  const norm = 1 / (8 + centre);
  for (let c = 0; c < 3; c++) {
    const plane = c * S * S;
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        let sum = (centre - 1) * src[plane + y * S + x]!;
        for (let dy = -1; dy <= 1; dy++) {
          const yy = Math.min(S - 1, Math.max(0, y + dy));
          for (let dx = -1; dx <= 1; dx++) sum += src[plane + yy * S + Math.min(S - 1, Math.max(0, x + dx))]!;
        }
        pixels[offset + plane + y * S + x] = sum * norm;
      }
    }
  }
}

/** Copies rows `indices` of a pool into a [B, ...] batch (rows of `per` values: images, or latents). */
export function gatherPixels(pool: ImagePool, indices: number[], per = PIXELS): Float32Array {
  const out = new Float32Array(indices.length * per);
  indices.forEach((k, i) => out.set(pool.pixels.subarray(k * per, (k + 1) * per), i * per));
  return out;
}

/** Concatenated one-hot targets [B, 29] in the evaluator's head order. */
export function oneHotTargets(attrs: Attributes[]): Float32Array {
  const out = new Float32Array(attrs.length * NUM_LOGITS);
  attrs.forEach((a, i) => {
    for (const h of HEADS) out[i * NUM_LOGITS + h.offset + a[h.name]] = 1;
  });
  return out;
}

/** Whether a caption naming `named` of `described` also describes `other` (all named attributes agree). */
export function captionMatches(described: Attributes, named: NamedAttributes, other: Attributes): boolean {
  return ATTRIBUTE_NAMES.every((name) => !named[name] || described[name] === other[name]);
}

/** Batch sampler: indices drawn without replacement within an epoch, reshuffled per epoch. */
export class IndexSampler {
  private order: number[] = [];
  private at = 0;

  constructor(
    private readonly n: number,
    private readonly rng: Rng,
  ) {
    if (n < 1) throw new Error('internal: IndexSampler over an empty pool');
  }

  next(batch: number): number[] {
    const out: number[] = [];
    while (out.length < batch) {
      if (this.at >= this.order.length) {
        this.order = this.rng.permutation(this.n);
        this.at = 0;
      }
      out.push(this.order[this.at++]!);
    }
    return out;
  }
}

/** Fresh English captions (random named subsets, as the data's distribution) for `attrs`. */
export function freshCaptions(attrs: Attributes[], rng: Rng): { text: string; named: NamedAttributes }[] {
  return attrs.map((a) => captionEn(a, rng));
}

/** The word-level tokenizer over the English caption vocabulary (every word the grammar can emit). */
export function buildWorldTokenizer(seed: number, maxTokens: number): TokenizerFiles {
  const rng = new Rng(seed);
  const texts: string[] = [];
  // Enough draws that every synonym and template appears (the grammar has ~100 words).
  for (let i = 0; i < 20000; i++) {
    const attrs = { object: rng.int(10), colour: rng.int(8), size: rng.int(2), position: rng.int(9) };
    texts.push(captionEn(attrs, rng).text);
  }
  return buildWordLevelTokenizer({ words: wordLevelVocabulary(texts), modelMaxLength: maxTokens });
}

export function tokenizerFromFiles(files: TokenizerFiles): TextTokenizer {
  return tokenizerFromJson(files.tokenizerJson, files.tokenizerConfig, { specialTokensMap: files.specialTokensMap, source: 'world tokenizer' });
}

/** Token ids [B, T] (int64), padded with [PAD] and truncated to T, BOS/EOS included. */
export function tokenize(tokenizer: TextTokenizer, texts: string[], maxTokens: number): BigInt64Array {
  return tokenizer.encodeBatch(texts, { maxLength: maxTokens, padding: 'max_length', truncation: true }).inputIds;
}
