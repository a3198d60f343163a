/**
 * English captions from a few templates and synonyms, naming all or some attributes:
 * "a small red bell in the top left", "a bird", "something blue on the right", "red bell, top left".
 *
 * Also `readAttributesEn`, a keyword reader that recovers the attributes an English text names; it
 * scores captions and the word-by-word translations of the other languages.
 */
import type { Rng } from '../../util/rng.js';
import { type Attributes, COLOURS, checkAttributes, type NamedAttributes, OBJECTS, POSITIONS } from './attributes.js';
import { type Caption, type LanguageModule, normalizeNamed, sampleNamed, words } from './grammar.js';

// ---------------------------------------------------------------------------------------------
// Vocabulary (first entry of each list = canonical word, equal to the attribute table's name)

/** Nouns per object, in OBJECTS order. */
const NOUNS: readonly (readonly string[])[] = [
  ['bell'],
  ['bird'],
  ['car', 'automobile'],
  ['clock'],
  ['drop', 'water drop', 'droplet', 'raindrop'],
  ['star'],
  ['tree'],
  ['house'],
  ['fish'],
  ['key'],
];
/** Nouns for an unnamed object. */
const GENERIC_NOUNS = ['object', 'shape', 'thing'];
/** Colour words per colour, in COLOURS order. */
const COLOUR_WORDS: readonly (readonly string[])[] = [['red'], ['orange'], ['yellow'], ['green'], ['blue'], ['purple', 'violet'], ['pink'], ['black']];
const SIZE_WORDS: readonly (readonly string[])[] = [
  ['small', 'little', 'tiny'],
  ['large', 'big', 'huge'],
];
/** Position phrases after a noun phrase, in POSITIONS order. */
const POSITION_PHRASES: readonly (readonly string[])[] = [
  ['in the top left', 'in the top left corner', 'at the upper left'],
  ['at the top', 'near the top', 'at the top centre'],
  ['in the top right', 'in the top right corner', 'at the upper right'],
  ['on the left', 'on the left side', 'at the left'],
  ['in the centre', 'in the middle', 'at the center'],
  ['on the right', 'on the right side', 'at the right'],
  ['in the bottom left', 'in the bottom left corner', 'at the lower left'],
  ['at the bottom', 'near the bottom', 'at the bottom centre'],
  ['in the bottom right', 'in the bottom right corner', 'at the lower right'],
];
/** Bare position labels for the terse "red bell, top left" template. */
const POSITION_LABELS: readonly (readonly string[])[] = POSITIONS.map((p) => (p === 'centre' ? ['centre', 'middle'] : [p]));

function article(nextWord: string): string {
  return /^[aeiou]/.test(nextWord) ? 'an' : 'a';
}

/**
 * An English caption for `attrs`. With `named`, it names exactly those attributes (missing flags =
 * false); without, a random subset is drawn from `rng` first.
 */
export function captionEn(attrs: Attributes, rng: Rng, named?: Partial<NamedAttributes>): Caption {
  checkAttributes(attrs, 'captionEn');
  const flags = named === undefined ? sampleNamed(rng) : normalizeNamed(named, 'captionEn');
  return { text: englishCaption(attrs, flags, rng), named: flags };
}

function englishCaption(attrs: Attributes, named: NamedAttributes, rng: Rng): string {
  const size = named.size ? rng.pick(SIZE_WORDS[attrs.size]!) : undefined;
  const colour = named.colour ? rng.pick(COLOUR_WORDS[attrs.colour]!) : undefined;
  const noun = named.object ? rng.pick(NOUNS[attrs.object]!) : rng.pick(GENERIC_NOUNS);
  const position = named.position ? rng.pick(POSITION_PHRASES[attrs.position]!) : undefined;
  const label = named.position ? rng.pick(POSITION_LABELS[attrs.position]!) : undefined;
  const adjectivesAndNoun = words(size, colour, noun);
  const nounPhrase = words(article(adjectivesAndNoun), adjectivesAndNoun);
  const template = rng.int(5);
  switch (template) {
    case 0:
      return words(nounPhrase, position);
    case 1:
      return position ? `${position}, there is ${nounPhrase}` : `there is ${nounPhrase}`;
    case 2:
      return words('a picture of', nounPhrase, position);
    case 3:
      return label ? `${adjectivesAndNoun}, ${label}` : adjectivesAndNoun;
    default:
      // "something blue on the right" when the object and size are unnamed; else like template 0.
      if (!named.object && !named.size) return words('something', colour, position);
      return words(nounPhrase, position);
  }
}

export const ENGLISH: LanguageModule = {
  code: 'en',
  name: 'English',
  script: 'latin',
  caption: englishCaption,
  dictionary: new Map(),
};

// ---------------------------------------------------------------------------------------------
// Reading attributes back from English text

/** Word -> index, for single-word vocabulary (multi-word synonyms are found by their head word). */
function indexWords(table: readonly (readonly string[])[]): Map<string, number> {
  const map = new Map<string, number>();
  table.forEach((synonyms, index) => {
    for (const phrase of synonyms) map.set(phrase.split(' ').at(-1)!, index);
  });
  return map;
}

const OBJECT_INDEX = indexWords(NOUNS);
const COLOUR_INDEX = indexWords(COLOUR_WORDS);
const SIZE_INDEX = indexWords(SIZE_WORDS);
const TOP_WORDS = new Set(['top', 'upper']);
const BOTTOM_WORDS = new Set(['bottom', 'lower']);
const CENTRE_WORDS = new Set(['centre', 'center', 'middle']);

/**
 * The attributes an English text names, by keyword: the first object noun, colour and size word
 * found; position from top/upper/bottom/lower, left/right and centre/center/middle. Attributes not
 * mentioned are absent. Used to score captions and translations.
 */
export function readAttributesEn(text: string): Partial<Attributes> {
  const tokens = text.toLowerCase().match(/[a-z]+/g) ?? [];
  const found: Partial<Attributes> = {};
  let row: number | undefined;
  let col: number | undefined;
  let centre = false;
  for (const token of tokens) {
    if (found.object === undefined && OBJECT_INDEX.has(token)) found.object = OBJECT_INDEX.get(token)!;
    if (found.colour === undefined && COLOUR_INDEX.has(token)) found.colour = COLOUR_INDEX.get(token)!;
    if (found.size === undefined && SIZE_INDEX.has(token)) found.size = SIZE_INDEX.get(token)!;
    if (row === undefined && TOP_WORDS.has(token)) row = 0;
    if (row === undefined && BOTTOM_WORDS.has(token)) row = 2;
    if (col === undefined && token === 'left') col = 0;
    if (col === undefined && token === 'right') col = 2;
    if (CENTRE_WORDS.has(token)) centre = true;
  }
  if (row !== undefined || col !== undefined || centre) found.position = (row ?? 1) * 3 + (col ?? 1);
  return found;
}

// Keep the tables aligned with attributes.ts (a mismatch is a programming error, caught at load).
if (NOUNS.length !== OBJECTS.length || COLOUR_WORDS.length !== COLOURS.length || POSITION_PHRASES.length !== POSITIONS.length) {
  throw new Error('internal: English vocabulary tables do not match the attribute tables');
}
NOUNS.forEach((n, i) => {
  if (n[0] !== OBJECTS[i]) throw new Error(`internal: English noun table starts "${n[0]}" for object ${OBJECTS[i]}`);
});
COLOUR_WORDS.forEach((c, i) => {
  if (c[0] !== COLOURS[i]!.name) throw new Error(`internal: English colour table starts "${c[0]}" for ${COLOURS[i]!.name}`);
});
