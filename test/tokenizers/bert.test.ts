// BERT fixture (WordPiece). Real ids: [PAD]0 [unused0..98]1..99 [UNK]100 [CLS]101 [SEP]102 [MASK]103;
// fixture words from 104: !104 ,105 .106 a107 photo108 of109 cat110 dog111 red112 the113 sky114
// cafe115 un116 ##believ117 ##able118 ##s119 猫120 狗121.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadTokenizer } from '../../src/encoders/text/tokenizer.js';
import { fixtureDir, numbers, rows, withTempFolder } from './helpers.js';

test('bert: [CLS] ... [SEP], pad 0, lowercase and accent stripping (uncased)', async () => {
  const tok = await loadTokenizer(fixtureDir('bert'));
  assert.equal(tok.family, 'bert');
  assert.equal(tok.padTokenId, 0);
  assert.equal(tok.bosTokenId, 101); // CLS stands in for BOS
  assert.equal(tok.eosTokenId, 102); // SEP stands in for EOS
  assert.equal(tok.vocabSize, 122);
  const cases: [string, number[]][] = [
    ['A photo of a cat.', [107, 108, 109, 107, 110, 106]],
    ['Café', [115]],
    ['unbelievable', [116, 117, 118]], // greedy longest match: un, ##believ, ##able
    ['cats', [110, 119]],
    ['猫狗', [120, 121]], // Chinese characters are split one per token
    ['xyz!', [100, 104]],
    ['red,dog', [112, 105, 111]],
  ];
  for (const [text, inner] of cases) {
    const enc = tok.encodeBatch([text], { maxLength: 16, padding: 'longest', truncation: true });
    assert.deepEqual(numbers(enc.inputIds), [101, ...inner, 102], text);
  }
});

test('bert: padding with 0, attention mask, truncation keeps [SEP]', async () => {
  const tok = await loadTokenizer(fixtureDir('bert'));
  const enc = tok.encodeBatch(['a cat', 'a photo of a cat.'], { maxLength: 6, padding: 'max_length', truncation: true });
  assert.deepEqual(rows(enc.inputIds, 6), [
    [101, 107, 110, 102, 0, 0],
    [101, 107, 108, 109, 107, 102],
  ]);
  assert.deepEqual(rows(enc.attentionMask, 6), [
    [1, 1, 1, 1, 0, 0],
    [1, 1, 1, 1, 1, 1],
  ]);
});

test('bert: tokenizer_config do_lower_case=false overrides the normalizer (cased)', async () => {
  const dir = fixtureDir('bert');
  const config = JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8'));
  await withTempFolder(
    {
      'tokenizer.json': await readFile(join(dir, 'tokenizer.json'), 'utf8'),
      'tokenizer_config.json': JSON.stringify({ ...config, do_lower_case: false }),
    },
    async (tmp) => {
      const tok = await loadTokenizer(tmp);
      const enc = tok.encodeBatch(['A cat Café'], { maxLength: 8, padding: 'longest', truncation: true });
      assert.deepEqual(numbers(enc.inputIds), [101, 100, 110, 100, 102]);
    },
  );
});

test('bert: decode round trip', async () => {
  const tok = await loadTokenizer(fixtureDir('bert'));
  const enc = tok.encodeBatch(['a photo of a cat.', 'unbelievable cats'], { maxLength: 12, padding: 'longest', truncation: true });
  const [first, second] = rows(enc.inputIds, enc.length);
  assert.equal(tok.decode(first!), 'a photo of a cat.');
  assert.equal(tok.decode(second!), 'unbelievable cats');
});
