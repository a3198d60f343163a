/**
 * Parallel pairs for gluing new encoders into the world generator — the only training data GlueNet
 * ever sees (no images):
 * - multilingual: the same attribute set captioned in a language L and in English;
 * - sound: a synthesized sound event and an English caption of its label ("a bell", ...).
 * Prompts for evaluation come from a different split, so GlueNets are scored on unseen captions.
 */
import { Rng } from '../../util/rng.js';
import type { Attributes, NamedAttributes } from '../data/attributes.js';
import { OBJECTS } from '../data/attributes.js';
import { captionIn, LANGUAGES, type Language } from '../data/captions-multi.js';
import { exampleSeed, sampleAttributes } from '../data/dataset.js';
import { sampleNamed } from '../data/grammar.js';
import { synthSound } from '../data/sounds.js';

export type Split = 'train' | 'val' | 'test';

export interface TextPair {
  lang: Language;
  /** The caption in `lang` (the new encoder's side). */
  text: string;
  /** The same attributes, same named subset, in English (the generator's side). */
  english: string;
  attrs: Attributes;
  named: NamedAttributes;
}

/** The languages the multilingual experiments prompt in (all but the generator's English). */
export const NON_ENGLISH: readonly Language[] = LANGUAGES.filter((l) => l !== 'en');

/** n caption pairs for one language, or cycling through all non-English languages with 'all'. */
export function textPairs(lang: Language | 'all', n: number, split: Split, seed: number): TextPair[] {
  const langs = lang === 'all' ? NON_ENGLISH : [lang];
  return Array.from({ length: n }, (_, i) => {
    const rng = new Rng(exampleSeed(split, i, seed));
    const l = langs[i % langs.length]!;
    const attrs = sampleAttributes(rng);
    const named = sampleNamed(rng);
    return { lang: l, text: captionIn(l, attrs, named, rng).text, english: captionIn('en', attrs, named, rng).text, attrs, named };
  });
}

export interface SoundPair {
  object: number;
  /** 16 kHz mono. */
  audio: Float32Array;
  /** An English caption naming the object (the generator's side). */
  english: string;
}

export function soundPairs(n: number, split: Split, seed: number): SoundPair[] {
  return Array.from({ length: n }, (_, i) => {
    const rng = new Rng(exampleSeed(split, i, seed + 7919));
    const object = i % OBJECTS.length;
    const audio = synthSound(object, rng);
    const english = captionIn('en', { object, colour: 0, size: 0, position: 0 }, { object: true }, rng).text;
    return { object, audio, english };
  });
}

/**
 * Held-out prompts of one language that appear in none of `exclude` (the training and validation
 * captions, either side) and not twice: the world's captions are short, so different attribute draws
 * can give the same string, and a test prompt seen in training would flatter every learned method.
 */
export function heldOutTextPairs(lang: Language, n: number, split: Split, seed: number, exclude: ReadonlySet<string>): TextPair[] {
  return unseenPairs(
    (k, sp, sd) => textPairs(lang, k, sp, sd),
    n,
    split,
    seed,
    (p) => !exclude.has(p.text) && !exclude.has(p.english),
    `${lang} prompts`,
  );
}

/**
 * n pairs from `draw` that `fresh` accepts and whose prompt (`text`) is not drawn twice, in rounds of
 * other seeds until there are n; bounded, so a tiny world cannot hang.
 */
export function unseenPairs(
  draw: (n: number, split: Split, seed: number) => TextPair[],
  n: number,
  split: Split,
  seed: number,
  fresh: (p: TextPair) => boolean,
  what = 'prompts',
): TextPair[] {
  const out: TextPair[] = [];
  const seen = new Set<string>();
  for (let round = 0; out.length < n && round < 50; round++) {
    for (const p of draw(n, split, seed + round * 104729)) {
      if (out.length >= n) break;
      if (!fresh(p) || seen.has(p.text)) continue;
      seen.add(p.text);
      out.push(p);
    }
  }
  if (out.length < n) throw new Error(`internal: only ${out.length} of ${n} unseen ${what} could be drawn`);
  return out;
}

/** The pair every prompt-driven method must also get right: "" (the unconditional prompt under guidance). */
export function emptyPair(lang: Language): TextPair {
  return {
    lang,
    text: '',
    english: '',
    attrs: { object: 0, colour: 0, size: 0, position: 0 },
    named: { object: false, colour: false, size: false, position: false },
  };
}

/** n training pairs with 1% of them (at least one) the empty pair, so "" is aligned like any caption. */
export function trainingTextPairs(n: number, seed: number): TextPair[] {
  const empties = Math.max(1, Math.round(n / 100));
  const pairs = textPairs('all', n - empties, 'train', seed);
  for (let i = 0; i < empties; i++) pairs.splice(Math.floor(((i + 0.5) * pairs.length) / empties), 0, emptyPair('zh'));
  return pairs;
}

/** Splits n pairs into a training and a validation part (10%, at least 10), the same rule for every method. */
export function carveValidation<T>(pairs: readonly T[]): { train: T[]; val: T[] } {
  const v = Math.min(pairs.length - 1, Math.max(10, Math.round(pairs.length / 10)));
  // Every k-th pair, so the validation part covers the languages and the empty pair's neighbours evenly.
  const step = pairs.length / v;
  const valIdx = new Set(Array.from({ length: v }, (_, i) => Math.floor(i * step)));
  return { train: pairs.filter((_, i) => !valIdx.has(i)), val: pairs.filter((_, i) => valIdx.has(i)) };
}

export interface MultilingualPromptSets {
  /** Training pairs (before each method carves its validation part). */
  train: TextPair[];
  /** Prompts for choices between recipes, and test prompts: per language, none seen before. */
  val: TextPair[];
  test: TextPair[];
  /** Every caption (either side) of the three sets: what fresh prompts must avoid. */
  seen: Set<string>;
}

/**
 * The multilingual experiments' inputs: training pairs, then validation prompts unseen in them, then
 * test prompts unseen in either (each language's prompts drawn against the same set, then added).
 */
export function multilingualPromptSets(pairs: number, valPerLanguage: number, testPerLanguage: number, seed: number): MultilingualPromptSets {
  const train = trainingTextPairs(pairs, seed);
  const seen = new Set(train.flatMap((p) => [p.text, p.english]));
  const draw = (n: number, split: Split): TextPair[] => {
    const drawn = NON_ENGLISH.flatMap((l, i) => heldOutTextPairs(l, n, split, seed + i, seen));
    for (const p of drawn) seen.add(p.text).add(p.english);
    return drawn;
  };
  const val = draw(valPerLanguage, 'val');
  const test = draw(testPerLanguage, 'test');
  return { train, val, test, seen };
}
