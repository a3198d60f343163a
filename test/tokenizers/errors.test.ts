// Every user-facing error: message names the file / value and says what was expected.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadTokenizer, tokenizerFromJson } from '../../src/encoders/text/tokenizer.js';
import { buildWordLevelTokenizer } from '../../src/encoders/text/tokenizer-json.js';
import { fixtureDir, withTempFolder } from './helpers.js';

const clipJson = () => readFile(join(fixtureDir('clip'), 'tokenizer.json'), 'utf8');
const clipConfig = () => readFile(join(fixtureDir('clip'), 'tokenizer_config.json'), 'utf8');

test('errors: missing folder, or a file instead of a folder', async () => {
  await assert.rejects(loadTokenizer('/no/such/tokenizer/folder'), /"\/no\/such\/tokenizer\/folder" does not exist or is not a folder/);
  await assert.rejects(loadTokenizer(join(fixtureDir('clip'), 'tokenizer.json')), /is not a folder/);
});

test('errors: missing tokenizer.json or tokenizer_config.json', async () => {
  await withTempFolder({ 'tokenizer_config.json': await clipConfig() }, async (dir) => {
    await assert.rejects(loadTokenizer(dir), (e: Error) => e.message.includes(join(dir, 'tokenizer.json')) && /is missing/.test(e.message));
  });
  await withTempFolder({ 'tokenizer.json': await clipJson() }, async (dir) => {
    await assert.rejects(loadTokenizer(dir), (e: Error) => e.message.includes(join(dir, 'tokenizer_config.json')) && /is missing/.test(e.message));
  });
});

test('errors: invalid JSON, or JSON that is not an object', async () => {
  await withTempFolder({ 'tokenizer.json': '{"model": ', 'tokenizer_config.json': await clipConfig() }, async (dir) => {
    await assert.rejects(loadTokenizer(dir), (e: Error) => e.message.includes(join(dir, 'tokenizer.json')) && /not valid JSON/.test(e.message));
  });
  await withTempFolder({ 'tokenizer.json': await clipJson(), 'tokenizer_config.json': '[1, 2]' }, async (dir) => {
    await assert.rejects(loadTokenizer(dir), /tokenizer_config\.json must hold a JSON object, got an array/);
  });
  await withTempFolder({ 'tokenizer.json': '{"version": "1.0"}', 'tokenizer_config.json': '{}' }, async (dir) => {
    await assert.rejects(loadTokenizer(dir), /must be an object with a "model" object/);
  });
});

test('errors: unsupported model type, missing pad token', async () => {
  const json = JSON.parse(await clipJson());
  const config = JSON.parse(await clipConfig());
  assert.throws(
    () => tokenizerFromJson({ ...json, model: { ...json.model, type: 'Legacy' } }, config),
    /unsupported model type "Legacy" in tokenizer\.json; expected one of BPE, Unigram, WordPiece, WordLevel/,
  );
  assert.throws(() => tokenizerFromJson({ ...json, model: { vocab: {} } }, config), /unsupported model type undefined/);
  assert.throws(() => tokenizerFromJson(json, config, { padToken: '<nope>' }), /pad token "<nope>" is not in the vocabulary/);
  // A word-level tokenizer has no family defaults to fall back on.
  const wordLevel = buildWordLevelTokenizer({ words: ['a'] }).tokenizerJson;
  assert.throws(() => tokenizerFromJson(wordLevel, {}), /no pad_token \(nor eos_token\) in tokenizer_config\.json; set pad_token/);
});

test('errors: bad encodeBatch arguments', async () => {
  const tok = await loadTokenizer(fixtureDir('clip'));
  const ok = { maxLength: 77, padding: 'max_length', truncation: true } as const;
  assert.throws(() => tok.encodeBatch(['a'], { ...ok, maxLength: 1 }), /maxLength must be an integer >= 2 .* got 1/);
  assert.throws(() => tok.encodeBatch(['a'], { ...ok, maxLength: 7.5 }), /maxLength must be an integer >= 2 .* got 7\.5/);
  assert.throws(() => tok.encodeBatch(['a'], { ...ok, maxLength: Number.NaN }), /maxLength .* got NaN/);
  assert.throws(() => tok.encodeBatch(['a', 42 as unknown as string], ok), /texts\[1\] must be a string, got number/);
  assert.throws(() => tok.encodeBatch([null as unknown as string], ok), /texts\[0\] must be a string, got null/);
  assert.throws(() => tok.encodeBatch('a cat' as unknown as string[], ok), /texts must be a non-empty array of strings, got string/);
  assert.throws(() => tok.encodeBatch([], ok), /got an empty array/);
  assert.throws(() => tok.encodeBatch(['a'], { ...ok, padding: 'right' as 'longest' }), /padding must be 'max_length' or 'longest', got "right"/);
  assert.throws(() => tok.encodeBatch(['a'], { ...ok, truncation: 'yes' as unknown as boolean }), /truncation must be true or false/);
});

test('errors: an over-long text without truncation is an error naming it, not a crash later', async () => {
  const tok = await loadTokenizer(fixtureDir('clip'));
  const long = Array(80).fill('cat').join(' ');
  assert.throws(
    () => tok.encodeBatch(['a cat', long], { maxLength: 77, padding: 'longest', truncation: false }),
    /texts\[1\] has 82 tokens, more than maxLength 77; shorten it or pass truncation: true/,
  );
  // Exactly maxLength tokens is fine without truncation.
  const fits = Array(75).fill('cat').join(' ');
  assert.equal(tok.encodeBatch([fits], { maxLength: 77, padding: 'longest', truncation: false }).length, 77);
});

test('errors: decode rejects ids outside the vocabulary', async () => {
  const tok = await loadTokenizer(fixtureDir('clip'));
  assert.throws(() => tok.decode([320, 548]), /ids\[1\] = 548 is not a token id in \[0, 548\)/);
  assert.throws(() => tok.decode([-1]), /ids\[0\] = -1/);
  assert.throws(() => tok.decode([1.5]), /ids\[0\] = 1\.5/);
});
