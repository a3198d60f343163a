import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CHAR_ADVANCE,
  drawText,
  drawTextVertical,
  fitText,
  GLYPH_HEIGHT,
  GLYPH_WIDTH,
  glyphBitmap,
  hasGlyph,
  type RgbImage,
  textWidth,
  wrapText,
} from '../../src/io/font.js';

function blank(width: number, height: number): RgbImage {
  return { width, height, pixels: new Uint8Array(width * height * 3) };
}
const inked = (img: RgbImage, x: number, y: number): boolean => img.pixels[(y * img.width + x) * 3] === 255;
/** The image as rows of '#'/'.' for readable comparisons. */
function picture(img: RgbImage, x0: number, y0: number, w: number, h: number): string[] {
  return Array.from({ length: h }, (_, y) => Array.from({ length: w }, (_, x) => (inked(img, x0 + x, y0 + y) ? '#' : '.')).join(''));
}
const WHITE = [255, 255, 255] as const;

test('every printable ASCII character has its own glyph', () => {
  const seen = new Map<string, string>();
  for (let code = 32; code <= 126; code++) {
    const ch = String.fromCharCode(code);
    assert.ok(hasGlyph(ch), `missing glyph for ${JSON.stringify(ch)}`);
    const key = glyphBitmap(ch)
      .map((r) => r.map((b) => (b ? 1 : 0)).join(''))
      .join('/');
    assert.equal(seen.get(key), undefined, `${JSON.stringify(ch)} looks the same as ${JSON.stringify(seen.get(key))}`);
    seen.set(key, ch);
    const ink = glyphBitmap(ch).flat().filter(Boolean).length;
    assert.ok(ch === ' ' ? ink === 0 : ink > 0, `ink of ${JSON.stringify(ch)}`);
  }
  assert.equal(hasGlyph('日'), false);
  assert.equal(hasGlyph('\u00e9'), false);
});

test('drawText puts the glyph at (x, y), at scale 1 and 2', () => {
  const img = blank(20, 20);
  const end = drawText(img, 3, 2, 'A', WHITE);
  assert.equal(end, 3 + CHAR_ADVANCE);
  assert.deepEqual(picture(img, 2, 1, 7, 10), ['.......', '..###..', '.#...#.', '.#...#.', '.#...#.', '.#####.', '.#...#.', '.#...#.', '.......', '.......']);
  const big = blank(20, 20);
  assert.equal(drawText(big, 1, 1, 'A', WHITE, 2), 1 + 2 * CHAR_ADVANCE);
  for (let y = 0; y < GLYPH_HEIGHT * 2; y++) {
    for (let x = 0; x < GLYPH_WIDTH * 2; x++) {
      assert.equal(inked(big, 1 + x, 1 + y), inked(img, 3 + (x >> 1), 2 + (y >> 1)), `scaled pixel ${x},${y}`);
    }
  }
});

test('characters without a glyph (CJK, emoji) draw as one hollow box per code point', () => {
  const img = blank(30, 10);
  drawText(img, 0, 0, '日😀', WHITE);
  const box = ['#####', '#...#', '#...#', '#...#', '#...#', '#...#', '#####', '.....'];
  assert.deepEqual(picture(img, 0, 0, 5, 8), box);
  assert.deepEqual(picture(img, CHAR_ADVANCE, 0, 5, 8), box);
  assert.deepEqual(picture(img, 2 * CHAR_ADVANCE, 0, 5, 8), Array(8).fill('.....'), "the emoji's surrogate pair is one box, not two");
  assert.equal(textWidth('日😀'), 2 * CHAR_ADVANCE - 1);
});

test('drawing is clipped at the image edges and newlines start a new line', () => {
  const img = blank(8, 8);
  drawText(img, -3, -2, 'WW\nW', WHITE, 3);
  assert.ok(img.pixels.some((v) => v === 255));
  const two = blank(20, 20);
  drawText(two, 0, 0, 'I\nI', WHITE);
  assert.deepEqual(picture(two, 0, 9, 5, 7), picture(two, 0, 0, 5, 7));
});

test('drawTextVertical is the horizontal rendering turned 90 degrees anticlockwise', () => {
  for (const scale of [1, 2]) {
    const text = 'Hy_1';
    const w = textWidth(text, scale);
    const h = GLYPH_HEIGHT * scale;
    const flat = blank(w, h);
    drawText(flat, 0, 0, text, WHITE, scale);
    const turned = blank(h + 4, w + 4);
    drawTextVertical(turned, 2, w + 1, text, WHITE, scale);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) assert.equal(inked(turned, 2 + y, w + 1 - x), inked(flat, x, y), `scale ${scale} pixel ${x},${y}`);
    }
    assert.equal(turned.pixels.filter((v) => v === 255).length, flat.pixels.filter((v) => v === 255).length);
  }
});

test('fitText and wrapText keep text inside the width', () => {
  // 59 px holds floor((59 + 1) / 6) = 10 characters.
  assert.equal(fitText('short', 59), 'short');
  assert.equal(fitText('the quick brown fox', 59), 'the quic..');
  assert.deepEqual(wrapText('the quick brown fox', 59, 3), ['the quick', 'brown fox']);
  assert.deepEqual(wrapText('the quick brown fox jumps over', 59, 2), ['the quick', 'brown fo..']);
  assert.deepEqual(wrapText('abcdefghijklmnopqrstuvwxyz', 59, 2), ['abcdefghij', 'klmnopqr..']);
  assert.deepEqual(wrapText('', 59, 2), []);
  for (const line of wrapText('a caption that is much too long for the cell', 47, 3)) assert.ok(textWidth(line) <= 47, line);
});
