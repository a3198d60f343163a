/**
 * Contact sheets of images (generated samples, dataset previews) as one PNG, with a caption under
 * each image. Layout, in output pixels (documented because tests and callers rely on it):
 *   cell size   = (largest image width * scale) x (largest image height * scale)
 *   caption box = captionLines * LINE_HEIGHT + 2 rows under each cell (0 when captionLines is 0)
 *   image i     = column i % columns, row floor(i / columns); its cell's top-left corner is
 *                 x = padding + column * (cellWidth + padding),
 *                 y = padding + row * (cellHeight + captionBox + padding);
 *   an image smaller than the cell is centred in it (offsets rounded down).
 */
import { drawText, LINE_HEIGHT, type Rgb, wrapText } from './font.js';
import { Raster } from './plot.js';

export interface GridCell {
  /** 8-bit pixels, row-major, interleaved; 1 (grey), 3 (RGB) or 4 (RGBA) channels, inferred from the length. */
  pixels: Uint8Array;
  width: number;
  height: number;
  caption?: string;
}

export interface GridOptions {
  /** Images per row; default ceil(sqrt(number of cells)). */
  columns?: number;
  /** Nearest-neighbour upscaling factor (e.g. 4 for 32x32 samples); default 1. */
  scale?: number;
  /** Caption lines under each image: wrapped at spaces, the last cut with ".."; default 2 if any cell has a caption, else 0. */
  captionLines?: number;
  /** Gap around and between cells, in pixels; default 4. */
  padding?: number;
  /** Colour behind images, captions and transparent pixels; default white. */
  background?: Rgb;
  /** Caption text colour; default black. */
  captionColour?: Rgb;
}

/** Layout of a grid, in output pixels; see the module comment. */
export interface GridLayout {
  width: number;
  height: number;
  columns: number;
  rows: number;
  cellWidth: number;
  cellHeight: number;
  captionHeight: number;
  padding: number;
}

/** Compute the layout `imageGrid` uses (validates the options). */
export function gridLayout(cells: readonly GridCell[], options: GridOptions = {}): GridLayout {
  if (cells.length === 0) throw new Error('imageGrid: cells is empty; pass at least one { pixels, width, height }');
  const scale = options.scale ?? 1;
  const padding = options.padding ?? 4;
  const columns = options.columns ?? Math.ceil(Math.sqrt(cells.length));
  const captionLines = options.captionLines ?? (cells.some((c) => c.caption) ? 2 : 0);
  for (const [name, value, min] of [
    ['scale', scale, 1],
    ['columns', columns, 1],
    ['padding', padding, 0],
    ['captionLines', captionLines, 0],
  ] as const) {
    if (!Number.isInteger(value) || value < min) throw new Error(`imageGrid: ${name} is ${value}; expected an integer >= ${min}`);
  }
  const cellWidth = Math.max(...cells.map((c) => c.width)) * scale;
  const cellHeight = Math.max(...cells.map((c) => c.height)) * scale;
  const captionHeight = captionLines > 0 ? captionLines * LINE_HEIGHT + 2 : 0;
  const usedColumns = Math.min(columns, cells.length);
  const rows = Math.ceil(cells.length / columns);
  const width = padding + usedColumns * (cellWidth + padding);
  const height = padding + rows * (cellHeight + captionHeight + padding);
  if (width * height > 1 << 26) {
    throw new Error(`imageGrid: output would be ${width}x${height} pixels (over 64M); use fewer cells or a smaller scale`);
  }
  return { width, height, columns: usedColumns, rows, cellWidth, cellHeight, captionHeight, padding };
}

/** Lay images out in a grid with captions; returns the grid as an RGB Raster. */
export function imageGridRaster(cells: readonly GridCell[], options: GridOptions = {}): Raster {
  const layout = gridLayout(cells, options);
  const scale = options.scale ?? 1;
  const background = options.background ?? [255, 255, 255];
  const raster = new Raster(layout.width, layout.height, background);
  const captionLines = layout.captionHeight > 0 ? (layout.captionHeight - 2) / LINE_HEIGHT : 0;
  cells.forEach((cell, i) => {
    const channels = cellChannels(cell, i);
    const column = i % layout.columns;
    const row = Math.floor(i / layout.columns);
    const cellX = layout.padding + column * (layout.cellWidth + layout.padding);
    const cellY = layout.padding + row * (layout.cellHeight + layout.captionHeight + layout.padding);
    const x0 = cellX + Math.floor((layout.cellWidth - cell.width * scale) / 2);
    const y0 = cellY + Math.floor((layout.cellHeight - cell.height * scale) / 2);
    const rgb = toRgb(cell.pixels, channels, background);
    for (let y = 0; y < cell.height * scale; y++) {
      for (let x = 0; x < cell.width * scale; x++) {
        const src = (Math.floor(y / scale) * cell.width + Math.floor(x / scale)) * 3;
        const dst = ((y0 + y) * raster.width + x0 + x) * 3;
        raster.pixels[dst] = rgb[src]!;
        raster.pixels[dst + 1] = rgb[src + 1]!;
        raster.pixels[dst + 2] = rgb[src + 2]!;
      }
    }
    if (cell.caption && captionLines > 0) {
      const lines = wrapText(cell.caption, layout.cellWidth, captionLines);
      lines.forEach((line, k) => {
        drawText(raster, cellX, cellY + layout.cellHeight + 2 + k * LINE_HEIGHT, line, options.captionColour ?? [0, 0, 0]);
      });
    }
  });
  return raster;
}

/** Lay images out in a grid with captions; returns PNG bytes (RGB). */
export function imageGrid(cells: readonly GridCell[], options: GridOptions = {}): Uint8Array {
  return imageGridRaster(cells, options).toPng();
}

function cellChannels(cell: GridCell, index: number): number {
  const { width, height, pixels } = cell;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`imageGrid: cell ${index} has size ${width}x${height}; expected positive integers`);
  }
  const channels = pixels.length / (width * height);
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new Error(`imageGrid: cell ${index} has ${pixels.length} bytes for ${width}x${height} pixels; expected 1, 3 or 4 bytes per pixel (grey, RGB, RGBA)`);
  }
  return channels;
}

/** The cell's pixels as RGB; alpha is composited over `background`. */
function toRgb(pixels: Uint8Array, channels: number, background: Rgb): Uint8Array {
  if (channels === 3) return pixels;
  const n = pixels.length / channels;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    if (channels === 1) {
      out.fill(pixels[i]!, 3 * i, 3 * i + 3);
      continue;
    }
    const a = pixels[4 * i + 3]! / 255;
    for (let c = 0; c < 3; c++) out[3 * i + c] = Math.round(pixels[4 * i + c]! * a + background[c]! * (1 - a));
  }
  return out;
}
