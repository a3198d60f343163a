/**
 * Shared pieces of the caption grammars: language codes, the per-language module shape, which
 * attributes a caption names, and small helpers the language files use.
 */
import type { Rng } from '../../util/rng.js';
import { ATTRIBUTE_NAMES, type AttributeName, type Attributes, type NamedAttributes } from './attributes.js';

/** Supported caption languages (ISO 639-1). */
export const LANGUAGES = ['en', 'zh', 'fr', 'es', 'it', 'ja', 'de'] as const;
export type Language = (typeof LANGUAGES)[number];

/** A caption and the attributes it names (evaluation scores only those). */
export interface Caption {
  text: string;
  named: NamedAttributes;
}

/** One language: caption builder plus the dictionary the word-by-word translation baseline uses. */
export interface LanguageModule {
  code: Language;
  /** English name of the language, for messages. */
  name: string;
  /** "latin": space-separated words; "cjk": no spaces, dictionary segmentation. */
  script: 'latin' | 'cjk';
  /** A caption naming exactly the attributes flagged in `named` (at least one is flagged). */
  caption(attrs: Attributes, named: NamedAttributes, rng: Rng): string;
  /**
   * Word or phrase (lower case for latin scripts; phrases as words joined by one space) -> English
   * words; "" drops the entry (particles, measure words).
   */
  dictionary: ReadonlyMap<string, string>;
}

/** Fill missing flags with false and check that something is named. */
export function normalizeNamed(named: Partial<NamedAttributes>, where: string): NamedAttributes {
  const out = {} as NamedAttributes;
  for (const name of ATTRIBUTE_NAMES) {
    const flag = named[name] ?? false;
    if (typeof flag !== 'boolean') {
      throw new Error(`${where}: named.${name} is ${String(flag)}; expected true, false or absent`);
    }
    out[name] = flag;
  }
  if (!ATTRIBUTE_NAMES.some((n) => out[n])) {
    throw new Error(`${where}: named flags no attribute; a caption must name at least one of ${ATTRIBUTE_NAMES.join(', ')}`);
  }
  return out;
}

/** Probability that a sampled caption names each attribute. */
const NAME_PROBABILITY: Readonly<Record<AttributeName, number>> = {
  object: 0.8,
  colour: 0.8,
  size: 0.5,
  position: 0.6,
};

/** A random subset of attributes to name (never empty). Draws 4 numbers per attempt from `rng`. */
export function sampleNamed(rng: Rng): NamedAttributes {
  for (;;) {
    const named = {} as NamedAttributes;
    for (const name of ATTRIBUTE_NAMES) named[name] = rng.uniform() < NAME_PROBABILITY[name];
    if (ATTRIBUTE_NAMES.some((n) => named[n])) return named;
  }
}

/** Dictionary builder: later entries for the same key must agree (catches table typos). */
export function buildDictionary(entries: Iterable<readonly [string, string]>): Map<string, string> {
  const dict = new Map<string, string>();
  for (const [key, english] of entries) {
    const prior = dict.get(key);
    if (prior !== undefined && prior !== english) {
      throw new Error(`internal: dictionary entry "${key}" maps to both "${prior}" and "${english}"`);
    }
    dict.set(key, english);
  }
  return dict;
}

/** Join words with single spaces, skipping empty ones. */
export function words(...parts: (string | undefined | false)[]): string {
  return parts.filter((p): p is string => typeof p === 'string' && p.length > 0).join(' ');
}
