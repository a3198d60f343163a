/**
 * Rich English captions: the same scenes as captions-en.ts, told with a larger vocabulary (crimson,
 * sedan, minuscule, "in the northwest corner"), other word orders ("in the upper-left sits a
 * crimson chime", "a chime, crimson and minuscule, ...") and clauses that name nothing ("on a quiet
 * morning", "if you look closely"). Most attribute words lie outside the native text encoder's
 * 61-word vocabulary; about a quarter of the time an attribute keeps its canonical word, so rich
 * prompts are not pure synonym lists.
 *
 * Every caption names exactly the flagged attributes, one object, no negations: a careful reader
 * recovers the attribute set from the text alone (test/world/captions-rich.test.ts reads it back).
 * This is the text the large English encoder (src/world/encoders/english-large.ts) is trained on,
 * the analogue of the paper's T5 reading richer prompts than the generator's own encoder.
 */
import type { Rng } from '../../util/rng.js';
import { type Attributes, COLOURS, checkAttributes, type NamedAttributes, OBJECTS, POSITIONS, SIZES } from './attributes.js';
import { normalizeNamed, words } from './grammar.js';

/** Share of attribute mentions that use the canonical word (the attribute table's name). */
const CANONICAL_SHARE = 0.25;
/** Longest caption in word pieces (the large encoder reads 32 tokens, BOS and EOS included). */
export const MAX_RICH_PIECES = 30;

// ---------------------------------------------------------------------------------------------
// Vocabulary, per attribute index (in the order of attributes.ts). Each rich word must name its
// attribute value and nothing else: no colour inside a noun ("bluebird"), no size inside a colour.

const RICH_NOUNS: readonly (readonly string[])[] = [
  ['chime', 'handbell', 'jingle bell'],
  ['songbird', 'sparrow', 'finch', 'pigeon'],
  ['automobile', 'sedan', 'vehicle', 'hatchback'],
  ['timepiece', 'wall clock', 'alarm clock'],
  ['droplet', 'teardrop', 'dewdrop', 'bead of water'],
  ['starburst', 'five-pointed star', 'twinkling star'],
  ['oak', 'pine', 'maple', 'fir tree'],
  ['cottage', 'cabin', 'dwelling', 'bungalow'],
  ['goldfish', 'trout', 'carp', 'guppy'],
  ['latchkey', 'door key', 'skeleton key'],
];
const RICH_COLOURS: readonly (readonly string[])[] = [
  ['crimson', 'scarlet', 'ruby'],
  ['tangerine', 'pumpkin-coloured', 'apricot'],
  ['golden', 'lemon', 'mustard'],
  ['emerald', 'jade', 'lime'],
  ['azure', 'cobalt', 'navy', 'sapphire'],
  ['lilac', 'lavender', 'plum', 'amethyst'],
  ['rose-coloured', 'fuchsia', 'magenta'],
  ['ebony', 'inky', 'jet-black', 'sooty'],
];
const RICH_SIZES: readonly (readonly string[])[] = [
  ['minuscule', 'petite', 'diminutive', 'teeny'],
  ['enormous', 'giant', 'massive', 'oversized'],
];
/** Prepositional phrases, usable after the noun phrase or in front ("in the upper-left sits ..."). */
const RICH_POSITIONS: readonly (readonly string[])[] = [
  ['in the upper-left', 'in the northwest corner', 'tucked into the top-left corner', 'high up on the left'],
  ['along the upper edge', 'up at the top, halfway across', 'in the north of the frame', 'at the top of the frame'],
  ['in the upper-right', 'in the northeast corner', 'tucked into the top-right corner', 'high up on the right'],
  ['toward the left edge', 'on the western side', 'over on the left, halfway down', 'by the left margin'],
  ['at dead centre', 'in the very middle', 'smack in the centre', 'at the heart of the frame'],
  ['toward the right edge', 'on the eastern side', 'over on the right, halfway down', 'by the right margin'],
  ['in the lower-left', 'in the southwest corner', 'tucked into the bottom-left corner', 'low down on the left'],
  ['along the lower edge', 'down at the bottom, halfway across', 'in the south of the frame', 'at the foot of the frame'],
  ['in the lower-right', 'in the southeast corner', 'tucked into the bottom-right corner', 'low down on the right'],
];
/** Canonical position phrases ("in the top left", "at the top", ...), in POSITIONS order. */
const CANONICAL_POSITIONS: readonly string[] = POSITIONS.map((p) =>
  p === 'top' || p === 'bottom' ? `at the ${p}` : p === 'left' || p === 'right' ? `on the ${p}` : `in the ${p}`,
);
/** Nouns for an unnamed object. */
const GENERIC_NOUNS = ['figure', 'item', 'shape', 'object', 'form'];
/** Clauses that name no attribute, before or after the description. */
export const RICH_DISTRACTORS: readonly string[] = [
  'on a quiet morning',
  'as a child might draw it',
  'if you look closely',
  'in this simple scene',
  'drawn with care',
  'on a plain background',
  'seen from the front',
  'in a single picture',
  'just as described',
];
/** Openings of an after-the-noun position: "a crimson chime, placed in the upper-left". */
const PLACED = ['', '', 'placed', 'sitting', 'resting', 'found'];
/** Verbs of a fronted position: "in the upper-left sits a crimson chime". */
const FRONTED = ['sits', 'there is', 'you can see', 'we find', 'appears'];
/** Lead-ins of a described picture. */
const LEAD_INS = ['what you see is', 'a drawing of', 'an illustration of', 'a sketch showing', 'imagine', 'the picture shows'];

function article(nextWord: string): string {
  return /^[aeiou]/.test(nextWord) ? 'an' : 'a';
}

/** Word pieces as the world tokenizers split text: runs of letters and digits, each punctuation mark alone. */
export function richPieces(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? [];
}

/** The rich word for index `i` of `table`, or (CANONICAL_SHARE of the time) the canonical one. */
function choose(table: readonly (readonly string[])[], canonical: readonly string[], i: number, rng: Rng): string {
  return rng.uniform() < CANONICAL_SHARE ? canonical[i]! : rng.pick(table[i]!);
}

/**
 * A rich English caption of `attrs` naming exactly the attributes flagged in `named` (missing flags =
 * false; at least one must be true), at most MAX_RICH_PIECES word pieces. Deterministic given the Rng
 * state.
 */
export function captionRich(attrs: Attributes, named: Partial<NamedAttributes>, rng: Rng): string {
  checkAttributes(attrs, 'captionRich');
  const flags = normalizeNamed(named, 'captionRich');
  const size = flags.size ? choose(RICH_SIZES, SIZES, attrs.size, rng) : undefined;
  const colour = flags.colour
    ? choose(
        RICH_COLOURS,
        COLOURS.map((c) => c.name),
        attrs.colour,
        rng,
      )
    : undefined;
  const noun = flags.object ? choose(RICH_NOUNS, OBJECTS, attrs.object, rng) : rng.pick(GENERIC_NOUNS);
  const position = flags.position ? choose(RICH_POSITIONS, CANONICAL_POSITIONS, attrs.position, rng) : undefined;
  const core = describe({ size, colour, noun, position, objectNamed: flags.object }, rng);
  // A clause that names nothing, in front or behind, a little over half the time, if it fits.
  const u = rng.uniform();
  const clause = rng.pick(RICH_DISTRACTORS);
  const withClause = u < 0.3 ? `${clause}, ${core}` : u < 0.6 ? `${core}, ${clause}` : core;
  return richPieces(withClause).length <= MAX_RICH_PIECES ? withClause : core;
}

interface Parts {
  size: string | undefined;
  colour: string | undefined;
  noun: string;
  position: string | undefined;
  objectNamed: boolean;
}

/** The description itself, in one of seven word orders. */
function describe(p: Parts, rng: Rng): string {
  const adjectivesAndNoun = words(p.size, p.colour, p.noun);
  const np = words(article(adjectivesAndNoun), adjectivesAndNoun);
  const placed = p.position ? words(rng.pick(PLACED), p.position) : undefined;
  const template = rng.int(7);
  switch (template) {
    case 0: // "a minuscule crimson chime in the northwest corner"
      return words(np, p.position);
    case 1: // "in the upper-left sits a crimson chime"
      return p.position ? `${p.position} ${rng.pick(FRONTED)} ${np}` : words(np, p.position);
    case 2: {
      // "a chime, crimson and minuscule, placed in the upper-left"
      const adjectives = [p.colour, p.size].filter((a): a is string => a !== undefined);
      if (adjectives.length === 0) return placed ? `${words(article(p.noun), p.noun)}, ${placed}` : np;
      const described = `${words(article(p.noun), p.noun)}, ${adjectives.join(' and ')}`;
      return placed ? `${described}, ${placed}` : described;
    }
    case 3: // "what you see is a crimson chime in the upper-left"
      return words(rng.pick(LEAD_INS), np, p.position);
    case 4: {
      // "the chime is crimson and minuscule and sits in the upper-left"
      const adjectives = [p.colour, p.size].filter((a): a is string => a !== undefined);
      const subject = `the ${p.noun}`;
      if (adjectives.length === 0) return p.position ? `${subject} sits ${p.position}` : `there is ${np}`;
      const is = `${subject} is ${adjectives.join(' and ')}`;
      return p.position ? `${is} and sits ${p.position}` : is;
    }
    case 5: // "something crimson toward the right edge" when only colour and position are named
      if (!p.objectNamed && p.size === undefined && p.colour !== undefined) return words('something', p.colour, p.position);
      return placed ? `${np}, ${placed}` : np;
    default: // "a crimson chime, placed in the upper-left"
      return placed ? `${np}, ${placed}` : np;
  }
}

// Keep the tables aligned with attributes.ts (a mismatch is a programming error, caught at load).
if (
  RICH_NOUNS.length !== OBJECTS.length ||
  RICH_COLOURS.length !== COLOURS.length ||
  RICH_SIZES.length !== SIZES.length ||
  RICH_POSITIONS.length !== POSITIONS.length
) {
  throw new Error('internal: rich English vocabulary tables do not match the attribute tables');
}
