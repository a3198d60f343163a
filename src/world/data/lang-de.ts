/**
 * German captions. Noun phrase after the indefinite article (mixed declension), in the case the
 * template needs: nominative "eine kleine rote Glocke oben links", accusative "man sieht einen
 * großen grünen Baum", dative "ein Bild mit einem kleinen blauen Haus". Nouns are capitalised.
 */
import type { Rng } from '../../util/rng.js';
import type { Attributes, NamedAttributes } from './attributes.js';
import { buildDictionary, type LanguageModule, words } from './grammar.js';

type Gender = 'm' | 'f' | 'n';
type Case = 'nom' | 'acc' | 'dat';

/** [noun, gender, English] per object, in OBJECTS order. */
const NOUNS: readonly (readonly [string, Gender, string])[] = [
  ['Glocke', 'f', 'bell'],
  ['Vogel', 'm', 'bird'],
  ['Auto', 'n', 'car'],
  ['Uhr', 'f', 'clock'],
  ['Tropfen', 'm', 'drop'],
  ['Stern', 'm', 'star'],
  ['Baum', 'm', 'tree'],
  ['Haus', 'n', 'house'],
  ['Fisch', 'm', 'fish'],
  ['Schlüssel', 'm', 'key'],
];
const GENERIC_NOUNS: readonly (readonly [string, Gender, string])[] = [
  ['Objekt', 'n', 'object'],
  ['Ding', 'n', 'thing'],
  ['Form', 'f', 'shape'],
];
/** [stem, English, declines?] per colour, in COLOURS order; rosa stays uninflected. */
const COLOURS_DE: readonly (readonly [string, string, boolean])[] = [
  ['rot', 'red', true],
  ['orangefarben', 'orange', true],
  ['gelb', 'yellow', true],
  ['grün', 'green', true],
  ['blau', 'blue', true],
  ['violett', 'purple', true],
  ['rosa', 'pink', false],
  ['schwarz', 'black', true],
];
const SIZES_DE: readonly (readonly [string, string])[] = [
  ['klein', 'small'],
  ['groß', 'large'],
];
const POSITIONS_DE: readonly string[] = ['oben links', 'oben', 'oben rechts', 'links', 'in der Mitte', 'rechts', 'unten links', 'unten', 'unten rechts'];

/** Indefinite article and adjective ending (mixed declension), singular. */
const DECLENSION: Readonly<Record<Case, Readonly<Record<Gender, readonly [string, string]>>>> = {
  nom: { m: ['ein', 'er'], f: ['eine', 'e'], n: ['ein', 'es'] },
  acc: { m: ['einen', 'en'], f: ['eine', 'e'], n: ['ein', 'es'] },
  dat: { m: ['einem', 'en'], f: ['einer', 'en'], n: ['einem', 'en'] },
};
const ENDINGS = ['e', 'er', 'es', 'en', 'em'];
const ARTICLES = ['ein', 'eine', 'einen', 'einem', 'einer'];

const FUNCTION_WORDS: readonly (readonly [string, string])[] = [
  ...ARTICLES.map((a) => [a, 'a'] as const),
  ['ist', 'is'],
  ['das', 'this'],
  ['man sieht', 'one sees'],
  ['sieht man', 'one sees'],
  ['bild', 'picture'],
  ['mit', 'with'],
  ['oben', 'top'],
  ['unten', 'bottom'],
  ['links', 'left'],
  ['rechts', 'right'],
  ['in der mitte', 'in the middle'],
];

function nounPhrase(attrs: Attributes, named: NamedAttributes, noun: string, gender: Gender, kase: Case): string {
  const [art, ending] = DECLENSION[kase][gender];
  const size = named.size ? SIZES_DE[attrs.size]![0] + ending : undefined;
  let colour: string | undefined;
  if (named.colour) {
    const [stem, , declines] = COLOURS_DE[attrs.colour]!;
    colour = declines ? stem + ending : stem;
  }
  return words(art, size, colour, noun);
}

function caption(attrs: Attributes, named: NamedAttributes, rng: Rng): string {
  const [noun, gender] = named.object ? NOUNS[attrs.object]! : rng.pick(GENERIC_NOUNS);
  const position = named.position ? POSITIONS_DE[attrs.position] : undefined;
  const np = (kase: Case): string => nounPhrase(attrs, named, noun, gender, kase);
  switch (rng.int(4)) {
    case 0:
      return words(np('nom'), position);
    case 1:
      return position ? `${position} ist ${np('nom')}` : `das ist ${np('nom')}`;
    case 2:
      return position ? `${position} sieht man ${np('acc')}` : `man sieht ${np('acc')}`;
    default:
      return words('ein Bild mit', np('dat'), position);
  }
}

export const GERMAN: LanguageModule = {
  code: 'de',
  name: 'German',
  script: 'latin',
  caption,
  dictionary: buildDictionary([
    ...[...NOUNS, ...GENERIC_NOUNS].map(([de, , en]) => [de.toLowerCase(), en] as const),
    ...[...COLOURS_DE, ...SIZES_DE].flatMap(([stem, en]) => [[stem, en] as const, ...ENDINGS.map((e) => [stem + e, en] as const)]),
    ...FUNCTION_WORDS,
  ]),
};
