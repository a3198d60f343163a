/**
 * A 5x7 bitmap font (plus one descender row) for printable ASCII, for labels on plots and image
 * grids. Each glyph sits in a 6x9 cell: 5 columns of ink + 1 column of spacing, 7 rows above the
 * baseline + 1 descender row + 1 row of line spacing. Characters outside printable ASCII (e.g. CJK,
 * accented letters, emoji) draw as a hollow box so missing glyphs are visible, never silently dropped.
 */

/** An 8-bit colour, red-green-blue. */
export type Rgb = readonly [number, number, number];

/** Anything holding an 8-bit RGB raster, row-major and interleaved (the plot Raster is one). */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
}

/** Columns of ink in a glyph. */
export const GLYPH_WIDTH = 5;
/** Rows of a glyph: 7 above the baseline and 1 descender row. */
export const GLYPH_HEIGHT = 8;
/** Horizontal distance from one character to the next, at scale 1. */
export const CHAR_ADVANCE = 6;
/** Vertical distance from one line of text to the next, at scale 1. */
export const LINE_HEIGHT = 9;

// Glyph table: 8 rows of 5 pixels per character, rows separated by spaces, '#' = ink.
// Capitals and digits use rows 0-6; lower case x-height is rows 2-6; descenders use row 7.
const GLYPHS: Record<string, string> = {
  ' ': '..... ..... ..... ..... ..... ..... ..... .....',
  '!': '..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#.. .....',
  '"': '.#.#. .#.#. ..... ..... ..... ..... ..... .....',
  '#': '.#.#. .#.#. ##### .#.#. ##### .#.#. .#.#. .....',
  $: '..#.. .#### #.#.. .###. ..#.# ####. ..#.. .....',
  '%': '##... ##..# ...#. ..#.. .#... #..## ...## .....',
  '&': '.##.. #..#. #.#.. .#... #.#.# #..#. .##.# .....',
  "'": '..#.. ..#.. ..... ..... ..... ..... ..... .....',
  '(': '...#. ..#.. .#... .#... .#... ..#.. ...#. .....',
  ')': '.#... ..#.. ...#. ...#. ...#. ..#.. .#... .....',
  '*': '..... ..#.. #.#.# .###. #.#.# ..#.. ..... .....',
  '+': '..... ..#.. ..#.. ##### ..#.. ..#.. ..... .....',
  ',': '..... ..... ..... ..... ..... .##.. ..#.. .#...',
  '-': '..... ..... ..... ##### ..... ..... ..... .....',
  '.': '..... ..... ..... ..... ..... .##.. .##.. .....',
  '/': '..... ....# ...#. ..#.. .#... #.... ..... .....',
  '0': '.###. #...# #..## #.#.# ##..# #...# .###. .....',
  '1': '..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###. .....',
  '2': '.###. #...# ....# ...#. ..#.. .#... ##### .....',
  '3': '##### ...#. ..#.. ...#. ....# #...# .###. .....',
  '4': '...#. ..##. .#.#. #..#. ##### ...#. ...#. .....',
  '5': '##### #.... ####. ....# ....# #...# .###. .....',
  '6': '..##. .#... #.... ####. #...# #...# .###. .....',
  '7': '##### ....# ...#. ..#.. .#... .#... .#... .....',
  '8': '.###. #...# #...# .###. #...# #...# .###. .....',
  '9': '.###. #...# #...# .#### ....# ...#. .##.. .....',
  ':': '..... .##.. .##.. ..... .##.. .##.. ..... .....',
  ';': '..... .##.. .##.. ..... .##.. ..#.. .#... .....',
  '<': '...#. ..#.. .#... #.... .#... ..#.. ...#. .....',
  '=': '..... ..... ##### ..... ##### ..... ..... .....',
  '>': '.#... ..#.. ...#. ....# ...#. ..#.. .#... .....',
  '?': '.###. #...# ....# ...#. ..#.. ..... ..#.. .....',
  '@': '.###. #...# ....# .##.# #.#.# #.#.# .###. .....',
  A: '.###. #...# #...# #...# ##### #...# #...# .....',
  B: '####. #...# #...# ####. #...# #...# ####. .....',
  C: '.###. #...# #.... #.... #.... #...# .###. .....',
  D: '###.. #..#. #...# #...# #...# #..#. ###.. .....',
  E: '##### #.... #.... ####. #.... #.... ##### .....',
  F: '##### #.... #.... ####. #.... #.... #.... .....',
  G: '.###. #...# #.... #.### #...# #...# .#### .....',
  H: '#...# #...# #...# ##### #...# #...# #...# .....',
  I: '.###. ..#.. ..#.. ..#.. ..#.. ..#.. .###. .....',
  J: '..### ...#. ...#. ...#. ...#. #..#. .##.. .....',
  K: '#...# #..#. #.#.. ##... #.#.. #..#. #...# .....',
  L: '#.... #.... #.... #.... #.... #.... ##### .....',
  M: '#...# ##.## #.#.# #.#.# #...# #...# #...# .....',
  N: '#...# #...# ##..# #.#.# #..## #...# #...# .....',
  O: '.###. #...# #...# #...# #...# #...# .###. .....',
  P: '####. #...# #...# ####. #.... #.... #.... .....',
  Q: '.###. #...# #...# #...# #.#.# #..#. .##.# .....',
  R: '####. #...# #...# ####. #.#.. #..#. #...# .....',
  S: '.#### #.... #.... .###. ....# ....# ####. .....',
  T: '##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#.. .....',
  U: '#...# #...# #...# #...# #...# #...# .###. .....',
  V: '#...# #...# #...# #...# #...# .#.#. ..#.. .....',
  W: '#...# #...# #...# #.#.# #.#.# #.#.# .#.#. .....',
  X: '#...# #...# .#.#. ..#.. .#.#. #...# #...# .....',
  Y: '#...# #...# .#.#. ..#.. ..#.. ..#.. ..#.. .....',
  Z: '##### ....# ...#. ..#.. .#... #.... ##### .....',
  '[': '.###. .#... .#... .#... .#... .#... .###. .....',
  '\\': '..... #.... .#... ..#.. ...#. ....# ..... .....',
  ']': '.###. ...#. ...#. ...#. ...#. ...#. .###. .....',
  '^': '..#.. .#.#. #...# ..... ..... ..... ..... .....',
  _: '..... ..... ..... ..... ..... ..... ..... #####',
  '`': '.#... ..#.. ..... ..... ..... ..... ..... .....',
  a: '..... ..... .###. ....# .#### #...# .#### .....',
  b: '#.... #.... #.##. ##..# #...# #...# ####. .....',
  c: '..... ..... .###. #.... #.... #...# .###. .....',
  d: '....# ....# .##.# #..## #...# #...# .#### .....',
  e: '..... ..... .###. #...# ##### #.... .###. .....',
  f: '..##. .#..# .#... ###.. .#... .#... .#... .....',
  g: '..... ..... .#### #...# #...# .#### ....# .###.',
  h: '#.... #.... #.##. ##..# #...# #...# #...# .....',
  i: '..#.. ..... .##.. ..#.. ..#.. ..#.. .###. .....',
  j: '...#. ..... ..##. ...#. ...#. ...#. #..#. .##..',
  k: '#.... #.... #..#. #.#.. ##... #.#.. #..#. .....',
  l: '.##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###. .....',
  m: '..... ..... ##.#. #.#.# #.#.# #...# #...# .....',
  n: '..... ..... #.##. ##..# #...# #...# #...# .....',
  o: '..... ..... .###. #...# #...# #...# .###. .....',
  p: '..... ..... ####. #...# #...# ####. #.... #....',
  q: '..... ..... .#### #...# #...# .#### ....# ....#',
  r: '..... ..... #.##. ##..# #.... #.... #.... .....',
  s: '..... ..... .###. #.... .###. ....# ####. .....',
  t: '.#... .#... ###.. .#... .#... .#..# ..##. .....',
  u: '..... ..... #...# #...# #...# #..## .##.# .....',
  v: '..... ..... #...# #...# #...# .#.#. ..#.. .....',
  w: '..... ..... #...# #...# #.#.# #.#.# .#.#. .....',
  x: '..... ..... #...# .#.#. ..#.. .#.#. #...# .....',
  y: '..... ..... #...# #...# #...# .#### ....# .###.',
  z: '..... ..... ##### ...#. ..#.. .#... ##### .....',
  '{': '...#. ..#.. ..#.. .#... ..#.. ..#.. ...#. .....',
  '|': '..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  '}': '.#... ..#.. ..#.. ...#. ..#.. ..#.. .#... .....',
  '~': '..... ..... .#... #.#.# ...#. ..... ..... .....',
};

/** Drawn for any character without a glyph. */
const MISSING_GLYPH = '##### #...# #...# #...# #...# #...# ##### .....';

/** Glyph bitmaps as booleans, row-major [GLYPH_HEIGHT][GLYPH_WIDTH], parsed once. */
const BITMAPS = new Map<string, boolean[][]>();
for (const [ch, rows] of Object.entries(GLYPHS)) BITMAPS.set(ch, parseGlyph(ch, rows));
const MISSING_BITMAP = parseGlyph('missing', MISSING_GLYPH);

function parseGlyph(name: string, rows: string): boolean[][] {
  const parsed = rows.split(' ').map((row) => [...row].map((c) => c === '#'));
  if (parsed.length !== GLYPH_HEIGHT || parsed.some((r) => r.length !== GLYPH_WIDTH)) {
    throw new Error(`internal: glyph ${JSON.stringify(name)} is not ${GLYPH_WIDTH}x${GLYPH_HEIGHT}`);
  }
  return parsed;
}

/** The bitmap drawn for one character (a hollow box when the font has no glyph for it). */
export function glyphBitmap(char: string): readonly (readonly boolean[])[] {
  return BITMAPS.get(char) ?? MISSING_BITMAP;
}

/** Whether the font has a real glyph for `char` (otherwise it draws as a hollow box). */
export function hasGlyph(char: string): boolean {
  return BITMAPS.has(char);
}

/** Width in pixels of one line of `text` (no trailing spacing column). Counts code points, not UTF-16 units. */
export function textWidth(text: string, scale = 1): number {
  const n = [...text].length;
  return n === 0 ? 0 : (n * CHAR_ADVANCE - 1) * scale;
}

/**
 * Draw `text` with its top-left corner at (x, y); '\n' starts a new line. Each font pixel becomes a
 * `scale` x `scale` block. Pixels outside the image are skipped. Returns the x just past the last
 * character of the last line.
 */
export function drawText(img: RgbImage, x: number, y: number, text: string, colour: Rgb, scale = 1): number {
  checkScale(scale);
  let penX = x;
  let penY = y;
  for (const char of text) {
    if (char === '\n') {
      penX = x;
      penY += LINE_HEIGHT * scale;
      continue;
    }
    const bitmap = glyphBitmap(char);
    for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
      for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
        if (bitmap[gy]![gx]) fillBlock(img, penX + gx * scale, penY + gy * scale, scale, colour);
      }
    }
    penX += CHAR_ADVANCE * scale;
  }
  return penX;
}

/**
 * Draw one line of `text` rotated 90 degrees anticlockwise (reading bottom to top, as y-axis labels
 * are), so the text occupies x in [x, x + GLYPH_HEIGHT*scale) and y in (y - textWidth, y].
 */
export function drawTextVertical(img: RgbImage, x: number, y: number, text: string, colour: Rgb, scale = 1): void {
  checkScale(scale);
  let pen = 0;
  for (const char of text) {
    const bitmap = glyphBitmap(char);
    for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
      for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
        // Rotating anticlockwise: glyph column -> upward distance, glyph row -> rightward distance.
        if (bitmap[gy]![gx]) fillBlock(img, x + gy * scale, y - (pen + gx) * scale - (scale - 1), scale, colour);
      }
    }
    pen += CHAR_ADVANCE;
  }
}

/** Cut `text` to fit `maxWidth` pixels on one line, ending with ".." when cut. */
export function fitText(text: string, maxWidth: number, scale = 1): string {
  const chars = [...text];
  const maxChars = Math.floor((maxWidth / scale + 1) / CHAR_ADVANCE);
  if (chars.length <= maxChars) return text;
  if (maxChars <= 2) return chars.slice(0, Math.max(0, maxChars)).join('');
  return `${chars.slice(0, maxChars - 2).join('')}..`;
}

/**
 * Break `text` into at most `maxLines` lines that each fit `maxWidth` pixels: at spaces where
 * possible, else mid-word; the last line ends with ".." when text is left over.
 */
export function wrapText(text: string, maxWidth: number, maxLines: number, scale = 1): string[] {
  const maxChars = Math.max(1, Math.floor((maxWidth / scale + 1) / CHAR_ADVANCE));
  const lines: string[] = [];
  let rest = [...text.replace(/\s+/g, ' ').trim()];
  while (rest.length > 0 && lines.length < maxLines) {
    if (rest.length <= maxChars) {
      lines.push(rest.join(''));
      rest = [];
      break;
    }
    let cut = rest.lastIndexOf(' ', maxChars);
    if (cut <= 0) cut = maxChars;
    lines.push(rest.slice(0, cut).join('').trimEnd());
    rest = rest.slice(rest[cut] === ' ' ? cut + 1 : cut);
  }
  if (rest.length > 0 && lines.length > 0) {
    lines[lines.length - 1] = fitText(`${lines[lines.length - 1]!} ${rest.join('')}`, maxWidth, scale);
  }
  return lines;
}

function checkScale(scale: number): void {
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`drawText: scale is ${scale}; expected a positive integer`);
}

function fillBlock(img: RgbImage, x0: number, y0: number, size: number, colour: Rgb): void {
  for (let y = Math.max(0, y0); y < Math.min(img.height, y0 + size); y++) {
    for (let x = Math.max(0, x0); x < Math.min(img.width, x0 + size); x++) {
      const i = (y * img.width + x) * 3;
      img.pixels[i] = colour[0];
      img.pixels[i + 1] = colour[1];
      img.pixels[i + 2] = colour[2];
    }
  }
}
