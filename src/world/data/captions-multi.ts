/**
 * Captions of the same attribute sets in seven languages (parallel data for GlueNet), and the
 * paper's "translate to English, then the original pipeline" baseline as a deliberately naive
 * word-by-word dictionary translation.
 *
 * Grammar and vocabulary live in one small file per language (lang-*.ts); English in captions-en.ts.
 */
import type { Rng } from '../../util/rng.js';
import { type Attributes, checkAttributes, type NamedAttributes } from './attributes.js';
import { ENGLISH } from './captions-en.js';
import { type Caption, LANGUAGES, type Language, type LanguageModule, normalizeNamed } from './grammar.js';
import { GERMAN } from './lang-de.js';
import { SPANISH } from './lang-es.js';
import { FRENCH } from './lang-fr.js';
import { ITALIAN } from './lang-it.js';
import { JAPANESE } from './lang-ja.js';
import { CHINESE } from './lang-zh.js';

export { type Caption, LANGUAGES, type Language, sampleNamed } from './grammar.js';

const MODULES: Readonly<Record<Language, LanguageModule>> = {
  en: ENGLISH,
  zh: CHINESE,
  fr: FRENCH,
  es: SPANISH,
  it: ITALIAN,
  ja: JAPANESE,
  de: GERMAN,
};

/** The language for a code such as "fr"; throws a clear Error listing the supported codes. */
export function parseLanguage(code: string): Language {
  const normalized = String(code).trim().toLowerCase();
  if ((LANGUAGES as readonly string[]).includes(normalized)) return normalized as Language;
  throw new Error(`unknown language code "${String(code)}"; supported: ${LANGUAGES.map((l) => `${l} (${MODULES[l].name})`).join(', ')}`);
}

/** English name of a language, e.g. "French". */
export function languageName(lang: Language): string {
  return MODULES[parseLanguage(lang)].name;
}

/**
 * A caption of `attrs` in `lang` naming exactly the attributes flagged in `named` (missing flags =
 * false; at least one must be true). Deterministic given the Rng state.
 */
export function captionIn(lang: Language, attrs: Attributes, named: Partial<NamedAttributes>, rng: Rng): Caption {
  const module = MODULES[parseLanguage(lang)];
  checkAttributes(attrs, 'captionIn');
  const flags = normalizeNamed(named, 'captionIn');
  return { text: module.caption(attrs, flags, rng), named: flags };
}

// ---------------------------------------------------------------------------------------------
// Word-by-word translation baseline

/** Longest dictionary key, in tokens (latin) or characters (CJK), per language; computed lazily. */
const longestKey = new Map<Language, number>();

function maxKeyLength(module: LanguageModule): number {
  let n = longestKey.get(module.code);
  if (n === undefined) {
    n = 1;
    for (const key of module.dictionary.keys()) {
      n = Math.max(n, module.script === 'cjk' ? [...key].length : key.split(' ').length);
    }
    longestKey.set(module.code, n);
  }
  return n;
}

/**
 * Naive translation to English: greedy longest match of dictionary phrases, left to right. Latin
 * scripts match lower-cased word sequences (apostrophes and punctuation split words); CJK scripts
 * match character sequences with no segmentation step. Unknown words/characters are kept verbatim,
 * as a real dictionary lookup would leave them. English text is returned unchanged.
 */
export function translateWordByWord(text: string, lang: Language): string {
  const module = MODULES[parseLanguage(lang)];
  if (module.code === 'en') return text;
  const maxLen = maxKeyLength(module);
  const units = module.script === 'cjk' ? [...text.replace(/[\s\p{P}]+/gu, '')] : (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
  const glue = module.script === 'cjk' ? '' : ' ';
  const out: string[] = [];
  let unknown = ''; // a run of unmatched CJK characters is kept as one word
  for (let i = 0; i < units.length; ) {
    let matched = 0;
    for (let len = Math.min(maxLen, units.length - i); len >= 1; len--) {
      const english = module.dictionary.get(units.slice(i, i + len).join(glue));
      if (english !== undefined) {
        if (unknown) out.push(unknown);
        unknown = '';
        if (english) out.push(english);
        matched = len;
        break;
      }
    }
    if (matched > 0) {
      i += matched;
    } else if (module.script === 'cjk') {
      unknown += units[i++];
    } else {
      out.push(units[i++]!);
    }
  }
  if (unknown) out.push(unknown);
  return out.join(' ');
}
