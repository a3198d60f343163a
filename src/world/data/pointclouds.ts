/**
 * Point clouds of the world's objects: points drawn uniformly on the surface of the object's 3-D
 * shape (shapes3d.ts), coloured with the world colour, scaled by the size and turned about the
 * vertical (y) axis. Positions are not normalised: the scale carries the size.
 */
import type { PointCloud } from '../../encoders/types.js';
import { Rng } from '../../util/rng.js';
import { COLOURS, COUNTS, OBJECTS, SIZES } from './attributes.js';
import { captionIn } from './captions-multi.js';
import { exampleSeed, type Split } from './dataset.js';
import { sampleSurface, shapeMesh } from './shapes3d.js';

/** Points per cloud the world's data and encoder use. */
export const POINTS_PER_CLOUD = 512;

/**
 * Bounding radius of each size (small, large) and the jitter around it: a cloud's scale is
 * SIZE_SCALE[size] * U(1 - SCALE_JITTER, 1 + SCALE_JITTER), so small spans [0.495, 0.605] and
 * large [0.9, 1.1], never touching.
 */
export const SIZE_SCALE: readonly number[] = [0.55, 1.0];
export const SCALE_JITTER = 0.1;
/** Largest shift of a cloud along each axis (the encoder centres clouds; position is no attribute). */
export const POSITION_JITTER = 0.1;

/** What a cloud shows: OBJECTS, COLOURS and SIZES indices. */
export interface CloudAttributes {
  object: number;
  colour: number;
  size: number;
}

/** A random scale for `size` (see SIZE_SCALE). */
export function sizeScale(size: number, rng: Rng): number {
  return SIZE_SCALE[size]! * rng.range(1 - SCALE_JITTER, 1 + SCALE_JITTER);
}

// Light for the per-point shading, in the object's frame (from above, front, right).
const LIGHT = ((v: number[]) => v.map((x) => x / Math.hypot(...v)))([0.3, 0.8, 0.5]);

function checkCloudAttributes(p: CloudAttributes, where: string): void {
  for (const k of ['object', 'colour', 'size'] as const) {
    const v = p[k];
    if (!Number.isInteger(v) || v < 0 || v >= COUNTS[k]) {
      throw new Error(`${where}: ${k} is ${String(v)}; expected an integer in [0, ${COUNTS[k] - 1}]. Use the index tables in src/world/data/attributes.ts.`);
    }
  }
}

/**
 * `n` points on the surface of the object, uniform by area. Colour per point: the world colour
 * shaded by the surface's angle to a fixed light (0.8 .. 1) times 1 + N(0, 0.04) noise, clamped to
 * [0, 1], so the whole object reads as one colour. `scale` defaults to a fresh sizeScale(size);
 * pass it to draw another sampling of the same object instance.
 */
export function samplePointCloud(p: CloudAttributes & { scale?: number }, n: number, rng: Rng): PointCloud {
  checkCloudAttributes(p, 'samplePointCloud');
  if (!Number.isInteger(n) || n < 1) throw new Error(`samplePointCloud: n is ${String(n)}; expected a positive integer (points per cloud)`);
  const s = p.scale ?? sizeScale(p.size, rng);
  if (!(s > 0 && Number.isFinite(s))) throw new Error(`samplePointCloud: scale is ${String(p.scale)}; expected a positive number`);
  const mesh = shapeMesh(p.object);
  const angle = rng.range(0, 2 * Math.PI);
  const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
  const shift = [0, 0, 0].map(() => rng.range(-POSITION_JITTER, POSITION_JITTER));
  const rgb = COLOURS[p.colour]!.rgb.map((v) => v / 255);
  const positions = new Float32Array(3 * n);
  const colours = new Float32Array(3 * n);
  const p3 = new Float64Array(3);
  for (let i = 0; i < n; i++) {
    const k = sampleSurface(mesh, rng, p3);
    const [x, y, z] = [p3[0]!, p3[1]!, p3[2]!];
    // Turn about y, then scale and shift.
    positions[3 * i] = s * (cos * x + sin * z) + shift[0]!;
    positions[3 * i + 1] = s * y + shift[1]!;
    positions[3 * i + 2] = s * (-sin * x + cos * z) + shift[2]!;
    const nl = Math.abs(mesh.normals[3 * k]! * LIGHT[0]! + mesh.normals[3 * k + 1]! * LIGHT[1]! + mesh.normals[3 * k + 2]! * LIGHT[2]!);
    const shade = (0.8 + 0.2 * nl) * (1 + 0.04 * rng.normal());
    for (let ch = 0; ch < 3; ch++) colours[3 * i + ch] = Math.min(1, Math.max(0, rgb[ch]! * shade));
  }
  const source = `${SIZES[p.size]} ${COLOURS[p.colour]!.name} ${OBJECTS[p.object]} (${n} points)`;
  return { positions, colours, source };
}

export interface PointCloudPair {
  cloud: PointCloud;
  attrs: CloudAttributes;
  /** The native English caption naming size, colour and object (e.g. "a small red bell"). */
  english: string;
}

/**
 * `n` clouds of `split` with their attributes (uniform) and English captions. Example i is drawn
 * from its own seed (exampleSeed), so splits never share a stream and example i does not depend
 * on n. `points` per cloud (default POINTS_PER_CLOUD).
 */
export function pointCloudPairs(n: number, split: Split, seed: number, points = POINTS_PER_CLOUD): PointCloudPair[] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`pointCloudPairs: n is ${String(n)}; expected a non-negative integer`);
  return Array.from({ length: n }, (_, i) => {
    // The offset keeps point-cloud streams apart from the image examples of the same seed.
    const rng = new Rng(exampleSeed(split, i, seed) ^ 0x3d9c10d);
    const attrs = { object: rng.int(COUNTS.object), colour: rng.int(COUNTS.colour), size: rng.int(COUNTS.size) };
    const cloud = samplePointCloud(attrs, points, rng);
    const english = captionIn('en', { ...attrs, position: 4 }, { object: true, colour: true, size: true, position: false }, rng).text;
    return { cloud: { ...cloud, source: `${split} cloud ${i}` }, attrs, english };
  });
}
