/**
 * Rich English captions: read back by an independently written phrase table (so every caption names
 * exactly its flagged attributes, with no word that could mean another value), mostly outside the
 * native encoder's vocabulary, longer than the canonical captions, deterministic per seed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Rng } from '../../src/util/rng.js';
import { ATTRIBUTE_NAMES, type AttributeName, type Attributes, type NamedAttributes } from '../../src/world/data/attributes.js';
import { captionEn, readAttributesEn } from '../../src/world/data/captions-en.js';
import { captionRich, MAX_RICH_PIECES, RICH_DISTRACTORS, richPieces } from '../../src/world/data/captions-rich.js';
import { sampleAttributes } from '../../src/world/data/dataset.js';
import { sampleNamed } from '../../src/world/data/grammar.js';

// Every phrase that names a value, per attribute and index (attributes.ts order), written apart
// from the module's tables: canonical words and the rich ones.
const READER: Record<AttributeName, string[][]> = {
  object: [
    ['bell', 'chime', 'handbell', 'jingle bell'],
    ['bird', 'songbird', 'sparrow', 'finch', 'pigeon'],
    ['car', 'automobile', 'sedan', 'vehicle', 'hatchback'],
    ['clock', 'timepiece', 'wall clock', 'alarm clock'],
    ['drop', 'droplet', 'teardrop', 'dewdrop', 'bead of water'],
    ['star', 'starburst', 'five-pointed star', 'twinkling star'],
    ['tree', 'oak', 'pine', 'maple', 'fir tree'],
    ['house', 'cottage', 'cabin', 'dwelling', 'bungalow'],
    ['fish', 'goldfish', 'trout', 'carp', 'guppy'],
    ['key', 'latchkey', 'door key', 'skeleton key'],
  ],
  colour: [
    ['red', 'crimson', 'scarlet', 'ruby'],
    ['orange', 'tangerine', 'pumpkin-coloured', 'apricot'],
    ['yellow', 'golden', 'lemon', 'mustard'],
    ['green', 'emerald', 'jade', 'lime'],
    ['blue', 'azure', 'cobalt', 'navy', 'sapphire'],
    ['purple', 'lilac', 'lavender', 'plum', 'amethyst'],
    ['pink', 'rose-coloured', 'fuchsia', 'magenta'],
    ['black', 'ebony', 'inky', 'jet-black', 'sooty'],
  ],
  size: [
    ['small', 'minuscule', 'petite', 'diminutive', 'teeny'],
    ['large', 'enormous', 'giant', 'massive', 'oversized'],
  ],
  position: [
    ['in the top left', 'in the upper-left', 'in the northwest corner', 'tucked into the top-left corner', 'high up on the left'],
    ['at the top', 'along the upper edge', 'up at the top, halfway across', 'in the north of the frame', 'at the top of the frame'],
    ['in the top right', 'in the upper-right', 'in the northeast corner', 'tucked into the top-right corner', 'high up on the right'],
    ['on the left', 'toward the left edge', 'on the western side', 'over on the left, halfway down', 'by the left margin'],
    ['in the centre', 'at dead centre', 'in the very middle', 'smack in the centre', 'at the heart of the frame'],
    ['on the right', 'toward the right edge', 'on the eastern side', 'over on the right, halfway down', 'by the right margin'],
    ['in the bottom left', 'in the lower-left', 'in the southwest corner', 'tucked into the bottom-left corner', 'low down on the left'],
    ['at the bottom', 'along the lower edge', 'down at the bottom, halfway across', 'in the south of the frame', 'at the foot of the frame'],
    ['in the bottom right', 'in the lower-right', 'in the southeast corner', 'tucked into the bottom-right corner', 'low down on the right'],
  ],
};

/** Words that would hint at a value if they were left over after the phrases are read. */
const STRAY = new Set(
  Object.values(READER)
    .flat(2)
    .flatMap((p) => richPieces(p))
    .filter((w) => /^[a-z]/.test(w) && !['in', 'the', 'at', 'on', 'of', 'up', 'into', 'by', 'down', 'over', 'high', 'low', 'coloured', 'frame'].includes(w)),
);

interface Mention {
  attribute: AttributeName;
  value: number;
  phrase: string;
}

/** Longest-match scan of the caption's pieces for READER phrases; leftover attribute words are errors. */
function read(text: string): { mentions: Mention[]; stray: string[] } {
  const entries = ATTRIBUTE_NAMES.flatMap((attribute) =>
    READER[attribute].flatMap((phrases, value) => phrases.map((phrase) => ({ attribute, value, phrase, pieces: richPieces(phrase) }))),
  ).sort((a, b) => b.pieces.length - a.pieces.length);
  const pieces = richPieces(text);
  const mentions: Mention[] = [];
  const stray: string[] = [];
  for (let i = 0; i < pieces.length; ) {
    const hit = entries.find((e) => e.pieces.every((p, k) => pieces[i + k] === p));
    if (hit) {
      mentions.push({ attribute: hit.attribute, value: hit.value, phrase: hit.phrase });
      i += hit.pieces.length;
    } else {
      if (STRAY.has(pieces[i]!)) stray.push(pieces[i]!);
      i += 1;
    }
  }
  return { mentions, stray };
}

function sample(n: number, seed: number): { attrs: Attributes; named: NamedAttributes; text: string }[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const attrs = sampleAttributes(rng);
    const named = sampleNamed(rng);
    return { attrs, named, text: captionRich(attrs, named, rng) };
  });
}

const nativeVocabulary = new Set(
  Object.keys((JSON.parse(readFileSync('assets/world/text-encoder/tokenizer.json', 'utf8')) as { model: { vocab: Record<string, number> } }).model.vocab),
);

test('captionRich names exactly the flagged attributes, each once, readable back by an independent phrase table', () => {
  for (const { attrs, named, text } of sample(5000, 1)) {
    const { mentions, stray } = read(text);
    assert.deepEqual(stray, [], `${JSON.stringify(text)}: attribute words outside any phrase`);
    const found = Object.fromEntries(mentions.map((m) => [m.attribute, m.value]));
    const expected = Object.fromEntries(ATTRIBUTE_NAMES.filter((a) => named[a]).map((a) => [a, attrs[a]]));
    assert.deepEqual(found, expected, JSON.stringify(text));
    assert.equal(mentions.length, Object.keys(expected).length, `${JSON.stringify(text)} mentions an attribute twice`);
    assert.ok(richPieces(text).length <= MAX_RICH_PIECES, `${JSON.stringify(text)} is longer than ${MAX_RICH_PIECES} pieces`);
  }
});

test('distractor clauses name no attribute (neither by the canonical reader nor by the rich table)', () => {
  for (const clause of RICH_DISTRACTORS) {
    assert.deepEqual(readAttributesEn(clause), {}, clause);
    assert.deepEqual(read(clause), { mentions: [], stray: [] }, clause);
  }
});

test('most attribute mentions use words outside the native vocabulary; about a quarter are canonical', () => {
  const mentions = sample(4000, 2).flatMap(({ text }) => read(text).mentions);
  for (const attribute of ATTRIBUTE_NAMES) {
    const own = mentions.filter((m) => m.attribute === attribute);
    const novel = own.filter((m) => richPieces(m.phrase).some((w) => /\p{L}/u.test(w) && !nativeVocabulary.has(w))).length / own.length;
    const canonical = own.filter((m) => READER[attribute][m.value]![0] === m.phrase).length / own.length;
    assert.ok(novel > 0.6, `${attribute}: only ${(100 * novel).toFixed(0)}% of mentions use a word the native encoder lacks`);
    assert.ok(canonical > 0.18 && canonical < 0.32, `${attribute}: ${(100 * canonical).toFixed(0)}% canonical, expected ~25%`);
  }
});

test('rich captions are clearly longer than captionEn and vary their word order', () => {
  const rich = sample(2000, 3);
  const rng = new Rng(3);
  const plain = rich.map(({ attrs, named }) => captionEn(attrs, rng, named).text);
  const mean = (texts: string[]) => texts.reduce((s, t) => s + richPieces(t).length, 0) / texts.length;
  const richMean = mean(rich.map((r) => r.text));
  assert.ok(richMean > 1.5 * mean(plain), `rich mean ${richMean.toFixed(1)} pieces vs captionEn ${mean(plain).toFixed(1)}`);
  // Fronted positions and adjectives after the noun both occur.
  assert.ok(rich.some((r) => / (sits|appears) an? /.test(r.text)));
  assert.ok(rich.some((r) => /, \S+( and \S+)?, /.test(r.text)));
});

test('captionRich is deterministic per seed and checks its input', () => {
  assert.deepEqual(sample(50, 9), sample(50, 9));
  assert.notDeepEqual(
    sample(50, 9).map((s) => s.text),
    sample(50, 10).map((s) => s.text),
  );
  const attrs = { object: 0, colour: 0, size: 0, position: 0 };
  assert.throws(() => captionRich({ ...attrs, colour: 8 }, { colour: true }, new Rng(1)), /colour is 8/);
  assert.throws(() => captionRich(attrs, {}, new Rng(1)), /names no attribute|flags no attribute/);
});
