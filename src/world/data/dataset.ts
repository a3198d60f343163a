/**
 * Examples of the miniature world: attributes, the rendered image and a caption (any language), or a
 * sound clip of the object class with a caption naming the object.
 *
 * Splits are reproducible per base seed: example i of a split is built from its own Rng, seeded
 * from a range reserved for that split, so the three splits never share a seed and example i does not
 * depend on how many examples are requested.
 */
import { Rng } from '../../util/rng.js';
import { type Attributes, attributesFromIndex, COUNTS, NUM_COMBINATIONS, OBJECTS } from './attributes.js';
import { type Caption, captionIn, type Language, parseLanguage, sampleNamed } from './captions-multi.js';
import { IMAGE_SIZE, renderImageSize } from './render.js';
import { synthSound } from './sounds.js';

export type Split = 'train' | 'val' | 'test';
const SPLITS: readonly Split[] = ['train', 'val', 'test'];
/** Seeds of split k lie in [k * SPLIT_SEEDS, (k + 1) * SPLIT_SEEDS). */
const SPLIT_SEEDS = 2 ** 30;

export interface Example {
  /** Set by makeSplit: the seed this example was built from (makeExample(new Rng(seed), options)). */
  seed?: number;
  attrs: Attributes;
  /** [size, size, 3] RGB bytes, HWC row-major. */
  image: Uint8Array;
  caption: Caption;
}

export interface ExampleOptions {
  /** Caption language (default "en"). */
  lang?: Language;
  /** Image side in pixels (default 32). */
  imageSize?: number;
  /** Use these attributes instead of sampling them. */
  attrs?: Attributes;
}

export interface SoundExample {
  /** Set by makeSoundSplit, as Example.seed. */
  seed?: number;
  /** OBJECTS index of the sound's class. */
  object: number;
  /** 16 kHz mono samples in [-1, 1]. */
  audio: Float32Array;
  /** A caption naming only the object, e.g. "a bell" / "一个铃铛". */
  caption: Caption;
}

/** Uniformly random attributes (draws 4 integers). */
export function sampleAttributes(rng: Rng): Attributes {
  return {
    object: rng.int(COUNTS.object),
    colour: rng.int(COUNTS.colour),
    size: rng.int(COUNTS.size),
    position: rng.int(COUNTS.position),
  };
}

/**
 * One image example: attributes (sampled unless given), rendering (with seeded extent, jitter and
 * background) and a caption naming a random subset of the attributes.
 */
export function makeExample(rng: Rng, options: ExampleOptions = {}): Example {
  const lang = parseLanguage(options.lang ?? 'en');
  const attrs = options.attrs ?? sampleAttributes(rng);
  const image = renderImageSize(attrs, options.imageSize ?? IMAGE_SIZE, rng);
  const caption = captionIn(lang, attrs, sampleNamed(rng), rng);
  return { attrs, image, caption };
}

/** One sound example: a uniformly random object class, its synthesised clip and a caption naming it. */
export function makeSoundExample(rng: Rng, options: { lang?: Language } = {}): SoundExample {
  const lang = parseLanguage(options.lang ?? 'en');
  const object = rng.int(OBJECTS.length);
  const audio = synthSound(object, rng);
  const caption = captionIn(lang, { object, colour: 0, size: 0, position: 0 }, { object: true }, rng);
  return { object, audio, caption };
}

/** The seed of example `index` of `split` for `baseSeed`; seeds of different splits never collide. */
export function exampleSeed(split: Split, index: number, baseSeed: number): number {
  const k = SPLITS.indexOf(split);
  if (k < 0) throw new Error(`exampleSeed: split is "${String(split)}"; expected one of ${SPLITS.join(', ')}`);
  if (!Number.isInteger(index) || index < 0 || index >= SPLIT_SEEDS) {
    throw new Error(`exampleSeed: index is ${String(index)}; expected an integer in [0, 2^30)`);
  }
  if (!Number.isInteger(baseSeed)) throw new Error(`exampleSeed: baseSeed is ${String(baseSeed)}; expected an integer`);
  // Scramble the base seed so that neighbouring base seeds start far apart within the split's range.
  const offset = Math.imul(baseSeed ^ 0x5bd1e995, 0x9e3779b1) >>> 2; // in [0, 2^30)
  return k * SPLIT_SEEDS + ((offset + index) % SPLIT_SEEDS);
}

function checkSplitArgs(where: string, split: Split, n: number): void {
  if (!SPLITS.includes(split)) throw new Error(`${where}: split is "${String(split)}"; expected one of ${SPLITS.join(', ')}`);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${where}: n is ${String(n)}; expected a non-negative integer`);
}

/** `n` image examples of `split`, reproducible from `baseSeed`. */
export function makeSplit(split: Split, n: number, baseSeed: number, options: Omit<ExampleOptions, 'attrs'> = {}): Example[] {
  checkSplitArgs('makeSplit', split, n);
  return Array.from({ length: n }, (_, i) => {
    const seed = exampleSeed(split, i, baseSeed);
    return { seed, ...makeExample(new Rng(seed), options) };
  });
}

/** `n` sound examples of `split`, reproducible from `baseSeed` (seeds shared with makeSplit's). */
export function makeSoundSplit(split: Split, n: number, baseSeed: number, options: { lang?: Language } = {}): SoundExample[] {
  checkSplitArgs('makeSoundSplit', split, n);
  return Array.from({ length: n }, (_, i) => {
    const seed = exampleSeed(split, i, baseSeed);
    return { seed, ...makeSoundExample(new Rng(seed), options) };
  });
}

/**
 * `n` attribute sets covering the combinations uniformly: whole shuffled passes over all 1440
 * combinations, then a shuffled partial pass, so each combination appears floor(n/1440) or one more
 * times.
 */
export function uniformCombinations(n: number, rng: Rng): Attributes[] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`uniformCombinations: n is ${String(n)}; expected a non-negative integer`);
  const out: Attributes[] = [];
  while (out.length < n) {
    for (const index of rng.permutation(NUM_COMBINATIONS)) {
      if (out.length === n) break;
      out.push(attributesFromIndex(index));
    }
  }
  return out;
}

export { enumerateCombinations } from './attributes.js';
