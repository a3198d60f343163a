/**
 * Spanish captions. Noun phrase: un/una + [pequeño/a, or gran (apocope of grande before a noun)] +
 * noun + [colour agreeing in gender]: "una pequeña campana roja arriba a la izquierda",
 * "un gran árbol verde", "algo azul a la derecha".
 */
import type { Rng } from '../../util/rng.js';
import type { Attributes, NamedAttributes } from './attributes.js';
import { buildDictionary, type LanguageModule, words } from './grammar.js';

type Gender = 'm' | 'f';

/** [noun, gender, English] per object, in OBJECTS order. */
const NOUNS: readonly (readonly [string, Gender, string])[] = [
  ['campana', 'f', 'bell'],
  ['pájaro', 'm', 'bird'],
  ['coche', 'm', 'car'],
  ['reloj', 'm', 'clock'],
  ['gota', 'f', 'drop'],
  ['estrella', 'f', 'star'],
  ['árbol', 'm', 'tree'],
  ['casa', 'f', 'house'],
  ['pez', 'm', 'fish'],
  ['llave', 'f', 'key'],
];
const GENERIC_NOUNS: readonly (readonly [string, Gender, string])[] = [
  ['objeto', 'm', 'object'],
  ['figura', 'f', 'shape'],
];
/** [masculine, feminine, English] per colour, in COLOURS order. */
const COLOURS_ES: readonly (readonly [string, string, string])[] = [
  ['rojo', 'roja', 'red'],
  ['naranja', 'naranja', 'orange'], // invariable
  ['amarillo', 'amarilla', 'yellow'],
  ['verde', 'verde', 'green'],
  ['azul', 'azul', 'blue'],
  ['morado', 'morada', 'purple'],
  ['rosa', 'rosa', 'pink'], // invariable
  ['negro', 'negra', 'black'],
];
/** Prenominal size adjectives [masculine, feminine, English]; grande shortens to gran before a noun. */
const SIZES_ES: readonly (readonly [string, string, string])[] = [
  ['pequeño', 'pequeña', 'small'],
  ['gran', 'gran', 'large'],
];
const POSITIONS_ES: readonly string[] = [
  'arriba a la izquierda',
  'arriba',
  'arriba a la derecha',
  'a la izquierda',
  'en el centro',
  'a la derecha',
  'abajo a la izquierda',
  'abajo',
  'abajo a la derecha',
];
const FUNCTION_WORDS: readonly (readonly [string, string])[] = [
  ['un', 'a'],
  ['una', 'a'],
  ['hay', 'there is'],
  ['algo', 'something'],
  ['imagen', 'picture'],
  ['de', 'of'],
  ['a', 'to'],
  ['la', 'the'],
  ['el', 'the'],
  ['en', 'in'],
  ['arriba', 'top'],
  ['abajo', 'bottom'],
  ['izquierda', 'left'],
  ['derecha', 'right'],
  ['centro', 'centre'],
  ['grande', 'large'],
];

function caption(attrs: Attributes, named: NamedAttributes, rng: Rng): string {
  const [noun, gender] = named.object ? NOUNS[attrs.object]! : rng.pick(GENERIC_NOUNS);
  const g = gender === 'm' ? 0 : 1;
  const size = named.size ? SIZES_ES[attrs.size]![g] : undefined;
  const colour = named.colour ? COLOURS_ES[attrs.colour]![g] : undefined;
  const position = named.position ? POSITIONS_ES[attrs.position] : undefined;
  const bare = words(size, noun, colour); // "pequeña campana roja"
  const nounPhrase = words(gender === 'm' ? 'un' : 'una', bare);
  switch (rng.int(5)) {
    case 0:
      return words(nounPhrase, position);
    case 1:
      return position ? `${position} hay ${nounPhrase}` : `hay ${nounPhrase}`;
    case 2:
      return words('una imagen de', nounPhrase, position);
    case 3:
      return position ? `${bare}, ${position}` : bare;
    default:
      // "algo azul": algo takes the masculine adjective.
      if (!named.object && !named.size && named.colour) return words('algo', COLOURS_ES[attrs.colour]![0], position);
      return words(nounPhrase, position);
  }
}

export const SPANISH: LanguageModule = {
  code: 'es',
  name: 'Spanish',
  script: 'latin',
  caption,
  dictionary: buildDictionary([
    ...[...NOUNS, ...GENERIC_NOUNS].map(([es, , en]) => [es, en] as const),
    ...[...COLOURS_ES, ...SIZES_ES].flatMap(([m, f, en]) => [[m, en] as const, [f, en] as const]),
    ...FUNCTION_WORDS,
  ]),
};
