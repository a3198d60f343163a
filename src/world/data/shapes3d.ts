/**
 * A 3-D shape for each world object, as a triangle mesh built from a few primitives (surfaces of
 * revolution for spheres, cylinders, cones and profiles; tori; boxes; extruded polygons), and
 * points sampled uniformly on its surface.
 *
 * Axes: y is UP (the vertical axis clouds are rotated about), x to the right, z towards the viewer.
 * Each mesh is centred on its surface centroid and scaled so that its bounding radius (the largest
 * distance of a vertex from that centroid) is 1; a cloud's scale then says its size directly.
 *
 * Parts of a shape may overlap (a bird's head sinks into its body): points sampled inside another
 * part are kept, as a scanner would not see them but a sampler of the parts does; the encoder only
 * has to tell the ten shapes apart.
 */
import type { Rng } from '../../util/rng.js';
import { OBJECTS } from './attributes.js';

type Vec2 = readonly [number, number];
type Vec3 = readonly [number, number, number];

/** Triangles, 9 numbers each (three corners, x y z). */
type Triangles = number[];

// ---------------------------------------------------------------------------------------------
// Primitives (each centred on the origin unless said otherwise)

/**
 * Surface of revolution about the y axis of a profile of (radius, y) points, in order; a point
 * with radius 0 closes the surface there. `segments` slices around the axis.
 */
export function lathe(profile: readonly Vec2[], segments = 32): Triangles {
  const out: Triangles = [];
  const ring = (r: number, y: number, k: number): Vec3 => {
    const a = (2 * Math.PI * k) / segments;
    return [r * Math.cos(a), y, r * Math.sin(a)];
  };
  for (let i = 0; i + 1 < profile.length; i++) {
    const [r0, y0] = profile[i]!;
    const [r1, y1] = profile[i + 1]!;
    for (let k = 0; k < segments; k++) {
      const a = ring(r0, y0, k);
      const b = ring(r0, y0, k + 1);
      const c = ring(r1, y1, k + 1);
      const d = ring(r1, y1, k);
      if (r0 > 0) out.push(...a, ...b, ...c);
      if (r1 > 0) out.push(...a, ...c, ...d);
    }
  }
  return out;
}

/** Sphere of radius r (a lathe of a half circle). */
export function sphere(r: number, rings = 16, segments = 32): Triangles {
  const profile: Vec2[] = Array.from({ length: rings + 1 }, (_, i) => {
    const t = (Math.PI * i) / rings;
    return [i === 0 || i === rings ? 0 : r * Math.sin(t), -r * Math.cos(t)];
  });
  return lathe(profile, segments);
}

/** Closed cylinder of radius r and height h along y. */
export function cylinder(r: number, h: number, segments = 32): Triangles {
  return lathe(
    [
      [0, -h / 2],
      [r, -h / 2],
      [r, h / 2],
      [0, h / 2],
    ],
    segments,
  );
}

/** Closed cone along y: base of radius r at -h/2, apex at +h/2. */
export function cone(r: number, h: number, segments = 32): Triangles {
  return lathe(
    [
      [0, -h / 2],
      [r, -h / 2],
      [0, h / 2],
    ],
    segments,
  );
}

/** Torus around the y axis: tube of radius `tube` along a circle of radius `radius` in the x-z plane. */
export function torus(radius: number, tube: number, segments = 32, sides = 12): Triangles {
  const out: Triangles = [];
  const at = (i: number, j: number): Vec3 => {
    const u = (2 * Math.PI * i) / segments;
    const v = (2 * Math.PI * j) / sides;
    const r = radius + tube * Math.cos(v);
    return [r * Math.cos(u), tube * Math.sin(v), r * Math.sin(u)];
  };
  for (let i = 0; i < segments; i++) {
    for (let j = 0; j < sides; j++) {
      const a = at(i, j);
      const b = at(i + 1, j);
      const c = at(i + 1, j + 1);
      const d = at(i, j + 1);
      out.push(...a, ...b, ...c, ...a, ...c, ...d);
    }
  }
  return out;
}

/** Box with sides sx, sy, sz. */
export function box(sx: number, sy: number, sz: number): Triangles {
  const [x, y, z] = [sx / 2, sy / 2, sz / 2];
  const c = (i: number): Vec3 => [i & 1 ? x : -x, i & 2 ? y : -y, i & 4 ? z : -z];
  // Corner i has x from bit 0, y from bit 1, z from bit 2; each face is two triangles.
  const faces = [
    [0, 1, 3, 2],
    [4, 5, 7, 6],
    [0, 1, 5, 4],
    [2, 3, 7, 6],
    [0, 2, 6, 4],
    [1, 3, 7, 5],
  ];
  return faces.flatMap(([a, b, cc, d]) => [...c(a!), ...c(b!), ...c(cc!), ...c(a!), ...c(cc!), ...c(d!)]);
}

/**
 * A polygon in the x-y plane extruded along z from -depth/2 to +depth/2. The caps are fans from the
 * polygon's vertex mean, so the polygon must be star-shaped about that point (stars, triangles and
 * convex outlines are).
 */
export function extrude(polygon: readonly Vec2[], depth: number): Triangles {
  const n = polygon.length;
  if (n < 3) throw new Error(`internal: extrude needs at least 3 points, got ${n}`);
  const cx = polygon.reduce((s, p) => s + p[0], 0) / n;
  const cy = polygon.reduce((s, p) => s + p[1], 0) / n;
  const out: Triangles = [];
  for (let i = 0; i < n; i++) {
    const [x0, y0] = polygon[i]!;
    const [x1, y1] = polygon[(i + 1) % n]!;
    for (const z of [-depth / 2, depth / 2]) out.push(cx, cy, z, x0, y0, z, x1, y1, z);
    out.push(x0, y0, -depth / 2, x1, y1, -depth / 2, x1, y1, depth / 2, x0, y0, -depth / 2, x1, y1, depth / 2, x0, y0, depth / 2);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Placement

type Transform = (p: Vec3) => Vec3;

/** The triangles with every corner mapped by `f`. */
function map(t: Triangles, f: Transform): Triangles {
  const out: Triangles = new Array<number>(t.length);
  for (let i = 0; i < t.length; i += 3) {
    const [x, y, z] = f([t[i]!, t[i + 1]!, t[i + 2]!]);
    out[i] = x;
    out[i + 1] = y;
    out[i + 2] = z;
  }
  return out;
}

const scale =
  (s: Vec3): Transform =>
  (p) => [p[0] * s[0], p[1] * s[1], p[2] * s[2]];
const move =
  (v: Vec3): Transform =>
  (p) => [p[0] + v[0], p[1] + v[1], p[2] + v[2]];
/** Rotation by `a` radians about the x, y or z axis (right-handed). */
function turn(axis: 'x' | 'y' | 'z', a: number): Transform {
  const [c, s] = [Math.cos(a), Math.sin(a)];
  if (axis === 'x') return (p) => [p[0], c * p[1] - s * p[2], s * p[1] + c * p[2]];
  if (axis === 'y') return (p) => [c * p[0] + s * p[2], p[1], -s * p[0] + c * p[2]];
  return (p) => [c * p[0] - s * p[1], s * p[0] + c * p[1], p[2]];
}

/** A part: triangles placed by transforms applied in order (e.g. scale, then turn, then move). */
function part(t: Triangles, ...fs: Transform[]): Triangles {
  return fs.reduce(map, t);
}

const HALF_PI = Math.PI / 2;

/** A regular star polygon: `points` tips at radius `outer`, notches at `inner`, one tip up. */
function starPolygon(points: number, outer: number, inner: number): Vec2[] {
  return Array.from({ length: 2 * points }, (_, i) => {
    const a = HALF_PI + (Math.PI * i) / points;
    const r = i % 2 === 0 ? outer : inner;
    return [r * Math.cos(a), r * Math.sin(a)] as Vec2;
  });
}

// ---------------------------------------------------------------------------------------------
// The ten objects, in OBJECTS order (raw units; normalised by shapeMesh)

const BUILDERS: Record<(typeof OBJECTS)[number], () => Triangles[]> = {
  // A flared bell on its rim, a lip, a clapper hanging below and a loop on top.
  bell: () => [
    lathe([
      [1.0, 0],
      [0.93, 0.1],
      [0.75, 0.28],
      [0.6, 0.52],
      [0.52, 0.82],
      [0.49, 1.02],
      [0.4, 1.18],
      [0.22, 1.28],
      [0, 1.31],
    ]),
    part(torus(0.98, 0.05), move([0, 0.02, 0])),
    part(sphere(0.16), move([0, -0.12, 0])),
    part(torus(0.2, 0.06), turn('x', HALF_PI), move([0, 1.5, 0])),
  ],
  // An egg-shaped body, a head, a beak along +x, two raised wings, a fanned tail and two legs.
  bird: () => [
    part(sphere(1), scale([0.9, 0.55, 0.5])),
    part(sphere(0.32), move([0.8, 0.45, 0])),
    part(cone(0.11, 0.35), turn('z', -HALF_PI), move([1.25, 0.42, 0])),
    part(sphere(1), scale([0.45, 0.06, 0.5]), turn('x', 0.5), move([-0.05, 0.3, 0.55])),
    part(sphere(1), scale([0.45, 0.06, 0.5]), turn('x', -0.5), move([-0.05, 0.3, -0.55])),
    part(
      extrude(
        [
          [-0.75, 0.05],
          [-1.35, 0.4],
          [-1.4, -0.15],
        ],
        0.06,
      ),
      turn('x', HALF_PI),
    ),
    part(cylinder(0.04, 0.45), move([0.15, -0.7, 0.18])),
    part(cylinder(0.04, 0.45), move([0.15, -0.7, -0.18])),
  ],
  // A long low body, a cabin on top and four wheels with axles along z.
  car: () => [
    part(box(2.0, 0.5, 0.95), move([0, 0.5, 0])),
    part(box(1.1, 0.45, 0.85), move([-0.15, 0.97, 0])),
    ...[
      [0.65, 0.45],
      [0.65, -0.45],
      [-0.65, 0.45],
      [-0.65, -0.45],
    ].map(([x, z]) => part(cylinder(0.27, 0.2), turn('x', HALF_PI), move([x!, 0.27, z!]))),
  ],
  // An alarm clock standing up: a thick dial facing +z, a rim, two hands, two bells, two feet.
  clock: () => [
    part(cylinder(0.8, 0.3), turn('x', HALF_PI)),
    part(torus(0.8, 0.08), turn('x', HALF_PI)),
    part(box(0.07, 0.55, 0.04), move([0, 0.26, 0.17])),
    part(box(0.07, 0.4, 0.04), move([0, 0.19, 0.17]), turn('z', -2.1)),
    part(sphere(0.24), move([-0.5, 0.78, 0])),
    part(sphere(0.24), move([0.5, 0.78, 0])),
    part(cylinder(0.06, 0.3), move([-0.45, -0.9, 0])),
    part(cylinder(0.06, 0.3), move([0.45, -0.9, 0])),
  ],
  // A teardrop: the curve r = sin t sin(t/2), y = cos t (pointed at the top, round at the bottom).
  drop: () => [
    lathe(
      Array.from({ length: 33 }, (_, i) => {
        const t = (Math.PI * i) / 32;
        return [i === 0 || i === 32 ? 0 : Math.sin(t) * Math.sin(t / 2), 1.3 * Math.cos(t)] as Vec2;
      }),
    ),
  ],
  // A thick five-pointed star standing upright in the x-y plane.
  star: () => [extrude(starPolygon(5, 1, 0.42), 0.35)],
  // A trunk under two stacked cones of foliage.
  tree: () => [part(cylinder(0.14, 0.6), move([0, -0.75, 0])), part(cone(0.8, 0.95), move([0, -0.05, 0])), part(cone(0.6, 0.85), move([0, 0.55, 0]))],
  // A block with a gable roof (ridge along z), a chimney and a door.
  house: () => [
    box(1.4, 1.0, 1.2),
    part(
      extrude(
        [
          [-0.85, 0.5],
          [0.85, 0.5],
          [0, 1.25],
        ],
        1.35,
      ),
    ),
    part(box(0.2, 0.55, 0.2), move([0.42, 1.0, 0.25])),
    part(box(0.3, 0.55, 0.04), move([0, -0.22, 0.62])),
  ],
  // A flat oval body along x with an upright tail fin and a dorsal fin.
  fish: () => [
    part(sphere(1), scale([1.0, 0.45, 0.22])),
    extrude(
      [
        [-0.85, 0],
        [-1.45, 0.5],
        [-1.3, 0],
        [-1.45, -0.5],
      ],
      0.06,
    ),
    extrude(
      [
        [-0.35, 0.35],
        [0.3, 0.38],
        [-0.25, 0.72],
      ],
      0.05,
    ),
  ],
  // A ring (the bow), a shaft along x and two teeth below its far end, all in the x-y plane.
  key: () => [
    part(torus(0.34, 0.09), turn('x', HALF_PI), move([-0.82, 0, 0])),
    part(cylinder(0.07, 1.4), turn('z', HALF_PI), move([0.18, 0, 0])),
    part(box(0.12, 0.3, 0.08), move([0.62, -0.17, 0])),
    part(box(0.12, 0.22, 0.08), move([0.82, -0.13, 0])),
  ],
};

// ---------------------------------------------------------------------------------------------
// Meshes ready for sampling

/** A normalised shape: triangles, their cumulative areas (for sampling) and unit normals. */
export interface ShapeMesh {
  object: number;
  /** [triangles * 9]: corners, centred on the surface centroid, bounding radius 1. */
  triangles: Float64Array;
  /** [triangles]: running sum of the triangle areas (the last is the total). */
  cumulativeArea: Float64Array;
  /** [triangles * 3]: unit normal of each triangle (orientation arbitrary). */
  normals: Float64Array;
  /** Total surface area after normalisation. */
  area: number;
  /** Axis-aligned bounds after normalisation: [minX, minY, minZ, maxX, maxY, maxZ]. */
  bounds: [number, number, number, number, number, number];
}

function triangleGeometry(t: ArrayLike<number>, i: number): { area: number; normal: Vec3 } {
  const o = 9 * i;
  const [ux, uy, uz] = [t[o + 3]! - t[o]!, t[o + 4]! - t[o + 1]!, t[o + 5]! - t[o + 2]!];
  const [vx, vy, vz] = [t[o + 6]! - t[o]!, t[o + 7]! - t[o + 1]!, t[o + 8]! - t[o + 2]!];
  const [nx, ny, nz] = [uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx];
  const len = Math.hypot(nx, ny, nz);
  return { area: len / 2, normal: len > 0 ? [nx / len, ny / len, nz / len] : [0, 1, 0] };
}

const meshes = new Map<number, ShapeMesh>();

/** The normalised mesh of OBJECTS[object] (built once, then cached). */
export function shapeMesh(object: number): ShapeMesh {
  if (!Number.isInteger(object) || object < 0 || object >= OBJECTS.length) {
    throw new Error(`shapeMesh: object is ${String(object)}; expected an integer in [0, ${OBJECTS.length - 1}] (an index into OBJECTS)`);
  }
  const cached = meshes.get(object);
  if (cached) return cached;
  const raw = BUILDERS[OBJECTS[object]!]().flat();
  // Degenerate triangles (at a lathe's pole, say) would never be sampled; drop them.
  const kept: number[] = [];
  for (let i = 0; i < raw.length / 9; i++) if (triangleGeometry(raw, i).area > 1e-12) kept.push(...raw.slice(9 * i, 9 * i + 9));
  const count = kept.length / 9;
  // Surface centroid: each triangle's centroid weighted by its area.
  let total = 0;
  const c = [0, 0, 0];
  for (let i = 0; i < count; i++) {
    const { area } = triangleGeometry(kept, i);
    total += area;
    for (let a = 0; a < 3; a++) c[a]! += (area * (kept[9 * i + a]! + kept[9 * i + 3 + a]! + kept[9 * i + 6 + a]!)) / 3;
  }
  for (let a = 0; a < 3; a++) c[a]! /= total;
  let radius = 0;
  for (let k = 0; k < kept.length; k += 3) radius = Math.max(radius, Math.hypot(kept[k]! - c[0]!, kept[k + 1]! - c[1]!, kept[k + 2]! - c[2]!));
  const triangles = Float64Array.from(kept, (v, k) => (v - c[k % 3]!) / radius);
  const cumulativeArea = new Float64Array(count);
  const normals = new Float64Array(count * 3);
  const bounds: ShapeMesh['bounds'] = [Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity];
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const g = triangleGeometry(triangles, i);
    sum += g.area;
    cumulativeArea[i] = sum;
    normals.set(g.normal, 3 * i);
    for (let k = 0; k < 9; k++) {
      const a = k % 3;
      bounds[a] = Math.min(bounds[a]!, triangles[9 * i + k]!);
      bounds[a + 3] = Math.max(bounds[a + 3]!, triangles[9 * i + k]!);
    }
  }
  const mesh: ShapeMesh = { object, triangles, cumulativeArea, normals, area: sum, bounds };
  meshes.set(object, mesh);
  return mesh;
}

/** Index of the triangle whose cumulative-area interval holds u in [0, total). */
export function triangleAt(mesh: ShapeMesh, u: number): number {
  const c = mesh.cumulativeArea;
  let lo = 0;
  let hi = c.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (c[mid]! > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * One point uniform on the surface (by area) of `mesh`, written as x y z into out[0..3]; returns
 * its triangle. Within the triangle the corner weights are (1 - sqrt(r1), sqrt(r1)(1 - r2), sqrt(r1) r2).
 */
export function sampleSurface(mesh: ShapeMesh, rng: Rng, out: Float64Array): number {
  const k = triangleAt(mesh, rng.uniform() * mesh.area);
  const r1 = Math.sqrt(rng.uniform());
  const r2 = rng.uniform();
  const [a, b, c] = [1 - r1, r1 * (1 - r2), r1 * r2];
  const t = mesh.triangles;
  const o = 9 * k;
  for (let axis = 0; axis < 3; axis++) out[axis] = a * t[o + axis]! + b * t[o + 3 + axis]! + c * t[o + 6 + axis]!;
  return k;
}
