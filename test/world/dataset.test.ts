import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Rng } from '../../src/util/rng.js';
import { attributesFromIndex, COLOURS, combinationIndex, NUM_COMBINATIONS, OBJECTS } from '../../src/world/data/attributes.js';
import { readAttributesEn } from '../../src/world/data/captions-en.js';
import { translateWordByWord } from '../../src/world/data/captions-multi.js';
import {
  enumerateCombinations,
  exampleSeed,
  makeExample,
  makeSoundSplit,
  makeSplit,
  sampleAttributes,
  uniformCombinations,
} from '../../src/world/data/dataset.js';
import { renderImage } from '../../src/world/data/render.js';
import { decodePng } from '../helpers/png-decode.js';
import { previewGrid, writePreviewPng } from '../helpers/world-preview.js';

test('enumeration: 1440 distinct combinations, index round trip', () => {
  const all = enumerateCombinations();
  assert.equal(all.length, 1440);
  assert.equal(NUM_COMBINATIONS, 10 * 8 * 2 * 9);
  assert.equal(new Set(all.map((a) => JSON.stringify(a))).size, 1440);
  all.forEach((a, i) => assert.equal(combinationIndex(a), i));
  assert.deepEqual(attributesFromIndex(0), { object: 0, colour: 0, size: 0, position: 0 });
  assert.deepEqual(attributesFromIndex(1439), { object: 9, colour: 7, size: 1, position: 8 });
  assert.throws(() => attributesFromIndex(1440), /index is 1440/);
});

test('uniformCombinations: each combination equally often', () => {
  const counts = new Map<number, number>();
  for (const a of uniformCombinations(2 * 1440 + 5, new Rng(3))) {
    const index = combinationIndex(a);
    counts.set(index, (counts.get(index) ?? 0) + 1);
  }
  assert.equal(counts.size, 1440);
  const values = [...counts.values()];
  assert.equal(values.filter((v) => v === 3).length, 5);
  assert.equal(values.filter((v) => v === 2).length, 1435);
});

test('sampleAttributes: every value of every attribute appears about uniformly', () => {
  const rng = new Rng(8);
  const objects = new Array<number>(OBJECTS.length).fill(0);
  const colours = new Array<number>(COLOURS.length).fill(0);
  for (let i = 0; i < 8000; i++) {
    const a = sampleAttributes(rng);
    objects[a.object]!++;
    colours[a.colour]!++;
  }
  for (const c of objects) assert.ok(Math.abs(c - 800) < 120, `object count ${c}`);
  for (const c of colours) assert.ok(Math.abs(c - 1000) < 140, `colour count ${c}`);
});

test('makeSplit: deterministic per seed, prefix-stable, splits and base seeds differ', () => {
  const a = makeSplit('train', 6, 42);
  assert.deepEqual(makeSplit('train', 6, 42), a);
  assert.deepEqual(makeSplit('train', 3, 42), a.slice(0, 3));
  assert.notDeepEqual(
    makeSplit('val', 6, 42).map((e) => e.attrs),
    a.map((e) => e.attrs),
  );
  assert.notDeepEqual(
    makeSplit('train', 6, 43).map((e) => e.attrs),
    a.map((e) => e.attrs),
  );
  // The recorded seed rebuilds the example.
  const again = makeExample(new Rng(a[4]!.seed!));
  assert.deepEqual(again.image, a[4]!.image);
  assert.equal(again.caption.text, a[4]!.caption.text);
  for (const e of a) {
    assert.equal(e.image.length, 32 * 32 * 3);
    const named = Object.entries(e.attrs).filter(([name]) => e.caption.named[name as keyof typeof e.attrs]);
    assert.deepEqual(readAttributesEn(e.caption.text), Object.fromEntries(named));
  }
});

test('exampleSeed: seed ranges of the three splits are disjoint', () => {
  for (const base of [0, 1, 42, 2 ** 31 - 1, -5]) {
    for (const index of [0, 1, 1000, 2 ** 30 - 1]) {
      assert.ok(exampleSeed('train', index, base) < 2 ** 30);
      const val = exampleSeed('val', index, base);
      assert.ok(val >= 2 ** 30 && val < 2 ** 31);
      const testSeed = exampleSeed('test', index, base);
      assert.ok(testSeed >= 2 ** 31 && testSeed < 3 * 2 ** 30);
    }
  }
  const seeds = new Set(Array.from({ length: 1000 }, (_, i) => exampleSeed('val', i, 7)));
  assert.equal(seeds.size, 1000);
  assert.throws(() => makeSplit('dev' as 'train', 1, 0), /split is "dev"; expected one of train, val, test/);
});

test('makeExample: language and image size options', () => {
  const fr = makeExample(new Rng(5), { lang: 'fr', imageSize: 64 });
  assert.equal(fr.image.length, 64 * 64 * 3);
  const english = translateWordByWord(fr.caption.text, 'fr');
  const read = readAttributesEn(english);
  for (const [name, value] of Object.entries(read)) assert.equal(value, fr.attrs[name as keyof typeof fr.attrs]);
  const fixed = makeExample(new Rng(5), { attrs: { object: 2, colour: 1, size: 0, position: 3 } });
  assert.deepEqual(fixed.attrs, { object: 2, colour: 1, size: 0, position: 3 });
  assert.throws(() => makeExample(new Rng(1), { lang: 'pt' as 'fr' }), /unknown language code "pt"/);
});

test('makeSoundSplit: clips with captions naming their class', () => {
  const clips = makeSoundSplit('train', 4, 1, { lang: 'de' });
  assert.deepEqual(
    makeSoundSplit('train', 4, 1, { lang: 'de' }).map((c) => c.audio),
    clips.map((c) => c.audio),
  );
  for (const clip of clips) {
    assert.ok(clip.audio.length >= 8000 && clip.audio.length <= 32000);
    assert.deepEqual(readAttributesEn(translateWordByWord(clip.caption.text, 'de')), { object: clip.object });
  }
});

test('preview: contact sheet tiles are the canonical renderings; PNG round trip', () => {
  const grid = previewGrid({ scale: 1 });
  assert.equal(grid.width, 8 * 34 + 2);
  assert.equal(grid.height, 10 * 34 + 2);
  // Tile (row 3 = clock, column 4 = blue) equals renderImage of that scene.
  const tile = renderImage({ object: 3, colour: 4, size: 1, position: 4 });
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++) {
      const g = ((2 + 3 * 34 + y) * grid.width + 2 + 4 * 34 + x) * 3;
      const t = (y * 32 + x) * 3;
      assert.deepEqual([...grid.pixels.subarray(g, g + 3)], [...tile.subarray(t, t + 3)]);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'world-preview-'));
  try {
    const path = join(dir, 'world.png');
    const written = writePreviewPng(path, { seed: 1, scale: 2 });
    const decoded = decodePng(readFileSync(path));
    assert.equal(decoded.width, written.width);
    assert.equal(decoded.height, written.height);
    assert.deepEqual(decoded.pixels, written.pixels);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
