import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/util/rng.js';
import { COLOURS, enumerateCombinations, OBJECTS, POSITIONS } from '../../src/world/data/attributes.js';
import { renderImage, renderImageSize, renderLayers } from '../../src/world/data/render.js';

const S = 32;

function dist(a: readonly number[], b: readonly number[]): number {
  return Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);
}

function pixel(image: Uint8Array, size: number, x: number, y: number): [number, number, number] {
  const i = (y * size + x) * 3;
  return [image[i]!, image[i + 1]!, image[i + 2]!];
}

/** Mean colour of the image border (objects keep a margin from it, so this is background). */
function borderMean(image: Uint8Array, size: number): number[] {
  const sum = [0, 0, 0];
  let n = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (x !== 0 && y !== 0 && x !== size - 1 && y !== size - 1) continue;
      const p = pixel(image, size, x, y);
      for (let c = 0; c < 3; c++) sum[c]! += p[c]!;
      n++;
    }
  }
  return sum.map((v) => v / n);
}

/** Pixels covered by at least `fraction` of the object, judged from the image alone (not the layers). */
function maskFromImage(image: Uint8Array, size: number, colour: readonly number[], fraction = 0.5): boolean[] {
  const bg = borderMean(image, size);
  const full = dist(colour, bg);
  return Array.from({ length: size * size }, (_, i) => {
    const p = [image[i * 3]!, image[i * 3 + 1]!, image[i * 3 + 2]!];
    return dist(p, bg) >= fraction * full;
  });
}

test('renderImage: deterministic per seed; seeds vary the scene; canonical rendering is plain', () => {
  const attrs = { object: 3, colour: 4, size: 1, position: 6 };
  assert.deepEqual(renderImage(attrs, new Rng(7)), renderImage(attrs, new Rng(7)));
  assert.notDeepEqual(renderImage(attrs, new Rng(7)), renderImage(attrs, new Rng(8)));
  const canonical = renderImage(attrs);
  assert.equal(canonical.length, S * S * 3);
  assert.deepEqual(canonical, renderImage(attrs));
  // Canonical background is uniform grey (227.5 rounds to 228) away from the object.
  assert.deepEqual(pixel(canonical, S, 31, 0), [228, 228, 228]);
  assert.deepEqual(pixel(canonical, S, 0, 0), [228, 228, 228]);
});

test('renderImage: every combination renders; far-from-background pixels have the requested colour', () => {
  const rng = new Rng(2024);
  for (const attrs of enumerateCombinations()) {
    const image = renderImage(attrs, rng);
    assert.equal(image.length, S * S * 3);
    const colour = COLOURS[attrs.colour]!.rgb;
    const bg = borderMean(image, S);
    // The background is light and neutral.
    assert.ok(Math.min(...bg) > 195 && Math.max(...bg) - Math.min(...bg) < 25, `background ${bg.map(Math.round)}`);
    let solid = 0;
    for (let i = 0; i < S * S; i++) {
      const p = [image[i * 3]!, image[i * 3 + 1]!, image[i * 3 + 2]!];
      // Pixels mostly covered by the object must be nearer the requested colour than any other.
      if (dist(p, bg) < 0.8 * dist(colour, bg)) continue;
      solid++;
      const nearest = COLOURS.reduce((best, c, k) => (dist(p, c.rgb) < dist(p, COLOURS[best]!.rgb) ? k : best), 0);
      assert.equal(nearest, attrs.colour, `${JSON.stringify(attrs)}: pixel ${p} nearest ${COLOURS[nearest]!.name}`);
    }
    assert.ok(solid >= (attrs.size === 0 ? 4 : 15), `${JSON.stringify(attrs)}: only ${solid} solid pixels`);
  }
});

test('renderImageSize: image is the blend of its layers; fully covered pixels are exactly the colour', () => {
  const attrs = { object: 7, colour: 2, size: 1, position: 4 };
  const layers = renderLayers(attrs, S, new Rng(3));
  const image = renderImageSize(attrs, S, new Rng(3));
  let full = 0;
  for (let i = 0; i < S * S; i++) {
    const a = layers.coverage[i]!;
    for (let c = 0; c < 3; c++) {
      const expected = Math.round(layers.background[i * 3 + c]! * (1 - a) + layers.colour[c]! * a);
      assert.equal(image[i * 3 + c], expected);
      if (a === 1) assert.equal(image[i * 3 + c], COLOURS[2]!.rgb[c]);
    }
    if (a === 1) full++;
  }
  assert.ok(full > 50, `${full} fully covered pixels`);
});

test('silhouettes: centred large masks of different classes differ (pairwise IoU < 0.62)', () => {
  const masks = OBJECTS.map((_, object) => maskFromImage(renderImage({ object, colour: 7, size: 1, position: 4 }), S, COLOURS[7]!.rgb));
  for (const [object, mask] of masks.entries()) {
    const area = mask.filter(Boolean).length;
    assert.ok(area >= 40 && area <= 200, `${OBJECTS[object]} large area ${area} px`);
  }
  let worst = 0;
  for (let a = 0; a < masks.length; a++) {
    for (let b = a + 1; b < masks.length; b++) {
      let inter = 0;
      let uni = 0;
      for (let i = 0; i < S * S; i++) {
        if (masks[a]![i] && masks[b]![i]) inter++;
        if (masks[a]![i] || masks[b]![i]) uni++;
      }
      const iou = inter / uni;
      worst = Math.max(worst, iou);
      assert.ok(iou < 0.62, `${OBJECTS[a]} vs ${OBJECTS[b]}: IoU ${iou.toFixed(3)}`);
    }
  }
  assert.ok(worst > 0.3, `implausibly low worst IoU ${worst}`); // masks are real shapes, not empty
});

test("positions: the object's box centre lands in the requested 3x3 cell, sizes differ", () => {
  const rng = new Rng(11);
  const third = S / 3;
  for (let object = 0; object < OBJECTS.length; object++) {
    for (let position = 0; position < POSITIONS.length; position++) {
      for (let size = 0; size < 2; size++) {
        for (let rep = 0; rep < 3; rep++) {
          const attrs = { object, colour: rng.int(COLOURS.length), size, position };
          const mask = maskFromImage(renderImage(attrs, rng), S, COLOURS[attrs.colour]!.rgb, 0.2);
          let [x0, y0, x1, y1] = [S, S, -1, -1];
          mask.forEach((on, i) => {
            if (!on) return;
            const x = i % S;
            const y = Math.floor(i / S);
            [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
          });
          const cx = (x0 + x1 + 1) / 2;
          const cy = (y0 + y1 + 1) / 2;
          const where = `${OBJECTS[object]} ${['small', 'large'][size]} ${POSITIONS[position]}: box centre (${cx}, ${cy})`;
          assert.equal(Math.min(2, Math.floor(cx / third)), position % 3, where);
          assert.equal(Math.min(2, Math.floor(cy / third)), Math.floor(position / 3), where);
          const extent = Math.max(x1 - x0, y1 - y0) + 1;
          if (size === 0) assert.ok(extent >= 8 && extent <= 12, `${where}: small extent ${extent}`);
          else assert.ok(extent >= 13 && extent <= 17, `${where}: large extent ${extent}`);
        }
      }
    }
  }
});

test('renderImageSize: 64 px rendering, box-downsampled, matches the 32 px rendering', () => {
  for (const object of [0, 5, 9]) {
    const attrs = { object, colour: 0, size: 1, position: 2 };
    const big = renderImageSize(attrs, 64);
    const small = renderImage(attrs);
    let total = 0;
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          for (const [dx, dy] of [
            [0, 0],
            [1, 0],
            [0, 1],
            [1, 1],
          ] as const)
            sum += big[((2 * y + dy) * 64 + 2 * x + dx) * 3 + c]!;
          total += Math.abs(sum / 4 - small[(y * S + x) * 3 + c]!);
        }
      }
    }
    const meanAbs = total / (S * S * 3);
    assert.ok(meanAbs < 2, `${OBJECTS[object]}: mean |64->32 - 32| = ${meanAbs.toFixed(2)}`);
  }
});

test('renderImage: bad attributes and sizes give clear errors', () => {
  assert.throws(() => renderImage({ object: 0, colour: 8, size: 0, position: 0 }), /colour is 8; expected an integer in \[0, 7\]/);
  assert.throws(() => renderImage({ object: 1.5, colour: 0, size: 0, position: 0 }), /object is 1.5/);
  assert.throws(() => renderImageSize({ object: 0, colour: 0, size: 0, position: 0 }, 3), /size is 3; expected an integer number of pixels/);
});
