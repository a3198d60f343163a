// Places where @huggingface/tokenizers 0.2.0 departs from the Rust `tokenizers` library, and the
// adjustments loadTokenizer makes; expected ids are what the Rust library gives (worked by hand).

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { tokenizerFromJson } from '../../src/encoders/text/tokenizer.js';
import { buildWordLevelTokenizer } from '../../src/encoders/text/tokenizer-json.js';
import { fixtureDir, numbers } from './helpers.js';

const encodeOne = (tok: ReturnType<typeof tokenizerFromJson>, text: string) =>
  numbers(tok.encodeBatch([text], { maxLength: 32, padding: 'longest', truncation: true }).inputIds);

test('workaround: Whitespace pre-tokenizer keeps non-ASCII letters inside words (Unicode \\w)', () => {
  const files = buildWordLevelTokenizer({ words: ['café', 'naïve', '!!'] });
  const json = { ...files.tokenizerJson, pre_tokenizer: { type: 'Whitespace' } };
  const tok = tokenizerFromJson(json, files.tokenizerConfig);
  // Rust: \w+|[^\w\s]+ -> café, naïve, !! (the library alone gives caf, é, na, ï, ve, !!)
  assert.deepEqual(encodeOne(tok, 'Café naïve!!'), [2, 5, 6, 7, 3]);
});

test('workaround: legacy Metaspace add_prefix_space=false does not prepend ▁', async () => {
  const json = JSON.parse(await readFile(join(fixtureDir('t5'), 'tokenizer.json'), 'utf8'));
  json.pre_tokenizer.pretokenizers[1].add_prefix_space = false;
  const tok = tokenizerFromJson(json, { tokenizer_class: 'T5Tokenizer' });
  const letter = (c: string) => 17 + c.charCodeAt(0) - 97; // T5 fixture letters a..z are 17..42
  // Without ▁ the words cannot use ▁a / ▁photo pieces: a | p h o t o | </s>
  assert.deepEqual(encodeOne(tok, 'a photo'), [letter('a'), ...Array.from('photo', letter), 1]);
});

test('workaround: tokenizer.json without normalizer / decoder / added_tokens keys still loads', () => {
  const files = buildWordLevelTokenizer({ words: ['cat'] });
  const json = { ...files.tokenizerJson };
  delete json.normalizer;
  delete json.decoder;
  delete json.added_tokens;
  const tok = tokenizerFromJson(json, files.tokenizerConfig);
  // No normalizer now, so "A" is not lowercased and is unknown; specials still come from the template.
  assert.deepEqual(encodeOne(tok, 'A cat'), [2, 1, 5, 3]);
  assert.equal(tok.decode([5]), 'cat');
});
