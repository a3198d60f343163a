/**
 * Small PNG charts for training curves (linePlot) and feature projections (scatterPlot), drawn on
 * an RGB Raster with the bitmap font; no dependencies.
 *
 * Conventions for all charts:
 *  - Axis ranges enclose the data and are widened to the outermost "nice" tick (1, 2 or 5 x 10^k).
 *  - Points with a non-finite coordinate (NaN, +-Infinity) are skipped; a line breaks at them.
 *    With `logY`, points with y <= 0 are skipped the same way.
 *  - If nothing is left to draw, the chart is blank (axes over [0, 1], or [1, 10] for logY), not an
 *    error; an empty series/groups/categories list, or mismatched lengths, is an error.
 */

import { drawText, drawTextVertical, fitText, GLYPH_HEIGHT, LINE_HEIGHT, type Rgb, textWidth } from './font.js';
import { encodePng } from './png.js';

export type { Rgb } from './font.js';

/** Distinguishable series colours (Tableau 10). */
export const PALETTE: readonly Rgb[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
];
const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];
const GRID: Rgb = [225, 225, 225];

/** An 8-bit RGB image in memory; (0, 0) is the top-left pixel. Drawing outside the image is clipped. */
export class Raster {
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = WHITE,
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new Error(`Raster: size ${width}x${height} is invalid; expected positive integers`);
    }
    this.pixels = new Uint8Array(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  setPixel(x: number, y: number, colour: Rgb): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 3;
    this.pixels[i] = colour[0];
    this.pixels[i + 1] = colour[1];
    this.pixels[i + 2] = colour[2];
  }

  getPixel(x: number, y: number): Rgb {
    const i = (y * this.width + x) * 3;
    return [this.pixels[i]!, this.pixels[i + 1]!, this.pixels[i + 2]!];
  }

  fillRect(x: number, y: number, w: number, h: number, colour: Rgb): void {
    const [x0, x1] = [Math.max(0, Math.round(x)), Math.min(this.width, Math.round(x + w))];
    for (let yy = Math.max(0, Math.round(y)); yy < Math.min(this.height, Math.round(y + h)); yy++) {
      for (let i = (yy * this.width + x0) * 3; i < (yy * this.width + x1) * 3; i += 3) {
        this.pixels[i] = colour[0];
        this.pixels[i + 1] = colour[1];
        this.pixels[i + 2] = colour[2];
      }
    }
  }

  /** Outline of a rectangle, 1 pixel wide, inside (x, y, w, h). */
  strokeRect(x: number, y: number, w: number, h: number, colour: Rgb): void {
    this.fillRect(x, y, w, 1, colour);
    this.fillRect(x, y + h - 1, w, 1, colour);
    this.fillRect(x, y, 1, h, colour);
    this.fillRect(x + w - 1, y, 1, h, colour);
  }

  /** Bresenham line between pixel centres, `thickness` pixels wide (square brush; not anti-aliased). */
  line(x0: number, y0: number, x1: number, y1: number, colour: Rgb, thickness = 1): void {
    // Clip to the image (plus the brush) first, so far-away or non-finite ends cannot make a huge loop.
    const clipped = clipSegment(x0, y0, x1, y1, -thickness, -thickness, this.width + thickness, this.height + thickness);
    if (clipped === null) return;
    [x0, y0, x1, y1] = clipped.map(Math.round) as [number, number, number, number];
    const lo = -Math.floor((thickness - 1) / 2);
    const hi = lo + Math.max(1, Math.round(thickness)) - 1;
    const dx = Math.abs(x1 - x0);
    const dy = -Math.abs(y1 - y0);
    const sx = x0 < x1 ? 1 : -1;
    const sy = y0 < y1 ? 1 : -1;
    const [r, g, b] = colour;
    let err = dx + dy;
    for (;;) {
      // Inlined setPixel: long dense series make this the hot loop.
      for (let y = Math.max(0, y0 + lo); y <= Math.min(this.height - 1, y0 + hi); y++) {
        for (let x = Math.max(0, x0 + lo); x <= Math.min(this.width - 1, x0 + hi); x++) {
          const i = (y * this.width + x) * 3;
          this.pixels[i] = r;
          this.pixels[i + 1] = g;
          this.pixels[i + 2] = b;
        }
      }
      if (x0 === x1 && y0 === y1) return;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x0 += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y0 += sy;
      }
    }
  }

  /** A disc (or, with fill = false, a 1-pixel ring) of radius r centred on (cx, cy). */
  circle(cx: number, cy: number, r: number, colour: Rgb, fill = true): void {
    cx = Math.round(cx);
    cy = Math.round(cy);
    const outer = (r + 0.5) ** 2;
    const inner = fill ? -1 : (r - 0.5) ** 2;
    for (let y = -Math.ceil(r); y <= Math.ceil(r); y++) {
      for (let x = -Math.ceil(r); x <= Math.ceil(r); x++) {
        const d = x * x + y * y;
        if (d <= outer && d > inner) this.setPixel(cx + x, cy + y, colour);
      }
    }
  }

  toPng(): Uint8Array {
    return encodePng(this.pixels, this.width, this.height, 3);
  }
}

/**
 * Liang-Barsky clipping of the segment (x0, y0)-(x1, y1) to the box [xMin, xMax] x [yMin, yMax];
 * null when nothing is inside or a coordinate is not finite.
 */
function clipSegment(x0: number, y0: number, x1: number, y1: number, xMin: number, yMin: number, xMax: number, yMax: number): number[] | null {
  if (![x0, y0, x1, y1].every(Number.isFinite)) return null;
  const [dx, dy] = [x1 - x0, y1 - y0];
  let [t0, t1] = [0, 1];
  // For each box edge: p = direction towards outside, q = distance inside.
  for (const [p, q] of [
    [-dx, x0 - xMin],
    [dx, xMax - x0],
    [-dy, y0 - yMin],
    [dy, yMax - y0],
  ] as const) {
    if (p === 0) {
      if (q < 0) return null;
    } else if (p < 0) {
      t0 = Math.max(t0, q / p);
    } else {
      t1 = Math.min(t1, q / p);
    }
  }
  return t0 > t1 ? null : [x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy];
}

// ---------------------------------------------------------------------------------------------
// Ticks

export interface Ticks {
  /** Axis range, widened to the outermost ticks. */
  min: number;
  max: number;
  values: number[];
  labels: string[];
}

/** About `target` ticks at multiples of 1, 2 or 5 x 10^k enclosing [lo, hi]. */
export function niceTicks(lo: number, hi: number, target = 5): Ticks {
  if (!(hi > lo)) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    [lo, hi] = [lo - pad, hi + pad];
  }
  if (!Number.isFinite(hi - lo)) throw new Error(`niceTicks: range [${lo}, ${hi}] is not finite; expected finite data`);
  const raw = (hi - lo) / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const values: number[] = [];
  for (let k = first; k <= last; k++) values.push((decimals <= 15 ? Number((k * step).toFixed(decimals)) : k * step) + 0); // + 0 turns -0 into 0
  const big = Math.max(Math.abs(values[0]!), Math.abs(values[values.length - 1]!));
  const labels = values.map((v) =>
    big >= 1e6 || decimals > 4 ? (v === 0 ? '0' : Number(v.toPrecision(3)).toExponential().replace('e+', 'e')) : v.toFixed(decimals),
  );
  return { min: values[0]!, max: values[values.length - 1]!, values, labels };
}

/** Ticks for a log10 axis over positive [lo, hi]: whole decades, plus 2x and 5x when few decades. */
export function logTicks(lo: number, hi: number): Ticks {
  let first = Math.floor(Math.log10(lo) + 1e-9);
  let last = Math.ceil(Math.log10(hi) - 1e-9);
  if (last <= first) last = first + 1;
  const stride = Math.max(1, Math.ceil((last - first) / 8)); // at most ~8 decade labels
  first = Math.floor(first / stride) * stride;
  last = Math.ceil(last / stride) * stride;
  const values: number[] = [];
  for (let k = first; k <= last; k += stride) {
    values.push(10 ** k);
    if (last - first <= 2 && k < last) values.push(2 * 10 ** k, 5 * 10 ** k);
  }
  const labels = values.map((v) => {
    const k = Math.round(Math.log10(v));
    return Math.abs(v - 10 ** k) < 1e-9 * v && (k < -3 || k > 4) ? `1e${k}` : String(Number(v.toPrecision(6)));
  });
  return { min: 10 ** first, max: 10 ** last, values, labels };
}

// ---------------------------------------------------------------------------------------------
// Chart frame: margins, axes, grid, title, legend

interface Frame {
  raster: Raster;
  /** Plot area in pixels; data at the axis minimum is drawn in column `left` / row `bottom`. */
  left: number;
  top: number;
  right: number;
  bottom: number;
  x: Ticks;
  y: Ticks;
  logY: boolean;
}

const px = (f: Frame, x: number): number => Math.round(f.left + ((x - f.x.min) / (f.x.max - f.x.min)) * (f.right - f.left));
function py(f: Frame, y: number): number {
  const [v, lo, hi] = f.logY ? [Math.log10(y), Math.log10(f.y.min), Math.log10(f.y.max)] : [y, f.y.min, f.y.max];
  return Math.round(f.bottom - ((v - lo) / (hi - lo)) * (f.bottom - f.top));
}

interface FrameOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  logY?: boolean;
  /** Category names under the x axis instead of numeric ticks (bar charts). */
  categories?: string[];
}

function checkSize(what: string, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 160 || height < 120 || width * height > 1 << 26) {
    throw new Error(`${what}: size ${width}x${height} is invalid; expected integers, at least 160x120 and at most 64M pixels`);
  }
}

/** Lay out the chart, draw title, grid, axes and tick labels; returns the frame to draw data into. */
function makeFrame(what: string, o: FrameOptions, xRange: [number, number], yRange: [number, number]): Frame {
  const width = o.width ?? 640;
  const height = o.height ?? 420;
  checkSize(what, width, height);
  const raster = new Raster(width, height);
  const titleScale = o.title && textWidth(o.title, 2) <= width - 20 ? 2 : 1;
  const top = o.title ? 8 + LINE_HEIGHT * titleScale + 8 : 12;
  const bottom = height - 1 - (8 + LINE_HEIGHT + (o.xLabel ? LINE_HEIGHT + 4 : 0));
  // y ticks depend on the plot height, tick label width on the ticks: estimate height first.
  const y = o.logY ? logTicks(yRange[0], yRange[1]) : niceTicks(yRange[0], yRange[1], Math.max(2, Math.round((bottom - top) / 50)));
  const yLabelWidth = Math.max(...y.labels.map((l) => textWidth(l)));
  const left = 4 + (o.yLabel ? GLYPH_HEIGHT + 6 : 0) + yLabelWidth + 8;
  const x = o.categories
    ? { min: 0, max: o.categories.length, values: [], labels: [] }
    : niceTicks(xRange[0], xRange[1], Math.max(2, Math.round((width - 16 - left) / 90)));
  // Room for half of the last x tick label to the right of the axis end.
  const right = width - Math.max(16, Math.ceil(textWidth(x.labels.at(-1) ?? '') / 2) + 4);
  const f: Frame = { raster, left, top, right, bottom, x, y, logY: o.logY ?? false };
  // Grid, then axes one pixel outside the plot area so data on the axis minimum stays visible.
  for (const v of x.values) raster.fillRect(px(f, v), top, 1, bottom - top + 1, GRID);
  for (const v of y.values) raster.fillRect(left, py(f, v), right - left + 1, 1, GRID);
  raster.fillRect(left - 1, top, 1, bottom - top + 2, BLACK);
  raster.fillRect(left - 1, bottom + 1, right - left + 2, 1, BLACK);
  x.values.forEach((v, i) => {
    raster.fillRect(px(f, v), bottom + 2, 1, 3, BLACK);
    drawText(raster, px(f, v) - Math.floor(textWidth(x.labels[i]!) / 2), bottom + 7, x.labels[i]!, BLACK);
  });
  y.values.forEach((v, i) => {
    raster.fillRect(left - 4, py(f, v), 3, 1, BLACK);
    drawText(raster, left - 6 - textWidth(y.labels[i]!), py(f, v) - 3, y.labels[i]!, BLACK);
  });
  if (o.categories) {
    const slot = (right - left) / o.categories.length;
    o.categories.forEach((name, i) => {
      const label = fitText(name, slot - 2);
      drawText(raster, Math.round(left + (i + 0.5) * slot - textWidth(label) / 2), bottom + 7, label, BLACK);
    });
  }
  if (o.title) {
    const title = fitText(o.title, width - 8, titleScale);
    drawText(raster, Math.round((width - textWidth(title, titleScale)) / 2), 8, title, BLACK, titleScale);
  }
  if (o.xLabel) {
    const label = fitText(o.xLabel, right - left);
    drawText(raster, Math.round((left + right - textWidth(label)) / 2), bottom + 7 + LINE_HEIGHT + 4, label, BLACK);
  }
  if (o.yLabel) {
    const label = fitText(o.yLabel, bottom - top);
    drawTextVertical(raster, 4, Math.round((top + bottom + textWidth(label)) / 2), label, BLACK);
  }
  return f;
}

interface LegendEntry {
  name: string;
  colour: Rgb;
}

/** Which 4x4-pixel blocks of the plot area hold data, so the legend can avoid them. */
class Occupancy {
  private readonly cols: number;
  private readonly cells: Uint8Array;

  constructor(private readonly f: Frame) {
    this.cols = Math.ceil((f.right - f.left + 1) / 4);
    this.cells = new Uint8Array(this.cols * Math.ceil((f.bottom - f.top + 1) / 4));
  }

  mark(x: number, y: number): void {
    const c = Math.floor((x - this.f.left) / 4);
    const r = Math.floor((y - this.f.top) / 4);
    if (c >= 0 && c < this.cols && r >= 0 && r * this.cols < this.cells.length) this.cells[r * this.cols + c] = 1;
  }

  /** Mark blocks along the segment, sampled every 2 pixels. */
  markSegment(x0: number, y0: number, x1: number, y1: number): void {
    const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) / 2));
    for (let k = 0; k <= steps; k++) this.mark(x0 + ((x1 - x0) * k) / steps, y0 + ((y1 - y0) * k) / steps);
  }

  /** Occupied blocks overlapping the pixel box. */
  count(x: number, y: number, w: number, h: number): number {
    let n = 0;
    for (let r = Math.floor((y - this.f.top) / 4); r <= Math.floor((y + h - 1 - this.f.top) / 4); r++) {
      for (let c = Math.floor((x - this.f.left) / 4); c <= Math.floor((x + w - 1 - this.f.left) / 4); c++) {
        if (c >= 0 && c < this.cols && r >= 0) n += this.cells[r * this.cols + c] ?? 0;
      }
    }
    return n;
  }
}

/** Legend box in the corner of the plot area that covers the least data. */
function drawLegend(f: Frame, entries: LegendEntry[], occupied: Occupancy): void {
  const shown = entries.filter((e) => e.name !== '');
  if (shown.length === 0) return;
  const maxText = Math.floor((f.right - f.left) / 2);
  const names = shown.map((e) => fitText(e.name, maxText));
  const w = 8 + 12 + 4 + Math.max(...names.map((n) => textWidth(n))) + 6;
  const h = 6 + shown.length * (LINE_HEIGHT + 3) + 3;
  const corners: [number, number][] = [
    [f.right - w - 4, f.top + 4],
    [f.left + 4, f.top + 4],
    [f.right - w - 4, f.bottom - h - 4],
    [f.left + 4, f.bottom - h - 4],
  ];
  const costs = corners.map(([x, y]) => occupied.count(x - 2, y - 2, w + 4, h + 4));
  const [bx, by] = corners[costs.indexOf(Math.min(...costs))]!;
  f.raster.fillRect(bx, by, w, h, WHITE);
  f.raster.strokeRect(bx, by, w, h, [160, 160, 160]);
  shown.forEach((e, i) => {
    const rowY = by + 6 + i * (LINE_HEIGHT + 3);
    f.raster.fillRect(bx + 8, rowY + 2, 12, 4, e.colour);
    drawText(f.raster, bx + 8 + 12 + 4, rowY, names[i]!, BLACK);
  });
}

/** Min and max of the finite values, or `fallback` when there are none. */
function extent(values: Iterable<number>, fallback: [number, number]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  return lo <= hi ? [lo, hi] : fallback;
}

// ---------------------------------------------------------------------------------------------
// Charts

export interface LineSeries {
  name: string;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  colour?: Rgb;
}

export interface LinePlotOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  series: LineSeries[];
  /** Log10 y axis; points with y <= 0 are skipped. Default false. */
  logY?: boolean;
  /** Image size in pixels; default 640 x 420. */
  width?: number;
  height?: number;
  /** Line thickness in pixels; default 2. */
  lineWidth?: number;
}

/** Line chart of one or more (x, y) series, as PNG bytes. */
export function linePlot(o: LinePlotOptions): Uint8Array {
  if (!Array.isArray(o.series) || o.series.length === 0) {
    throw new Error('linePlot: series is empty; pass at least one { name, xs, ys }');
  }
  o.series.forEach((s, i) => {
    if (s.xs.length !== s.ys.length) {
      throw new Error(`linePlot: series ${i} ("${s.name}") has ${s.xs.length} xs but ${s.ys.length} ys; expected equal lengths`);
    }
  });
  const usable = (x: number, y: number): boolean => Number.isFinite(x) && Number.isFinite(y) && (!o.logY || y > 0);
  const points = o.series.map((s) => Array.from({ length: s.xs.length }, (_, i): [number, number] => [s.xs[i]!, s.ys[i]!]));
  const kept = points.flat().filter(([x, y]) => usable(x, y));
  const f = makeFrame(
    'linePlot',
    o,
    extent(
      kept.map((p) => p[0]),
      [0, 1],
    ),
    extent(
      kept.map((p) => p[1]),
      o.logY ? [1, 10] : [0, 1],
    ),
  );
  const occupied = new Occupancy(f);
  const entries = o.series.map((s, i) => ({ name: s.name, colour: s.colour ?? PALETTE[i % PALETTE.length]! }));
  points.forEach((pts, si) => {
    const colour = entries[si]!.colour;
    const ok = pts.map(([x, y]) => usable(x, y));
    pts.forEach(([x, y], i) => {
      if (!ok[i]) return;
      const [cx, cy] = [px(f, x), py(f, y)];
      occupied.mark(cx, cy);
      if (i + 1 < pts.length && ok[i + 1]) {
        const [nx, ny] = [px(f, pts[i + 1]![0]), py(f, pts[i + 1]![1])];
        f.raster.line(cx, cy, nx, ny, colour, o.lineWidth ?? 2);
        occupied.markSegment(cx, cy, nx, ny);
      } else if (!(i > 0 && ok[i - 1])) {
        f.raster.circle(cx, cy, 2, colour); // an isolated point would otherwise be invisible
      }
    });
  });
  drawLegend(f, entries, occupied);
  return f.raster.toPng();
}

export interface ScatterGroup {
  name: string;
  points: ArrayLike<readonly [number, number]>;
  colour?: Rgb;
}

export interface ScatterPlotOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  groups: ScatterGroup[];
  width?: number;
  height?: number;
  /** Marker radius in pixels; default 3. */
  radius?: number;
}

/** Scatter chart of labelled point groups (e.g. a 2-D PCA of features per class), as PNG bytes. */
export function scatterPlot(o: ScatterPlotOptions): Uint8Array {
  if (!Array.isArray(o.groups) || o.groups.length === 0) {
    throw new Error('scatterPlot: groups is empty; pass at least one { name, points: [[x, y], ...] }');
  }
  const kept = o.groups.map((g) => Array.from(g.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  const all = kept.flat();
  const f = makeFrame(
    'scatterPlot',
    o,
    extent(
      all.map((p) => p[0]),
      [0, 1],
    ),
    extent(
      all.map((p) => p[1]),
      [0, 1],
    ),
  );
  const entries = o.groups.map((g, i) => ({ name: g.name, colour: g.colour ?? PALETTE[i % PALETTE.length]! }));
  const occupied = new Occupancy(f);
  kept.forEach((pts, gi) => {
    for (const [x, y] of pts) {
      const [cx, cy] = [px(f, x), py(f, y)];
      f.raster.circle(cx, cy, o.radius ?? 3, entries[gi]!.colour);
      occupied.mark(cx, cy);
    }
  });
  drawLegend(f, entries, occupied);
  return f.raster.toPng();
}
