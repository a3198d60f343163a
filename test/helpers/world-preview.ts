/**
 * A contact sheet of the world for eyeballing: one row per object, one column per colour, large
 * objects in the centre cell (canonical rendering), optionally with a second sheet half of small
 * objects at random positions. Written as PNG with src/io/png.ts. Test helper (no run-time caller).
 */
import { writeFileSync } from 'node:fs';
import { encodePng } from '../../src/io/png.js';
import { Rng } from '../../src/util/rng.js';
import { COLOURS, OBJECTS, POSITIONS } from '../../src/world/data/attributes.js';
import { IMAGE_SIZE, renderImage } from '../../src/world/data/render.js';

export interface PreviewGrid {
  width: number;
  height: number;
  /** RGB bytes, HWC row-major. */
  pixels: Uint8Array;
}

export interface PreviewOptions {
  /** Nearest-neighbour upscaling factor per tile (default 3). */
  scale?: number;
  /** Seed for the random small-object rows; when undefined only the canonical rows are drawn. */
  seed?: number;
}

/** Objects x colours grid (large, centre); with `seed`, a second block of random small scenes. */
export function previewGrid(options: PreviewOptions = {}): PreviewGrid {
  const scale = options.scale ?? 3;
  if (!Number.isInteger(scale) || scale < 1 || scale > 16) {
    throw new Error(`previewGrid: scale is ${String(scale)}; expected an integer in [1, 16]`);
  }
  const gap = 2;
  const tile = IMAGE_SIZE * scale;
  const cols = COLOURS.length;
  const blocks = options.seed === undefined ? 1 : 2;
  const rows = OBJECTS.length * blocks;
  const width = cols * (tile + gap) + gap;
  const height = rows * (tile + gap) + gap;
  const pixels = new Uint8Array(width * height * 3).fill(255);
  const rng = options.seed === undefined ? undefined : new Rng(options.seed);
  for (let r = 0; r < rows; r++) {
    const object = r % OBJECTS.length;
    for (let colour = 0; colour < cols; colour++) {
      const image =
        r < OBJECTS.length
          ? renderImage({ object, colour, size: 1, position: 4 })
          : renderImage({ object, colour, size: 0, position: rng!.int(POSITIONS.length) }, rng);
      blit(pixels, width, image, gap + colour * (tile + gap), gap + r * (tile + gap), scale);
    }
  }
  return { width, height, pixels };
}

function blit(dst: Uint8Array, dstWidth: number, image: Uint8Array, left: number, top: number, scale: number): void {
  for (let y = 0; y < IMAGE_SIZE * scale; y++) {
    for (let x = 0; x < IMAGE_SIZE * scale; x++) {
      const src = (Math.floor(y / scale) * IMAGE_SIZE + Math.floor(x / scale)) * 3;
      const out = ((top + y) * dstWidth + left + x) * 3;
      dst[out] = image[src]!;
      dst[out + 1] = image[src + 1]!;
      dst[out + 2] = image[src + 2]!;
    }
  }
}

/** Write previewGrid(options) as a PNG file at `path`. */
export function writePreviewPng(path: string, options: PreviewOptions = {}): PreviewGrid {
  const grid = previewGrid(options);
  writeFileSync(path, encodePng(grid.pixels, grid.width, grid.height, 3));
  return grid;
}
