import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drawText, LINE_HEIGHT, textWidth, wrapText } from '../../src/io/font.js';
import { type GridCell, gridLayout, imageGrid } from '../../src/io/grid.js';
import { Raster } from '../../src/io/plot.js';
import { Rng } from '../../src/util/rng.js';
import { type DecodedPng, decodePng } from '../helpers/png-decode.js';

const rgbAt = (img: DecodedPng, x: number, y: number): number[] => [...img.pixels.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];

function randomCell(rng: Rng, width: number, height: number, caption?: string): GridCell {
  const cell: GridCell = { pixels: new Uint8Array(width * height * 3).map(() => rng.int(256)), width, height };
  if (caption !== undefined) cell.caption = caption;
  return cell;
}

test('imageGrid: output size and every image pixel upscaled at its documented place', () => {
  const rng = new Rng(3);
  const captions = ['cat', undefined, 'a dog on a skateboard', '', 'bird'];
  const cells = captions.map((c) => randomCell(rng, 3, 2, c));
  const scale = 4,
    padding = 4,
    columns = 2;
  const img = decodePng(imageGrid(cells, { columns, scale, padding }));
  const cellW = 3 * scale,
    cellH = 2 * scale,
    captionH = 2 * LINE_HEIGHT + 2; // default: 2 caption lines
  assert.deepEqual([img.width, img.height, img.channels], [padding + 2 * (cellW + padding), padding + 3 * (cellH + captionH + padding), 3]);
  cells.forEach((cell, i) => {
    const x0 = padding + (i % columns) * (cellW + padding);
    const y0 = padding + Math.floor(i / columns) * (cellH + captionH + padding);
    for (let y = 0; y < cellH; y++) {
      for (let x = 0; x < cellW; x++) {
        const s = (Math.floor(y / scale) * 3 + Math.floor(x / scale)) * 3;
        assert.deepEqual(rgbAt(img, x0 + x, y0 + y), [...cell.pixels.subarray(s, s + 3)], `cell ${i} pixel ${x},${y}`);
      }
    }
  });
});

test('imageGrid: captions are drawn under their image, wrapped and cut to the cell width', () => {
  const rng = new Rng(4);
  const cells = [randomCell(rng, 8, 8, 'a very long caption that will not fit'), randomCell(rng, 8, 8)];
  const scale = 6,
    padding = 2;
  const img = decodePng(imageGrid(cells, { columns: 2, scale, padding, captionLines: 2 }));
  const cellW = 48;
  // Expected caption: wrapped text drawn by the font into a raster of the caption box's size.
  const lines = wrapText(cells[0]!.caption!, cellW, 2);
  assert.deepEqual(lines, ['a very', 'long c..']); // 48 px hold 8 characters
  const expected = new Raster(cellW + padding, 2 * LINE_HEIGHT + 2);
  lines.forEach((line, k) => drawText(expected, 0, 2 + k * LINE_HEIGHT, line, [0, 0, 0]));
  const captionTop = padding + 8 * scale;
  for (let y = 0; y < expected.height; y++) {
    for (let x = 0; x < expected.width; x++) {
      assert.deepEqual(rgbAt(img, padding + x, captionTop + y), [...expected.getPixel(x, y)], `caption pixel ${x},${y}`);
    }
  }
  assert.ok(lines.every((l) => textWidth(l) <= cellW));
  // No caption under the second image: its caption box is all background.
  for (let y = captionTop; y < captionTop + 2 * LINE_HEIGHT + 2; y++) {
    for (let x = 2 * padding + cellW; x < 2 * padding + 2 * cellW; x++) assert.deepEqual(rgbAt(img, x, y), [255, 255, 255]);
  }
});

test('imageGrid: grey and RGBA cells, centring of smaller images, no captions', () => {
  const grey: GridCell = { pixels: Uint8Array.of(10, 200), width: 2, height: 1 };
  const rgba: GridCell = { pixels: Uint8Array.of(255, 0, 0, 255, 0, 0, 255, 255, 0, 255, 0, 128, 0, 0, 0, 0), width: 2, height: 2 };
  const img = decodePng(imageGrid([grey, rgba], { columns: 2, scale: 2, padding: 1, background: [255, 255, 255] }));
  assert.deepEqual(gridLayout([grey, rgba], { columns: 2, scale: 2, padding: 1 }).captionHeight, 0);
  assert.deepEqual([img.width, img.height], [1 + 2 * (4 + 1), 1 + 4 + 1]);
  // Grey 2x1 image (4x2 after scaling) is centred vertically in a 4x4 cell: rows 1..2 of the cell.
  assert.deepEqual(rgbAt(img, 1, 1), [255, 255, 255]);
  assert.deepEqual(rgbAt(img, 1, 2), [10, 10, 10]);
  assert.deepEqual(rgbAt(img, 4, 3), [200, 200, 200]);
  // RGBA: opaque red, opaque blue, half-transparent green over white, fully transparent -> white.
  const x0 = 1 + 4 + 1;
  assert.deepEqual(rgbAt(img, x0, 1), [255, 0, 0]);
  assert.deepEqual(rgbAt(img, x0 + 2, 1), [0, 0, 255]);
  assert.deepEqual(rgbAt(img, x0, 3), [Math.round((255 * 127) / 255), 255, Math.round((255 * 127) / 255)]);
  assert.deepEqual(rgbAt(img, x0 + 3, 4), [255, 255, 255]);
  // Odd leftovers (4x3 cell, 1x2 image: 3 columns, 1 row spare) put the extra background after the image.
  const odd = decodePng(
    imageGrid(
      [
        { pixels: new Uint8Array(36), width: 4, height: 3 },
        { pixels: Uint8Array.of(77, 99), width: 1, height: 2 },
      ],
      { columns: 2, padding: 0 },
    ),
  );
  assert.deepEqual(
    [rgbAt(odd, 5, 0), rgbAt(odd, 5, 1), rgbAt(odd, 5, 2), rgbAt(odd, 4, 0), rgbAt(odd, 6, 0)],
    [
      [77, 77, 77],
      [99, 99, 99],
      [255, 255, 255],
      [255, 255, 255],
      [255, 255, 255],
    ],
  );
});

test('imageGrid: clear errors for bad input', () => {
  assert.throws(() => imageGrid([]), /cells is empty/);
  assert.throws(() => imageGrid([{ pixels: new Uint8Array(5), width: 2, height: 2 }]), /cell 0 has 5 bytes for 2x2 pixels/);
  assert.throws(() => imageGrid([{ pixels: new Uint8Array(4), width: 2, height: 2 }], { scale: 0 }), /scale is 0/);
});
