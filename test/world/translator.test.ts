/**
 * The learned-translator baseline (issue #12): trained from a few hundred pairs it must name the
 * right object in held-out French captions far above chance; detokenised output re-tokenises to the
 * same ids; same seed, same translations; bad input fails clearly.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadTokenizer, type TextTokenizer } from '../../src/encoders/text/tokenizer.js';
import { WorldMultilingualEncoder } from '../../src/encoders/world/multilingual.js';
import { worldModelDir } from '../../src/world/assets.js';
import { readAttributesEn } from '../../src/world/data/captions-en.js';
import { textPairs } from '../../src/world/experiments/pairs.js';
import { idsToText, type LearnedTranslator, trainLearnedTranslator, vocabularyWords } from '../../src/world/experiments/translator.js';

let multi: WorldMultilingualEncoder;
let tokenizer: TextTokenizer;
let translator: LearnedTranslator;
const options = { seed: 0, steps: 300, threads: 1, progress: null };
const train = textPairs('all', 400, 'train', 0);

before(async () => {
  multi = await WorldMultilingualEncoder.load(worldModelDir('multilingual-encoder'), { threads: 1 });
  tokenizer = await loadTokenizer(worldModelDir('text-encoder'));
  translator = await trainLearnedTranslator(train, multi, tokenizer, options);
});

after(async () => {
  await translator?.release();
  await multi?.release();
});

test('trained on 400 pairs, it names the reference object in held-out French captions', async () => {
  const test = textPairs('fr', 30, 'test', 1).filter((p) => p.named.object);
  const out = await translator.translate(test.map((p) => p.text));
  const hits = test.filter((p, i) => readAttributesEn(out[i]!).object === p.attrs.object).length;
  // Measured: 13 of 25 (52%) with this seed; chance (10 objects) is 10%. The per-position argmax of a
  // non-autoregressive decoder mixes the random English templates, so the object word is often missed.
  assert.ok(hits / test.length >= 0.35, `object named in ${hits}/${test.length} translations: ${JSON.stringify(out)}`);
  assert.ok(translator.info.valTokenAccuracy > 0.2, `validation token accuracy ${translator.info.valTokenAccuracy}`);
  assert.equal(translator.info.trainPairs + translator.info.valPairs, train.length);
});

test('detokenised English captions re-tokenise to the same ids', () => {
  const words = vocabularyWords(tokenizer);
  const special = { pad: tokenizer.padTokenId, bos: tokenizer.bosTokenId!, eos: tokenizer.eosTokenId! };
  const captions = textPairs('all', 200, 'test', 3).map((p) => p.english);
  const opts = { maxLength: 16, padding: 'max_length', truncation: true } as const;
  const ids = tokenizer.encodeBatch(captions, opts).inputIds;
  const texts = captions.map((_, i) => idsToText(Array.from(ids.subarray(i * 16, (i + 1) * 16), Number), words, special));
  assert.deepEqual(tokenizer.encodeBatch(texts, opts).inputIds, ids);
});

test('the same seed gives the same translations', async () => {
  const prompts = textPairs('de', 10, 'test', 2).map((p) => p.text);
  const again = await trainLearnedTranslator(train.slice(0, 120), multi, tokenizer, { ...options, steps: 60 });
  const twice = await trainLearnedTranslator(train.slice(0, 120), multi, tokenizer, { ...options, steps: 60 });
  try {
    assert.deepEqual(await again.translate(prompts), await twice.translate(prompts));
    assert.deepEqual(again.info.checks, twice.info.checks);
  } finally {
    await again.release();
    await twice.release();
  }
});

test('bad input: no pairs is a clear error', async () => {
  await assert.rejects(trainLearnedTranslator([], multi, tokenizer, options), /no pairs given/);
});
