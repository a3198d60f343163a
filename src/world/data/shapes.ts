/**
 * Object silhouettes as inside-tests on a unit box: x to the right and y DOWN, both in [-1, 1]; the
 * shape's larger extent spans that box and its bounding box is centred on (0, 0) (within 0.01), so "size" and
 * "position" in render.ts mean the same thing for every object.
 *
 * Each silhouette is a union of simple geometry (discs, rings, polygons, thick strokes) minus a few
 * holes, tuned so that classes differ clearly even at 8 px (see the IoU test in test/world/).
 */
import { OBJECTS } from './attributes.js';

/** True when the point (x, y) of the unit box is inside the shape. */
export type Region = (x: number, y: number) => boolean;

type Point = readonly [number, number];

// ---------------------------------------------------------------------------------------------
// Primitives

export function disc(cx: number, cy: number, r: number): Region {
  const r2 = r * r;
  return (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r2;
}

export function ring(cx: number, cy: number, inner: number, outer: number): Region {
  const i2 = inner * inner;
  const o2 = outer * outer;
  return (x, y) => {
    const d2 = (x - cx) ** 2 + (y - cy) ** 2;
    return d2 <= o2 && d2 >= i2;
  };
}

export function ellipse(cx: number, cy: number, rx: number, ry: number): Region {
  return (x, y) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
}

export function rect(x0: number, y0: number, x1: number, y1: number): Region {
  return (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
}

/** Even-odd point-in-polygon test (ray casting); vertices in order, either winding. */
export function polygon(points: readonly Point[]): Region {
  const n = points.length;
  if (n < 3) throw new Error(`internal: polygon needs at least 3 points, got ${n}`);
  return (x, y) => {
    let inside = false;
    for (let i = 0, j = n - 1; i < n; j = i++) {
      const [xi, yi] = points[i]!;
      const [xj, yj] = points[j]!;
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  };
}

/** A stroke of half-width `halfWidth` along a polyline (union of capsules). */
export function stroke(points: readonly Point[], halfWidth: number): Region {
  const hw2 = halfWidth * halfWidth;
  return (x, y) => {
    for (let i = 0; i + 1 < points.length; i++) {
      const [ax, ay] = points[i]!;
      const [bx, by] = points[i + 1]!;
      const dx = bx - ax;
      const dy = by - ay;
      const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
      if ((x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2 <= hw2) return true;
    }
    return false;
  };
}

export function union(...parts: Region[]): Region {
  return (x, y) => parts.some((p) => p(x, y));
}

export function minus(shape: Region, ...holes: Region[]): Region {
  return (x, y) => shape(x, y) && !holes.some((h) => h(x, y));
}

/** The shape moved by (dx, dy); used to centre a shape's bounding box. */
function shift(shape: Region, dx: number, dy: number): Region {
  return (x, y) => shape(x - dx, y - dy);
}

/** Regular star polygon with `points` tips, pointing up. */
function starPolygon(points: number, outer: number, inner: number): Point[] {
  const out: Point[] = [];
  for (let k = 0; k < 2 * points; k++) {
    const r = k % 2 === 0 ? outer : inner;
    const a = -Math.PI / 2 + (k * Math.PI) / points;
    out.push([r * Math.cos(a), r * Math.sin(a)]);
  }
  return out;
}

/** Teardrop: a disc plus the triangle from its tangent points up to an apex straight above. */
function teardrop(cy: number, r: number, apexY: number): Region {
  const d = cy - apexY;
  const halfAngle = Math.acos(r / d); // angle at the disc centre between the apex and a tangent point
  const t1: Point = [r * Math.sin(halfAngle), cy - r * Math.cos(halfAngle)];
  const t2: Point = [-t1[0], t1[1]];
  return union(disc(0, cy, r), polygon([[0, apexY], t1, t2]));
}

// ---------------------------------------------------------------------------------------------
// Silhouettes, one per object, in OBJECTS order.

// bell: wide dome with near-straight sides flaring into a broad rim, a knob on top, clapper below.
const bell: Region = union(
  disc(0, -0.3, 0.46),
  (x, y) => y >= -0.3 && y <= 0.5 && Math.abs(x) <= 0.46 + 0.38 * ((y + 0.3) / 0.8) ** 2,
  rect(-0.9, 0.42, 0.9, 0.6),
  disc(0, -0.84, 0.14),
  disc(0, 0.8, 0.18),
);

// bird: a gull in flight, two bent wings meeting at a small body ("m" shape).
const bird: Region = shift(
  union(
    stroke(
      [
        [-0.85, -0.15],
        [-0.52, -0.42],
        [-0.2, -0.3],
        [0, 0.12],
      ],
      0.15,
    ),
    stroke(
      [
        [0.85, -0.15],
        [0.52, -0.42],
        [0.2, -0.3],
        [0, 0.12],
      ],
      0.15,
    ),
    ellipse(0, 0.2, 0.2, 0.24),
  ),
  0,
  0.064,
);

// car: side view, low body with a cabin and two wheels (with hubs cut out).
const car: Region = shift(
  minus(
    union(
      polygon([
        [-0.98, 0.32],
        [-0.98, 0.02],
        [-0.85, -0.08],
        [-0.45, -0.1],
        [-0.28, -0.46],
        [0.32, -0.46],
        [0.55, -0.1],
        [0.9, -0.06],
        [0.98, 0.06],
        [0.98, 0.32],
      ]),
      disc(-0.55, 0.38, 0.24),
      disc(0.55, 0.38, 0.24),
    ),
    disc(-0.55, 0.38, 0.08),
    disc(0.55, 0.38, 0.08),
    polygon([
      [-0.36, -0.15],
      [-0.22, -0.38],
      [-0.02, -0.38],
      [-0.02, -0.15],
    ]),
    polygon([
      [0.08, -0.15],
      [0.08, -0.38],
      [0.28, -0.38],
      [0.42, -0.15],
    ]),
  ),
  0,
  -0.08,
);

// clock: a thick ring with hour and minute hands (hollow, unlike every other class).
const clock: Region = union(
  ring(0, 0, 0.66, 0.95),
  stroke(
    [
      [0, 0],
      [0, -0.5],
    ],
    0.1,
  ),
  stroke(
    [
      [0, 0],
      [0.38, 0.18],
    ],
    0.1,
  ),
);

// drop: teardrop, pointed at the top.
const drop: Region = shift(teardrop(0.46, 0.52, -1.0), 0, 0.01);

// star: five tips; shifted down so its bounding box is centred.
const star: Region = shift(polygon(starPolygon(5, 1.0, 0.42)), 0, 0.095);

// tree: a round leafy crown (three overlapping discs) on a trunk; its mass sits high, unlike the
// bell, drop and house.
const tree: Region = union(
  disc(0, -0.45, 0.52),
  disc(-0.4, -0.12, 0.42),
  disc(0.4, -0.12, 0.42),
  rect(-0.16, 0.1, 0.16, 0.98),
  stroke(
    [
      [0, 0.5],
      [-0.32, 0.2],
    ],
    0.08,
  ),
);

// house: square walls, pitched roof, chimney, door cut out.
const house: Region = shift(
  minus(
    union(
      rect(-0.75, -0.05, 0.75, 0.95),
      polygon([
        [-0.98, 0.05],
        [0, -0.85],
        [0.98, 0.05],
      ]),
      rect(0.45, -0.7, 0.68, -0.2),
    ),
    rect(-0.22, 0.35, 0.22, 0.96),
  ),
  0,
  -0.05,
);

// fish: oval body facing right, forked tail on the left, eye cut out.
const fish: Region = minus(
  union(
    ellipse(0.3, 0, 0.66, 0.58),
    polygon([
      [-0.3, 0],
      [-0.98, -0.6],
      [-0.7, 0],
      [-0.98, 0.6],
    ]),
  ),
  disc(0.66, -0.14, 0.1),
);

// key: ring head on the left, long shaft, two teeth.
const key: Region = union(ring(-0.52, 0, 0.14, 0.46), rect(-0.2, -0.15, 0.98, 0.15), rect(0.46, 0.05, 0.64, 0.38), rect(0.76, 0.05, 0.94, 0.46));

export const SILHOUETTES: readonly Region[] = [bell, bird, car, clock, drop, star, tree, house, fish, key];

if (SILHOUETTES.length !== OBJECTS.length) {
  throw new Error(`internal: ${SILHOUETTES.length} silhouettes for ${OBJECTS.length} objects`);
}
