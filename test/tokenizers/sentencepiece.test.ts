// XLM-RoBERTa and T5 fixtures (SentencePiece Unigram + Metaspace). Expected ids by hand from the
// fixture vocab (scripts/fixtures/tokenizers.ts), segmentations by hand from the piece scores.
//
// XLM-R ids: <s>0 <pad>1 </s>2 <unk>3, ▁4 ,5 .6 ▁a7 ▁de8 ▁un9 ▁of10 ▁le11 ▁una12 ▁photo13 ▁foto14
//   ▁cat15 ▁ch16 at17 ▁chat18 ▁cha19 ▁gato20 ▁perro21 ▁rouge22 ▁Paris23, letters a..z 24..49, <mask>50.
// T5 ids: <pad>0 </s>1 <unk>2, ▁3 .4 ,5 ▁a6 ▁the7 ▁The8 ▁of9 ▁is10 ▁photo11 ▁cat12 ▁dog13 ▁sky14
//   ▁blue15 ▁big16, letters a..z 17..42, <extra_id_2>43 <extra_id_1>44 <extra_id_0>45.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadTokenizer } from '../../src/encoders/text/tokenizer.js';
import { fixtureDir, numbers, rows } from './helpers.js';

const xlmrLetter = (c: string) => 24 + c.charCodeAt(0) - 97;
const t5Letter = (c: string) => 17 + c.charCodeAt(0) - 97;

test('xlm-roberta: fixture vocab matches the hand-written id table', async () => {
  const json = JSON.parse(await readFile(join(fixtureDir('xlm-roberta'), 'tokenizer.json'), 'utf8'));
  const pieces = (json.model.vocab as [string, number][]).map((v) => v[0]);
  assert.deepEqual(pieces.slice(0, 5), ['<s>', '<pad>', '</s>', '<unk>', '▁']);
  assert.equal(pieces.indexOf('▁chat'), 18);
  assert.equal(pieces.indexOf('s'), xlmrLetter('s'));
  assert.equal(pieces.at(-1), '<mask>');
  assert.equal(json.model.unk_id, 3);
});

test('xlm-roberta: <s> ... </s>, pad 1, family and ids', async () => {
  const tok = await loadTokenizer(fixtureDir('xlm-roberta'));
  assert.equal(tok.family, 'xlm-roberta');
  assert.equal(tok.padTokenId, 1);
  assert.equal(tok.bosTokenId, 0);
  assert.equal(tok.eosTokenId, 2);
  assert.equal(tok.vocabSize, 51);
  const enc = tok.encodeBatch(['una foto de un gato', 'le chat'], { maxLength: 10, padding: 'max_length', truncation: true });
  assert.deepEqual(rows(enc.inputIds, 10), [
    [0, 12, 14, 8, 9, 20, 2, 1, 1, 1],
    [0, 11, 18, 2, 1, 1, 1, 1, 1, 1],
  ]);
  assert.deepEqual(rows(enc.attentionMask, 10), [
    [1, 1, 1, 1, 1, 1, 1, 0, 0, 0],
    [1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
  ]);
});

test('xlm-roberta: Unigram picks the best-scoring segmentation; unknown characters give <unk>', async () => {
  const tok = await loadTokenizer(fixtureDir('xlm-roberta'));
  const cases: [string, number[]][] = [
    // ▁chat + s = -9 - 4 = -13 beats ▁ch + at + s = -19 and ▁cha + t + s = -18.5
    ['chats', [18, xlmrLetter('s')]],
    ['Paris', [23]], // cased: no lowercasing
    ['a photo of a cat.', [7, 13, 10, 7, 15, 6]],
    ['  un   chat  ', [9, 18]], // extra spaces collapse, trailing ones are stripped
    ['xyz', [4, xlmrLetter('x'), xlmrLetter('y'), xlmrLetter('z')]], // no ▁x piece: bare ▁ then letters
    ['猫', [4, 3]],
  ];
  for (const [text, inner] of cases) {
    const enc = tok.encodeBatch([text], { maxLength: 16, padding: 'longest', truncation: true });
    assert.deepEqual(numbers(enc.inputIds), [0, ...inner, 2], text);
  }
});

test("xlm-roberta: truncation keeps </s>; 'longest' pads with 1", async () => {
  const tok = await loadTokenizer(fixtureDir('xlm-roberta'));
  const enc = tok.encodeBatch(['una foto de un gato', 'le chat'], { maxLength: 4, padding: 'longest', truncation: true });
  assert.equal(enc.length, 4);
  assert.deepEqual(rows(enc.inputIds, 4), [
    [0, 12, 14, 2],
    [0, 11, 18, 2],
  ]);
  const longest = tok.encodeBatch(['una foto de un gato', 'le chat'], { maxLength: 512, padding: 'longest', truncation: true });
  assert.equal(longest.length, 7);
  assert.deepEqual(rows(longest.inputIds, 7)[1], [0, 11, 18, 2, 1, 1, 1]);
  assert.deepEqual(longest.tokenCounts, [7, 4]);
});

test('xlm-roberta: decode round trip', async () => {
  const tok = await loadTokenizer(fixtureDir('xlm-roberta'));
  for (const text of ['una foto de un gato', 'a photo of a cat.', 'Paris']) {
    const enc = tok.encodeBatch([text], { maxLength: 12, padding: 'max_length', truncation: true });
    assert.equal(tok.decode(enc.inputIds), text);
  }
});

test('t5: </s> appended, no BOS, pad 0', async () => {
  const tok = await loadTokenizer(fixtureDir('t5'));
  assert.equal(tok.family, 't5');
  assert.equal(tok.padTokenId, 0);
  assert.equal(tok.eosTokenId, 1);
  assert.equal(tok.bosTokenId, undefined);
  assert.equal(tok.vocabSize, 46);
  const enc = tok.encodeBatch(['The sky is blue.', 'cats'], { maxLength: 8, padding: 'max_length', truncation: true });
  assert.deepEqual(rows(enc.inputIds, 8), [
    [8, 14, 10, 15, 4, 1, 0, 0],
    [12, t5Letter('s'), 1, 0, 0, 0, 0, 0],
  ]);
  assert.deepEqual(rows(enc.attentionMask, 8), [
    [1, 1, 1, 1, 1, 1, 0, 0],
    [1, 1, 1, 0, 0, 0, 0, 0],
  ]);
});

test('t5: whitespace handling, unknown characters, truncation keeps </s>', async () => {
  const tok = await loadTokenizer(fixtureDir('t5'));
  const spaced = tok.encodeBatch(['  the   big dog  '], { maxLength: 8, padding: 'longest', truncation: true });
  assert.deepEqual(numbers(spaced.inputIds), [7, 16, 13, 1]);
  const unknown = tok.encodeBatch(['猫'], { maxLength: 8, padding: 'longest', truncation: true });
  assert.deepEqual(numbers(unknown.inputIds), [3, 2, 1]);
  const cut = tok.encodeBatch(['a photo of a cat'], { maxLength: 3, padding: 'max_length', truncation: true });
  assert.deepEqual(numbers(cut.inputIds), [6, 11, 1]);
  assert.deepEqual(numbers(cut.attentionMask), [1, 1, 1]);
});

test('t5: decode round trip', async () => {
  const tok = await loadTokenizer(fixtureDir('t5'));
  for (const text of ['The sky is blue.', 'a photo of a cat', 'dogs']) {
    const enc = tok.encodeBatch([text], { maxLength: 12, padding: 'max_length', truncation: true });
    assert.equal(tok.decode(enc.inputIds), text);
  }
});
