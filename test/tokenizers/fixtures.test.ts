// The committed fixture folders: regenerated output matches, sizes stay small, and the slow CLIP
// files (vocab.json + merges.txt, as diffusers saves SD 1.x) load to the same tokenizer.

import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { FIXTURE_FAMILIES, fixtureFileText, tokenizerFixtures } from '../../scripts/fixtures/tokenizers.js';
import { loadTokenizer } from '../../src/encoders/text/tokenizer.js';
import { fixtureDir, numbers, withTempFolder } from './helpers.js';

test('fixtures: committed files equal the script output and are under 100 KB', async () => {
  const built = tokenizerFixtures();
  for (const family of FIXTURE_FAMILIES) {
    const files = built[family];
    const expected: [string, unknown][] = [
      ['tokenizer.json', files.tokenizerJson],
      ['tokenizer_config.json', files.tokenizerConfig],
      ['special_tokens_map.json', files.specialTokensMap],
    ];
    for (const [name, value] of expected) {
      const path = join(fixtureDir(family), name);
      assert.equal(await readFile(path, 'utf8'), fixtureFileText(value), `${path} is stale: run scripts/fixtures/tokenizers.ts`);
      assert.ok((await stat(path)).size < 100_000, `${path} is over 100 KB`);
    }
  }
});

test('fixtures: the real families keep their real special-token ids where the layout allows', async () => {
  const facts = await Promise.all(FIXTURE_FAMILIES.map((f) => loadTokenizer(fixtureDir(f))));
  assert.deepEqual(
    facts.map((t) => [t.family, t.padTokenId, t.bosTokenId, t.eosTokenId]),
    [
      ['clip', 547, 546, 547], // real: 49407, 49406, 49407 (special tokens last, as in CLIP)
      ['xlm-roberta', 1, 0, 2],
      ['t5', 0, undefined, 1],
      ['bert', 0, 101, 102],
    ],
  );
});

test('fixtures: an empty tokenizer_config.json falls back to the family class defaults', async () => {
  for (const family of FIXTURE_FAMILIES) {
    await withTempFolder(
      { 'tokenizer.json': await readFile(join(fixtureDir(family), 'tokenizer.json'), 'utf8'), 'tokenizer_config.json': '{}' },
      async (dir) => {
        const tok = await loadTokenizer(dir);
        const withConfig = await loadTokenizer(fixtureDir(family));
        assert.deepEqual(
          [tok.family, tok.padTokenId, tok.bosTokenId, tok.eosTokenId],
          [withConfig.family, withConfig.padTokenId, withConfig.bosTokenId, withConfig.eosTokenId],
          family,
        );
      },
    );
  }
});

test('fixtures: a CLIP folder with only vocab.json + merges.txt encodes like tokenizer.json', async () => {
  const json = JSON.parse(await readFile(join(fixtureDir('clip'), 'tokenizer.json'), 'utf8'));
  const merges = (json.model.merges as [string, string][]).map((m) => m.join(' '));
  await withTempFolder(
    {
      'vocab.json': JSON.stringify(json.model.vocab),
      'merges.txt': ['#version: 0.2', ...merges, ''].join('\n'),
      'tokenizer_config.json': await readFile(join(fixtureDir('clip'), 'tokenizer_config.json'), 'utf8'),
      'special_tokens_map.json': await readFile(join(fixtureDir('clip'), 'special_tokens_map.json'), 'utf8'),
    },
    async (dir) => {
      const slow = await loadTokenizer(dir);
      const fast = await loadTokenizer(fixtureDir('clip'));
      assert.equal(slow.family, 'clip');
      assert.equal(slow.padTokenId, 547);
      const texts = ['a photo of a cat', 'cats!', '猫 77'];
      const opts = { maxLength: 77, padding: 'max_length', truncation: true } as const;
      assert.deepEqual(numbers(slow.encodeBatch(texts, opts).inputIds), numbers(fast.encodeBatch(texts, opts).inputIds));
      assert.deepEqual(numbers(slow.encodeBatch(['a cat'], opts).inputIds).slice(0, 4), [546, 320, 518, 547]);
    },
  );
});

test('fixtures: a folder with vocab.json but no CLIP class still asks for tokenizer.json', async () => {
  await withTempFolder({ 'vocab.json': '{}', 'merges.txt': '', 'tokenizer_config.json': '{"tokenizer_class": "GPT2Tokenizer"}' }, async (dir) => {
    await assert.rejects(loadTokenizer(dir), /tokenizer\.json is missing; export the fast tokenizer/);
  });
});
