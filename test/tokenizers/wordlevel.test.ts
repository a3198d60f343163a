// Word-level builder: [PAD]0 [UNK]1 [BOS]2 [EOS]3 [MASK]4, words from 5 in the given order.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadTokenizer, tokenizerFromJson, wordLevelVocabulary } from '../../src/encoders/text/tokenizer.js';
import { buildWordLevelTokenizer } from '../../src/encoders/text/tokenizer-json.js';
import { numbers, rows, withTempFolder } from './helpers.js';

const WORDS = ['a', 'photo', 'of', 'cat', ',', '!', 'café', '猫', 'が', 'い', 'る', '一', '只', 'dog'];
const id = (w: string) => 5 + WORDS.indexOf(w); // a5 photo6 of7 cat8 ,9 !10 café11 猫12 が13 い14 る15 一16 只17 dog18

function make(splitCjk: boolean) {
  const files = buildWordLevelTokenizer({ words: WORDS, splitCjk });
  return tokenizerFromJson(files.tokenizerJson, files.tokenizerConfig, { source: 'word-level test' });
}

function encodeOne(tok: ReturnType<typeof make>, text: string): number[] {
  return numbers(tok.encodeBatch([text], { maxLength: 32, padding: 'longest', truncation: true }).inputIds);
}

test('wordlevel: layout, special tokens, family', () => {
  const files = buildWordLevelTokenizer({ words: WORDS });
  const model = files.tokenizerJson.model as { type: string; vocab: Record<string, number>; unk_token: string };
  assert.equal(model.type, 'WordLevel');
  assert.deepEqual(
    ['[PAD]', '[UNK]', '[BOS]', '[EOS]', '[MASK]', 'a', 'dog'].map((t) => model.vocab[t]),
    [0, 1, 2, 3, 4, 5, 18],
  );
  const tok = make(false);
  assert.equal(tok.family, 'wordlevel');
  assert.equal(tok.padTokenId, 0);
  assert.equal(tok.bosTokenId, 2);
  assert.equal(tok.eosTokenId, 3);
  assert.equal(tok.vocabSize, 19);
});

test('wordlevel: lowercase, NFKC, punctuation split, unknown words -> [UNK]', () => {
  const tok = make(false);
  assert.deepEqual(encodeOne(tok, 'A photo, of a CAT!'), [2, id('a'), id('photo'), id(','), id('of'), id('a'), id('cat'), id('!'), 3]);
  assert.deepEqual(encodeOne(tok, 'Café dog!!'), [2, id('café'), id('dog'), id('!'), id('!'), 3]); // é kept, each ! alone
  assert.deepEqual(encodeOne(tok, 'ＣＡＴ'), [2, id('cat'), 3]); // full-width letters fold to ASCII under NFKC
  assert.deepEqual(encodeOne(tok, 'a zebra'), [2, id('a'), 1, 3]);
  // Without CJK splitting, a run of CJK characters is one unknown word.
  assert.deepEqual(encodeOne(tok, '一只猫'), [2, 1, 3]);
});

test('wordlevel: CJK variant isolates each Han / kana character', () => {
  const tok = make(true);
  assert.deepEqual(encodeOne(tok, '一只猫'), [2, id('一'), id('只'), id('猫'), 3]);
  assert.deepEqual(encodeOne(tok, '猫がいる'), [2, id('猫'), id('が'), id('い'), id('る'), 3]);
  assert.deepEqual(encodeOne(tok, 'a猫cat'), [2, id('a'), id('猫'), id('cat'), 3]);
  assert.deepEqual(encodeOne(tok, 'A photo, of a CAT!'), [2, id('a'), id('photo'), id(','), id('of'), id('a'), id('cat'), id('!'), 3]);
});

test("wordlevel: padding 'longest' vs 'max_length', truncation keeps [EOS]", () => {
  const tok = make(true);
  const texts = ['a cat', '猫がいる'];
  const longest = tok.encodeBatch(texts, { maxLength: 10, padding: 'longest', truncation: true });
  assert.equal(longest.length, 6);
  assert.deepEqual(rows(longest.inputIds, 6), [
    [2, id('a'), id('cat'), 3, 0, 0],
    [2, id('猫'), id('が'), id('い'), id('る'), 3],
  ]);
  assert.deepEqual(rows(longest.attentionMask, 6), [
    [1, 1, 1, 1, 0, 0],
    [1, 1, 1, 1, 1, 1],
  ]);
  const fixed = tok.encodeBatch(texts, { maxLength: 4, padding: 'max_length', truncation: true });
  assert.deepEqual(rows(fixed.inputIds, 4), [
    [2, id('a'), id('cat'), 3],
    [2, id('猫'), id('が'), 3],
  ]);
});

test('wordlevel: decode round trip (spaces before punctuation cleaned up)', () => {
  const tok = make(false);
  const enc = tok.encodeBatch(['a photo, of a cat!'], { maxLength: 16, padding: 'max_length', truncation: true });
  assert.equal(tok.decode(enc.inputIds), 'a photo, of a cat!');
  assert.equal(tok.decode([2, id('a'), id('cat'), 3, 0], { skipSpecialTokens: false }), '[BOS] a cat [EOS] [PAD]');
});

test('wordlevel: vocabulary from a corpus uses the same pieces, most frequent first', () => {
  const vocab = wordLevelVocabulary(['A cat, a dog.', 'a CAT', '[PAD] 猫がいる'], { splitCjk: true });
  // counts: a 3, cat 2, then first-seen order for count 1: ',' dog '.' 猫 が い る; [PAD] is excluded
  assert.deepEqual(vocab, ['a', 'cat', ',', 'dog', '.', '猫', 'が', 'い', 'る']);
  assert.deepEqual(wordLevelVocabulary(['A cat, a dog.', 'a CAT'], { minCount: 2 }), ['a', 'cat']);
  assert.deepEqual(wordLevelVocabulary(['A cat, a dog.', 'a CAT'], { maxWords: 1 }), ['a']);
  assert.throws(() => wordLevelVocabulary(['ok', 3 as unknown as string]), /texts\[1\] must be a string/);
});

test('wordlevel: written to a folder and loaded back', async () => {
  const files = buildWordLevelTokenizer({ words: WORDS, splitCjk: true });
  await withTempFolder(
    {
      'tokenizer.json': JSON.stringify(files.tokenizerJson),
      'tokenizer_config.json': JSON.stringify(files.tokenizerConfig),
      'special_tokens_map.json': JSON.stringify(files.specialTokensMap),
    },
    async (dir) => {
      const tok = await loadTokenizer(dir);
      assert.deepEqual(encodeOne(tok, '一只猫'), [2, id('一'), id('只'), id('猫'), 3]);
      assert.equal(tok.modelMaxLength, 77);
    },
  );
});

test('wordlevel: builder rejects duplicate or empty words', () => {
  assert.throws(() => buildWordLevelTokenizer({ words: ['a', 'a'] }), /"a" appears twice/);
  assert.throws(() => buildWordLevelTokenizer({ words: ['[PAD]'] }), /"\[PAD\]" appears twice/);
  assert.throws(() => buildWordLevelTokenizer({ words: [''] }), /non-empty string/);
});
