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

/** n caption pairs for one language, or cycling through all non-English languages with 'all'. */
export function textPairs(lang: Language | 'all', n: number, split: Split, seed: number): TextPair[] {
  const langs = lang === 'all' ? LANGUAGES.filter((l) => l !== 'en') : [lang];
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
