/**
 * The world's 3-D shapes and point clouds: meshes normalised as documented, surface sampling
 * uniform by area and on the surface, sizes separable by radius, colours the world colour,
 * clouds and pairs reproducible per seed with separate splits.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/util/rng.js';
import { COLOURS, OBJECTS } from '../../src/world/data/attributes.js';
import { readAttributesEn } from '../../src/world/data/captions-en.js';
import { pointCloudPairs, SIZE_SCALE, samplePointCloud } from '../../src/world/data/pointclouds.js';
import { sampleSurface, shapeMesh } from '../../src/world/data/shapes3d.js';

function triangleArea(t: Float64Array, k: number): number {
  const o = 9 * k;
  const u = [t[o + 3]! - t[o]!, t[o + 4]! - t[o + 1]!, t[o + 5]! - t[o + 2]!];
  const v = [t[o + 6]! - t[o]!, t[o + 7]! - t[o + 1]!, t[o + 8]! - t[o + 2]!];
  return Math.hypot(u[1]! * v[2]! - u[2]! * v[1]!, u[2]! * v[0]! - u[0]! * v[2]!, u[0]! * v[1]! - u[1]! * v[0]!) / 2;
}

test('each object mesh is centred on its surface centroid with bounding radius 1', () => {
  for (let o = 0; o < OBJECTS.length; o++) {
    const m = shapeMesh(o);
    const n = m.triangles.length / 9;
    let radius = 0;
    for (let k = 0; k < m.triangles.length; k += 3) radius = Math.max(radius, Math.hypot(m.triangles[k]!, m.triangles[k + 1]!, m.triangles[k + 2]!));
    assert.ok(Math.abs(radius - 1) < 1e-9, `${OBJECTS[o]}: bounding radius ${radius}`);
    const c = [0, 0, 0];
    let area = 0;
    for (let k = 0; k < n; k++) {
      const a = triangleArea(m.triangles, k);
      area += a;
      for (let axis = 0; axis < 3; axis++) c[axis]! += (a * (m.triangles[9 * k + axis]! + m.triangles[9 * k + 3 + axis]! + m.triangles[9 * k + 6 + axis]!)) / 3;
    }
    assert.ok(Math.abs(area - m.area) < 1e-9 * area, `${OBJECTS[o]}: area ${m.area} vs ${area}`);
    // A unit-radius surface: more than a small sliver, less than the unit sphere's 4 pi times a few parts.
    assert.ok(area > 0.5 && area < 20, `${OBJECTS[o]}: area ${area}`);
    assert.ok(
      c.every((v) => Math.abs(v / area) < 1e-9),
      `${OBJECTS[o]}: centroid ${c.map((v) => v / area)}`,
    );
  }
  assert.throws(() => shapeMesh(10), /object is 10; expected an integer in \[0, 9\]/);
});

test('the ten shapes differ: no two have the same extents and area', () => {
  const signature = (o: number) => {
    const m = shapeMesh(o);
    return [m.bounds[3] - m.bounds[0], m.bounds[4] - m.bounds[1], m.bounds[5] - m.bounds[2], m.area / 10];
  };
  for (let a = 0; a < OBJECTS.length; a++) {
    for (let b = a + 1; b < OBJECTS.length; b++) {
      const d = Math.max(...signature(a).map((v, i) => Math.abs(v - signature(b)[i]!)));
      assert.ok(d > 0.05, `${OBJECTS[a]} and ${OBJECTS[b]} have nearly the same extents and area (${d.toFixed(3)})`);
    }
  }
});

test('surface samples lie on their triangle and spread over triangles in proportion to area', () => {
  const rng = new Rng(3);
  for (const o of [5, 7]) {
    // star and house: few triangles, so per-triangle counts are large
    const m = shapeMesh(o);
    const n = m.triangles.length / 9;
    const counts = new Array<number>(n).fill(0);
    const p = new Float64Array(3);
    const draws = 40000;
    for (let i = 0; i < draws; i++) {
      const k = sampleSurface(m, rng, p);
      counts[k]!++;
      if (i < 500) {
        // On the triangle's plane and inside it: the areas of the three sub-triangles add up to its own.
        const t = m.triangles;
        const corner = (c: number) => [t[9 * k + 3 * c]!, t[9 * k + 3 * c + 1]!, t[9 * k + 3 * c + 2]!];
        const sub = (a: number[], b: number[]) => triangleArea(Float64Array.from([...a, ...b, ...p]), 0);
        const whole = triangleArea(t, k);
        const parts = sub(corner(0), corner(1)) + sub(corner(1), corner(2)) + sub(corner(2), corner(0));
        assert.ok(Math.abs(parts - whole) < 1e-9 + 1e-7 * whole, `${OBJECTS[o]}: point off its triangle (${parts} vs ${whole})`);
      }
    }
    for (let k = 0; k < n; k++) {
      const expected = (draws * triangleArea(m.triangles, k)) / m.area;
      assert.ok(
        Math.abs(counts[k]! - expected) < 5 * Math.sqrt(expected) + 1,
        `${OBJECTS[o]} triangle ${k}: ${counts[k]} draws, expected ${expected.toFixed(0)}`,
      );
    }
  }
});

/** Largest distance of a cloud's points from their mean. */
function radius(positions: Float32Array): number {
  const n = positions.length / 3;
  const mean = [0, 1, 2].map((a) => positions.filter((_, k) => k % 3 === a).reduce((s, v) => s + v, 0) / n);
  let r = 0;
  for (let i = 0; i < n; i++) r = Math.max(r, Math.hypot(positions[3 * i]! - mean[0]!, positions[3 * i + 1]! - mean[1]!, positions[3 * i + 2]! - mean[2]!));
  return r;
}

test('clouds: sizes separable by radius, the height of the shape kept, coloured with the world colour', () => {
  const rng = new Rng(11);
  const radii: number[][] = [[], []];
  for (let o = 0; o < OBJECTS.length; o++) {
    for (let size = 0; size < 2; size++) {
      for (let rep = 0; rep < 3; rep++) {
        const colour = rng.int(COLOURS.length);
        const scale = SIZE_SCALE[size]! * (rep === 0 ? 0.9 : rep === 1 ? 1.1 : 1);
        const c = samplePointCloud({ object: o, colour, size, scale }, 400, rng);
        assert.equal(c.positions.length, 1200);
        radii[size]!.push(radius(c.positions));
        // Turning about y keeps heights: the cloud's vertical extent is the mesh's, scaled.
        const ys = c.positions.filter((_, k) => k % 3 === 1);
        const height = Math.max(...ys) - Math.min(...ys);
        const m = shapeMesh(o);
        const meshHeight = scale * (m.bounds[4] - m.bounds[1]);
        assert.ok(height <= meshHeight + 1e-5 && height > 0.85 * meshHeight, `${OBJECTS[o]}: height ${height} vs ${meshHeight}`);
        const rgb = COLOURS[colour]!.rgb.map((v) => v / 255);
        for (let i = 0; i < 400; i++) {
          for (let ch = 0; ch < 3; ch++) {
            const v = c.colours![3 * i + ch]!;
            assert.ok(v >= 0 && v <= 1 && Math.abs(v - rgb[ch]!) <= 0.4 * rgb[ch]! + 1e-6, `colour ${v} far from ${rgb[ch]}`);
          }
        }
      }
    }
  }
  const smallMax = Math.max(...radii[0]!);
  const largeMin = Math.min(...radii[1]!);
  assert.ok(smallMax < 0.7 && largeMin > 0.8, `small radii up to ${smallMax.toFixed(3)}, large from ${largeMin.toFixed(3)}`);
  assert.throws(() => samplePointCloud({ object: 1, colour: 8, size: 0 }, 10, rng), /colour is 8; expected an integer in \[0, 7\]/);
  assert.throws(() => samplePointCloud({ object: 1, colour: 0, size: 0 }, 0, rng), /n is 0; expected a positive integer/);
});

test('clouds are reproducible per seed; pairs: splits differ, example i independent of n, captions name the attributes', () => {
  const a = samplePointCloud({ object: 3, colour: 2, size: 1 }, 64, new Rng(5));
  const b = samplePointCloud({ object: 3, colour: 2, size: 1 }, 64, new Rng(5));
  const c = samplePointCloud({ object: 3, colour: 2, size: 1 }, 64, new Rng(6));
  assert.deepEqual([...a.positions], [...b.positions]);
  assert.deepEqual([...a.colours!], [...b.colours!]);
  assert.notDeepEqual([...a.positions], [...c.positions]);

  const train = pointCloudPairs(12, 'train', 1, 32);
  const again = pointCloudPairs(4, 'train', 1, 32);
  const val = pointCloudPairs(12, 'val', 1, 32);
  const otherSeed = pointCloudPairs(12, 'train', 2, 32);
  assert.deepEqual([...again[3]!.cloud.positions], [...train[3]!.cloud.positions]);
  assert.equal(again[3]!.english, train[3]!.english);
  const key = (p: (typeof train)[number]) => Array.from(p.cloud.positions.subarray(0, 6)).join();
  for (const other of [val, otherSeed])
    assert.ok(
      train.every((p, i) => key(p) !== key(other[i]!)),
      'streams overlap',
    );
  assert.notDeepEqual(
    train.map((p) => p.attrs),
    val.map((p) => p.attrs),
  );
  for (const p of [...train, ...val]) {
    assert.deepEqual(readAttributesEn(p.english), p.attrs, `caption ${JSON.stringify(p.english)} vs ${JSON.stringify(p.attrs)}`);
    assert.equal(p.cloud.positions.length, 96);
  }
});
