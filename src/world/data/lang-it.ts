/**
 * Italian captions. Noun phrase: article + [piccolo/a, grande before the noun] + noun + [colour
 * agreeing in gender]: "una piccola campana rossa in alto a sinistra", "un grande albero verde",
 * "qualcosa di blu a destra". The indefinite article follows the next word's sound (un / uno / una /
 * un'), as Italian requires.
 */
import type { Rng } from '../../util/rng.js';
import type { Attributes, NamedAttributes } from './attributes.js';
import { buildDictionary, type LanguageModule, words } from './grammar.js';

type Gender = 'm' | 'f';

/** [noun, gender, English] per object, in OBJECTS order. */
const NOUNS: readonly (readonly [string, Gender, string])[] = [
  ['campana', 'f', 'bell'],
  ['uccello', 'm', 'bird'],
  ['macchina', 'f', 'car'],
  ['orologio', 'm', 'clock'],
  ['goccia', 'f', 'drop'],
  ['stella', 'f', 'star'],
  ['albero', 'm', 'tree'],
  ['casa', 'f', 'house'],
  ['pesce', 'm', 'fish'],
  ['chiave', 'f', 'key'],
];
const GENERIC_NOUNS: readonly (readonly [string, Gender, string])[] = [
  ['oggetto', 'm', 'object'],
  ['forma', 'f', 'shape'],
];
/** [masculine, feminine, English] per colour, in COLOURS order. */
const COLOURS_IT: readonly (readonly [string, string, string])[] = [
  ['rosso', 'rossa', 'red'],
  ['arancione', 'arancione', 'orange'],
  ['giallo', 'gialla', 'yellow'],
  ['verde', 'verde', 'green'],
  ['blu', 'blu', 'blue'], // invariable
  ['viola', 'viola', 'purple'], // invariable
  ['rosa', 'rosa', 'pink'], // invariable
  ['nero', 'nera', 'black'],
];
/** Prenominal size adjectives [masculine, feminine, English]. */
const SIZES_IT: readonly (readonly [string, string, string])[] = [
  ['piccolo', 'piccola', 'small'],
  ['grande', 'grande', 'large'],
];
const POSITIONS_IT: readonly string[] = [
  'in alto a sinistra',
  'in alto',
  'in alto a destra',
  'a sinistra',
  'al centro',
  'a destra',
  'in basso a sinistra',
  'in basso',
  'in basso a destra',
];
const FUNCTION_WORDS: readonly (readonly [string, string])[] = [
  ['un', 'a'],
  ['uno', 'a'],
  ['una', 'a'],
  ['c è', 'there is'],
  ['qualcosa', 'something'],
  ['immagine', 'picture'],
  ['di', 'of'],
  ['a', 'at'],
  ['al', 'in the'],
  ['in', 'in'],
  ['alto', 'top'],
  ['basso', 'bottom'],
  ['sinistra', 'left'],
  ['destra', 'right'],
  ['centro', 'centre'],
];

/** Indefinite article for a word of `gender` followed by `next`. */
export function italianArticle(gender: Gender, next: string): string {
  if (gender === 'f') return /^[aeiou]/.test(next) ? "un'" : 'una ';
  // uno before s + consonant, z, gn, ps, pn, x, y; un otherwise.
  return /^(s[^aeiou]|z|gn|ps|pn|x|y)/.test(next) ? 'uno ' : 'un ';
}

function caption(attrs: Attributes, named: NamedAttributes, rng: Rng): string {
  const [noun, gender] = named.object ? NOUNS[attrs.object]! : rng.pick(GENERIC_NOUNS);
  const g = gender === 'm' ? 0 : 1;
  const size = named.size ? SIZES_IT[attrs.size]![g] : undefined;
  const colour = named.colour ? COLOURS_IT[attrs.colour]![g] : undefined;
  const position = named.position ? POSITIONS_IT[attrs.position] : undefined;
  const bare = words(size, noun, colour); // "piccola campana rossa"
  const nounPhrase = italianArticle(gender, bare) + bare;
  switch (rng.int(5)) {
    case 0:
      return words(nounPhrase, position);
    case 1:
      return position ? `${position} c'è ${nounPhrase}` : `c'è ${nounPhrase}`;
    case 2:
      return words(`un'immagine di ${nounPhrase}`, position);
    case 3:
      return position ? `${bare}, ${position}` : bare;
    default:
      // "qualcosa di rosso": qualcosa takes the masculine adjective.
      if (!named.object && !named.size && named.colour) return words('qualcosa di', COLOURS_IT[attrs.colour]![0], position);
      return words(nounPhrase, position);
  }
}

export const ITALIAN: LanguageModule = {
  code: 'it',
  name: 'Italian',
  script: 'latin',
  caption,
  dictionary: buildDictionary([
    ...[...NOUNS, ...GENERIC_NOUNS].map(([it, , en]) => [it, en] as const),
    ...[...COLOURS_IT, ...SIZES_IT].flatMap(([m, f, en]) => [[m, en] as const, [f, en] as const]),
    ...FUNCTION_WORDS,
  ]),
};
