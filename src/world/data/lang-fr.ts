/**
 * French captions. Noun phrase: un/une + [petit/grand, before the noun] + noun + [colour, after the
 * noun], adjectives agreeing in gender: "une petite cloche rouge en haut à gauche",
 * "un grand arbre vert", "quelque chose de bleu à droite".
 */
import type { Rng } from '../../util/rng.js';
import type { Attributes, NamedAttributes } from './attributes.js';
import { buildDictionary, type LanguageModule, words } from './grammar.js';

type Gender = 'm' | 'f';

/** [noun, gender, English] per object, in OBJECTS order. */
const NOUNS: readonly (readonly [string, Gender, string])[] = [
  ['cloche', 'f', 'bell'],
  ['oiseau', 'm', 'bird'],
  ['voiture', 'f', 'car'],
  ['horloge', 'f', 'clock'],
  ['goutte', 'f', 'drop'],
  ['étoile', 'f', 'star'],
  ['arbre', 'm', 'tree'],
  ['maison', 'f', 'house'],
  ['poisson', 'm', 'fish'],
  ['clé', 'f', 'key'],
];
const GENERIC_NOUNS: readonly (readonly [string, Gender, string])[] = [
  ['objet', 'm', 'object'],
  ['forme', 'f', 'shape'],
];
/** [masculine, feminine, English] per colour, in COLOURS order. */
const COLOURS_FR: readonly (readonly [string, string, string])[] = [
  ['rouge', 'rouge', 'red'],
  ['orange', 'orange', 'orange'], // invariable
  ['jaune', 'jaune', 'yellow'],
  ['vert', 'verte', 'green'],
  ['bleu', 'bleue', 'blue'],
  ['violet', 'violette', 'purple'],
  ['rose', 'rose', 'pink'],
  ['noir', 'noire', 'black'],
];
/** [masculine, feminine, English]; both go before the noun. */
const SIZES_FR: readonly (readonly [string, string, string])[] = [
  ['petit', 'petite', 'small'],
  ['grand', 'grande', 'large'],
];
const POSITIONS_FR: readonly string[] = [
  'en haut à gauche',
  'en haut',
  'en haut à droite',
  'à gauche',
  'au centre',
  'à droite',
  'en bas à gauche',
  'en bas',
  'en bas à droite',
];
/** Function words for the translation baseline. */
const FUNCTION_WORDS: readonly (readonly [string, string])[] = [
  ['un', 'a'],
  ['une', 'a'],
  ['il y a', 'there is'],
  ['quelque chose', 'something'],
  ['de', 'of'],
  ['d', 'of'],
  ['image', 'picture'],
  ['en', 'in'],
  ['à', 'at'],
  ['au', 'in the'],
  ['haut', 'top'],
  ['bas', 'bottom'],
  ['gauche', 'left'],
  ['droite', 'right'],
  ['centre', 'centre'],
];

function caption(attrs: Attributes, named: NamedAttributes, rng: Rng): string {
  const [noun, gender] = named.object ? NOUNS[attrs.object]! : rng.pick(GENERIC_NOUNS);
  const g = gender === 'm' ? 0 : 1;
  const size = named.size ? SIZES_FR[attrs.size]![g] : undefined;
  const colour = named.colour ? COLOURS_FR[attrs.colour]![g] : undefined;
  const position = named.position ? POSITIONS_FR[attrs.position] : undefined;
  const bare = words(size, noun, colour); // "petite cloche rouge"
  const nounPhrase = words(gender === 'm' ? 'un' : 'une', bare);
  switch (rng.int(5)) {
    case 0:
      return words(nounPhrase, position);
    case 1:
      return position ? `${position}, il y a ${nounPhrase}` : `il y a ${nounPhrase}`;
    case 2:
      return words(`une image d'${nounPhrase}`, position); // de + un/une elides to d'un/d'une
    case 3:
      return position ? `${bare}, ${position}` : bare;
    default:
      // "quelque chose de bleu" takes the masculine adjective; de elides before a vowel.
      if (!named.object && !named.size && named.colour) {
        const adjective = COLOURS_FR[attrs.colour]![0];
        return words(/^[aeiouy]/.test(adjective) ? `quelque chose d'${adjective}` : `quelque chose de ${adjective}`, position);
      }
      return words(nounPhrase, position);
  }
}

export const FRENCH: LanguageModule = {
  code: 'fr',
  name: 'French',
  script: 'latin',
  caption,
  dictionary: buildDictionary([
    ...[...NOUNS, ...GENERIC_NOUNS].map(([fr, , en]) => [fr, en] as const),
    ...[...COLOURS_FR, ...SIZES_FR].flatMap(([m, f, en]) => [[m, en] as const, [f, en] as const]),
    ...FUNCTION_WORDS,
  ]),
};
