/**
 * Renders one world scene: a single flat-coloured object on a light neutral background.
 *
 * Geometry is defined at the reference resolution of 32 px and scaled for other sizes. Objects are
 * anti-aliased by supersampling (4x4 samples per pixel). With an Rng, the object's extent, a +-1 px
 * jitter of its centre and the background (grey level, tint, gradient, pixel noise) vary; without
 * one, the canonical rendering is used (midpoint extent, no jitter, plain grey background).
 */
import type { Rng } from '../../util/rng.js';
import { type Attributes, COLOURS, checkAttributes, positionCell } from './attributes.js';
import { SILHOUETTES } from './shapes.js';

/** Side of the default world image, in pixels. */
export const IMAGE_SIZE = 32;
/** Reference resolution the layout numbers below are written for. */
const REFERENCE = 32;
/** Object extent (larger side, px at 32) by size index: [min, max] with an Rng, midpoint without. */
const EXTENT: readonly (readonly [number, number])[] = [
  [10, 11], // small (at 8-9 px the autoencoder's reconstructions lost the silhouette: read 60%)
  [14, 16], // large
];
const JITTER = 1; // px at 32, uniform in [-JITTER, JITTER] on each axis
const MARGIN = 1; // px at 32 kept between the object's box and the image border
const SUPERSAMPLE = 4; // samples per pixel per axis
const BACKGROUND_GREY: readonly [number, number] = [215, 240];
const BACKGROUND_TINT = 6; // per-channel offset, uniform in [-TINT, TINT]
const BACKGROUND_GRADIENT = 6; // change across the image per axis, uniform in [-G, G]
const BACKGROUND_NOISE_STD = 1.5; // per pixel and channel

/** Where the object is drawn, in pixels of the rendered image. */
export interface Layout {
  centreX: number;
  centreY: number;
  /** Side of the square box holding the object's larger extent. */
  extent: number;
}

/** The parts an image is blended from; renderImageSize = round(background * (1 - a) + colour * a). */
export interface RenderLayers {
  size: number;
  layout: Layout;
  /** [size, size, 3] HWC background, floats in [0, 255]. */
  background: Float32Array;
  /** [size, size] object coverage in [0, 1] (fraction of supersamples inside the silhouette). */
  coverage: Float32Array;
  colour: readonly [number, number, number];
}

/**
 * Centre of a grid cell, pulled inward so that an object of `extent` px (at 32) keeps MARGIN px from
 * the border; the result stays inside the requested cell for both sizes.
 */
export function cellCentre(index: number, extent: number): number {
  const cell = REFERENCE / 3;
  const centre = (index + 0.5) * cell;
  const lo = extent / 2 + MARGIN;
  return Math.min(REFERENCE - lo, Math.max(lo, centre));
}

/** Object layout at `size` px. Draws 3 numbers from `rng` when given. */
export function layoutFor(attrs: Attributes, size = IMAGE_SIZE, rng?: Rng): Layout {
  const [lo, hi] = EXTENT[attrs.size]!;
  const extent = rng ? rng.range(lo, hi) : (lo + hi) / 2;
  const jitterX = rng ? rng.range(-JITTER, JITTER) : 0;
  const jitterY = rng ? rng.range(-JITTER, JITTER) : 0;
  const { row, col } = positionCell(attrs.position);
  const scale = size / REFERENCE;
  return {
    centreX: (cellCentre(col, extent) + jitterX) * scale,
    centreY: (cellCentre(row, extent) + jitterY) * scale,
    extent: extent * scale,
  };
}

function renderBackground(size: number, rng?: Rng): Float32Array {
  const out = new Float32Array(size * size * 3);
  const grey = rng ? rng.range(BACKGROUND_GREY[0], BACKGROUND_GREY[1]) : (BACKGROUND_GREY[0] + BACKGROUND_GREY[1]) / 2;
  const tint = [0, 1, 2].map(() => (rng ? rng.range(-BACKGROUND_TINT, BACKGROUND_TINT) : 0));
  const gradX = rng ? rng.range(-BACKGROUND_GRADIENT, BACKGROUND_GRADIENT) : 0;
  const gradY = rng ? rng.range(-BACKGROUND_GRADIENT, BACKGROUND_GRADIENT) : 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const ramp = gradX * ((x + 0.5) / size - 0.5) + gradY * ((y + 0.5) / size - 0.5);
      for (let c = 0; c < 3; c++) {
        const noise = rng ? rng.normal() * BACKGROUND_NOISE_STD : 0;
        out[(y * size + x) * 3 + c] = Math.min(255, Math.max(0, grey + tint[c]! + ramp + noise));
      }
    }
  }
  return out;
}

function renderCoverage(object: number, layout: Layout, size: number): Float32Array {
  const coverage = new Float32Array(size * size);
  const inside = SILHOUETTES[object];
  if (!inside) throw new Error(`internal: no silhouette for object ${object}`);
  const half = layout.extent / 2;
  // Only pixels overlapping the object's box can be covered.
  const x0 = Math.max(0, Math.floor(layout.centreX - half));
  const x1 = Math.min(size - 1, Math.ceil(layout.centreX + half));
  const y0 = Math.max(0, Math.floor(layout.centreY - half));
  const y1 = Math.min(size - 1, Math.ceil(layout.centreY + half));
  const samples = SUPERSAMPLE * SUPERSAMPLE;
  for (let py = y0; py <= y1; py++) {
    for (let px = x0; px <= x1; px++) {
      let hits = 0;
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        const v = (py + (sy + 0.5) / SUPERSAMPLE - layout.centreY) / half;
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const u = (px + (sx + 0.5) / SUPERSAMPLE - layout.centreX) / half;
          if (u >= -1 && u <= 1 && v >= -1 && v <= 1 && inside(u, v)) hits++;
        }
      }
      coverage[py * size + px] = hits / samples;
    }
  }
  return coverage;
}

/** Background, coverage and colour of a scene at `size` px (see RenderLayers). */
export function renderLayers(attrs: Attributes, size = IMAGE_SIZE, rng?: Rng): RenderLayers {
  checkAttributes(attrs, 'renderLayers');
  if (!Number.isInteger(size) || size < 8 || size > 1024) {
    throw new Error(`renderLayers: size is ${String(size)}; expected an integer number of pixels in [8, 1024]`);
  }
  const layout = layoutFor(attrs, size, rng);
  const background = renderBackground(size, rng);
  const coverage = renderCoverage(attrs.object, layout, size);
  return { size, layout, background, coverage, colour: COLOURS[attrs.colour]!.rgb };
}

/** Blend layers into 8-bit RGB, HWC row-major. */
export function compose(layers: RenderLayers): Uint8Array {
  const { size, background, coverage, colour } = layers;
  const out = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) {
    const a = coverage[i]!;
    for (let c = 0; c < 3; c++) {
      out[i * 3 + c] = Math.round(background[i * 3 + c]! * (1 - a) + colour[c]! * a);
    }
  }
  return out;
}

/** A scene as `size` x `size` x 3 RGB bytes (HWC, row-major). */
export function renderImageSize(attrs: Attributes, size: number, rng?: Rng): Uint8Array {
  return compose(renderLayers(attrs, size, rng));
}

/** A scene as 32 x 32 x 3 RGB bytes (HWC, row-major). */
export function renderImage(attrs: Attributes, rng?: Rng): Uint8Array {
  return renderImageSize(attrs, IMAGE_SIZE, rng);
}
