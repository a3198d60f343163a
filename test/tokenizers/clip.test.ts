// CLIP fixture (byte-level BPE with </w>): expected ids worked out by hand from the fixture's layout.
//
// Vocab layout: ids 0..255 are the byte characters in GPT-2 order (printable '!'..'~' first, so a
// printable ASCII char c has id code(c) - 33), 256..511 the same with '</w>', then one id per merge
// in rank order from 512, then <|startoftext|> = 546 and <|endoftext|> = 547.
// Merges (scripts/fixtures/tokenizers.ts): photo: ph 512, pho 513, phot 514, photo</w> 515;
// of</w> 516; cat: ca 517, cat</w> 518; ...; at</w> 545.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadTokenizer } from '../../src/encoders/text/tokenizer.js';
import { fixtureDir, numbers, rows } from './helpers.js';

const BOS = 546;
const EOS = 547;
const ascii = (c: string) => c.charCodeAt(0) - 33; // printable ASCII byte character id
const endOfWord = (c: string) => 256 + ascii(c);

test('clip: fixture vocab has the hand-derived layout', async () => {
  const json = JSON.parse(await readFile(join(fixtureDir('clip'), 'tokenizer.json'), 'utf8'));
  const vocab = json.model.vocab as Record<string, number>;
  assert.equal(vocab.a, 64);
  assert.equal(vocab['a</w>'], 320); // the same id as in the real CLIP vocab
  assert.equal(vocab['photo</w>'], 515);
  assert.equal(vocab['of</w>'], 516);
  assert.equal(vocab.ca, 517);
  assert.equal(vocab['cat</w>'], 518);
  assert.equal(vocab['at</w>'], 545);
  assert.equal(vocab['<|startoftext|>'], BOS);
  assert.equal(vocab['<|endoftext|>'], EOS);
  const config = JSON.parse(await readFile(join(fixtureDir('clip'), 'tokenizer_config.json'), 'utf8'));
  assert.equal(config.bos_token_id, BOS);
  assert.equal(config.eos_token_id, EOS);
  assert.equal(config.pad_token, '<|endoftext|>');
});

test('clip: properties — family, BOS/EOS, pad = EOS like SD 1.x, vocab size', async () => {
  const tok = await loadTokenizer(fixtureDir('clip'));
  assert.equal(tok.family, 'clip');
  assert.equal(tok.bosTokenId, BOS);
  assert.equal(tok.eosTokenId, EOS);
  assert.equal(tok.padTokenId, EOS);
  assert.equal(tok.vocabSize, 548);
  assert.equal(tok.modelMaxLength, 77);
});

test('clip: BOS ... EOS around the text, lowercase and whitespace cleanup, pad to 77 with EOS', async () => {
  const tok = await loadTokenizer(fixtureDir('clip'));
  const expected = [BOS, 320, 515, 516, 320, 518, EOS];
  for (const text of ['a photo of a cat', '  A   PHOTO\tof a CAT \n']) {
    const enc = tok.encodeBatch([text], { maxLength: 77, padding: 'max_length', truncation: true });
    assert.equal(enc.length, 77);
    assert.equal(enc.batch, 1);
    const ids = numbers(enc.inputIds);
    assert.deepEqual(ids.slice(0, 7), expected, text);
    assert.deepEqual(ids.slice(7), new Array(70).fill(EOS));
    assert.deepEqual(numbers(enc.attentionMask), [...new Array(7).fill(1), ...new Array(70).fill(0)]);
    assert.deepEqual(enc.tokenCounts, [7]);
  }
});

test('clip: BPE merges by rank, end-of-word suffix, digits, punctuation, non-ASCII bytes', async () => {
  const tok = await loadTokenizer(fixtureDir('clip'));
  const cases: [string, number[]][] = [
    ['cats', [517, ascii('t'), endOfWord('s')]], // ca + t + s</w>: only "ca t</w>" is a merge, not "ca t"
    ['photos', [514, ascii('o'), endOfWord('s')]], // phot + o + s</w>
    ['at hat', [545, ascii('h'), 545]], // at</w>; h + at</w>
    ['cat!', [518, endOfWord('!')]],
    ['77', [endOfWord('7'), endOfWord('7')]], // CLIP splits every digit into its own word
    ["dog's", [520, ascii("'"), endOfWord('s')]], // 's is its own pre-token
    // U+732B is UTF-8 E7 8C AB: 0xE7 is printable (id 94 + 12 + (0xE7 - 0xAE) = 163); 0x8C is the
    // 47th non-printable byte (id 188 + 46 = 234); 0xAB printable (94 + (0xAB - 0xA1) = 104), + 256.
    ['猫', [163, 234, 360]],
  ];
  for (const [text, inner] of cases) {
    const enc = tok.encodeBatch([text], { maxLength: 16, padding: 'longest', truncation: true });
    assert.deepEqual(numbers(enc.inputIds), [BOS, ...inner, EOS], text);
  }
});

test("clip: truncation keeps EOS as the last of 77 tokens; 'longest' vs 'max_length'", async () => {
  const tok = await loadTokenizer(fixtureDir('clip'));
  const long = Array(100).fill('cat').join(' ');
  const enc = tok.encodeBatch([long, 'a cat'], { maxLength: 77, padding: 'longest', truncation: true });
  assert.equal(enc.length, 77);
  const [first, second] = rows(enc.inputIds, 77);
  assert.deepEqual(first, [BOS, ...new Array(75).fill(518), EOS]);
  assert.deepEqual(second, [BOS, 320, 518, EOS, ...new Array(73).fill(EOS)]);
  assert.deepEqual(enc.tokenCounts, [77, 4]);

  const shortBatch = ['a cat', 'a photo of a cat'];
  const longest = tok.encodeBatch(shortBatch, { maxLength: 77, padding: 'longest', truncation: true });
  assert.equal(longest.length, 7);
  assert.deepEqual(rows(longest.inputIds, 7), [
    [BOS, 320, 518, EOS, EOS, EOS, EOS],
    [BOS, 320, 515, 516, 320, 518, EOS],
  ]);
  assert.deepEqual(rows(longest.attentionMask, 7), [
    [1, 1, 1, 1, 0, 0, 0],
    [1, 1, 1, 1, 1, 1, 1],
  ]);
  const fixed = tok.encodeBatch(shortBatch, { maxLength: 10, padding: 'max_length', truncation: true });
  assert.equal(fixed.length, 10);
  assert.equal(fixed.inputIds.length, 20);
  assert.deepEqual(rows(fixed.inputIds, 10)[0], [BOS, 320, 518, EOS, EOS, EOS, EOS, EOS, EOS, EOS]);
  // maxLength 2 leaves room for BOS and EOS only.
  const minimal = tok.encodeBatch(['a photo'], { maxLength: 2, padding: 'max_length', truncation: true });
  assert.deepEqual(numbers(minimal.inputIds), [BOS, EOS]);
});

test('clip: decode round trip drops BOS/EOS/padding and the </w> markers', async () => {
  const tok = await loadTokenizer(fixtureDir('clip'));
  for (const text of ['a photo of a cat', 'hello, world!', 'cats', '猫']) {
    const enc = tok.encodeBatch([text], { maxLength: 20, padding: 'max_length', truncation: true });
    assert.equal(tok.decode(enc.inputIds), text);
  }
  assert.equal(tok.decode([BOS, 320, 518, EOS], { skipSpecialTokens: false }), '<|startoftext|>a cat <|endoftext|>');
  assert.equal(tok.decode([]), '');
});
