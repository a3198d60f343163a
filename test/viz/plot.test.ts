import assert from 'node:assert/strict';
import { test } from 'node:test';
import { linePlot, logTicks, niceTicks, Raster, scatterPlot } from '../../src/io/plot.js';
import { type DecodedPng, decodePng } from '../helpers/png-decode.js';

const RED = [255, 0, 0] as const;
const BLUE = [0, 0, 255] as const;
const rgbAt = (img: DecodedPng, x: number, y: number): number[] => [...img.pixels.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];
const isColour = (img: DecodedPng, x: number, y: number, c: readonly number[]): boolean => rgbAt(img, x, y).every((v, i) => v === c[i]);

/**
 * Find the plot area from the picture alone: the y axis is the column with the longest run of black
 * pixels, the x axis the row with the longest run. Data at the axis minimum lies one pixel inside.
 */
function findPlotArea(img: DecodedPng): { left: number; right: number; top: number; bottom: number } {
  const longestRun = (len: number, at: (i: number) => boolean): [number, number] => {
    let best: [number, number] = [0, -1];
    let start = -1;
    for (let i = 0; i <= len; i++) {
      if (i < len && at(i)) {
        if (start < 0) start = i;
      } else if (start >= 0) {
        if (i - start > best[1] - best[0] + 1) best = [start, i - 1];
        start = -1;
      }
    }
    return best;
  };
  const black = [0, 0, 0];
  let axisX = 0,
    yRun: [number, number] = [0, -1];
  for (let x = 0; x < img.width; x++) {
    const run = longestRun(img.height, (y) => isColour(img, x, y, black));
    if (run[1] - run[0] > yRun[1] - yRun[0]) [axisX, yRun] = [x, run];
  }
  let axisY = 0,
    xRun: [number, number] = [0, -1];
  for (let y = 0; y < img.height; y++) {
    const run = longestRun(img.width, (x) => isColour(img, x, y, black));
    if (run[1] - run[0] > xRun[1] - xRun[0]) [axisY, xRun] = [y, run];
  }
  return { left: axisX + 1, right: xRun[1], top: yRun[0], bottom: axisY - 1 };
}

test('niceTicks and logTicks choose round values enclosing the data', () => {
  assert.deepEqual(niceTicks(0, 10, 5).values, [0, 2, 4, 6, 8, 10]);
  const small = niceTicks(0.013, 0.087, 4);
  assert.deepEqual(small.values, [0, 0.02, 0.04, 0.06, 0.08, 0.1]);
  assert.deepEqual(small.labels, ['0.00', '0.02', '0.04', '0.06', '0.08', '0.10']);
  assert.deepEqual(niceTicks(-3, 7, 5).values, [-4, -2, 0, 2, 4, 6, 8]);
  const flat = niceTicks(5, 5, 4);
  assert.ok(flat.min < 5 && flat.max > 5);
  assert.deepEqual(niceTicks(0, 3e7, 3).labels, ['0', '1e7', '2e7', '3e7']);
  const decades = logTicks(0.5, 2000);
  assert.deepEqual([decades.min, decades.max], [0.1, 10000]);
  assert.deepEqual(decades.labels, ['0.1', '1', '10', '100', '1000', '10000']);
  assert.deepEqual(logTicks(2, 30).labels, ['1', '2', '5', '10', '20', '50', '100']);
  assert.deepEqual(logTicks(1e-8, 1).labels, ['1e-8', '1e-7', '1e-6', '1e-5', '1e-4', '0.001', '0.01', '0.1', '1']);
});

test('Raster.line is a Bresenham line and circle a disc', () => {
  const r = new Raster(12, 12, [0, 0, 0]);
  r.line(1, 1, 9, 5, RED);
  const red: string[] = [];
  for (let y = 0; y < 12; y++) for (let x = 0; x < 12; x++) if (r.getPixel(x, y)[0] === 255) red.push(`${x},${y}`);
  // One pixel per column from x=1 to 9, rows rounded from y = 1 + (x - 1) / 2 (ties broken either way).
  assert.equal(red.length, 9);
  for (let x = 1; x <= 9; x++) {
    const exact = 1 + (x - 1) / 2;
    assert.ok(red.includes(`${x},${Math.floor(exact)}`) || red.includes(`${x},${Math.ceil(exact)}`), `column ${x}`);
  }
  // Far-away and non-finite ends are clipped, not walked pixel by pixel.
  const far = new Raster(20, 10, [0, 0, 0]);
  far.line(-1e12, 5, 1e12, 5, RED);
  far.line(NaN, 0, 3, 3, RED);
  far.line(0, -Infinity, 3, 3, RED);
  for (let x = 0; x < 20; x++) for (let y = 0; y < 10; y++) assert.equal(far.getPixel(x, y)[0], y === 5 ? 255 : 0, `pixel ${x},${y}`);
  const c = new Raster(11, 11, [0, 0, 0]);
  c.circle(5, 5, 3, RED);
  let area = 0;
  for (let y = 0; y < 11; y++) for (let x = 0; x < 11; x++) if (c.getPixel(x, y)[0] === 255) area++;
  assert.equal(area, 37); // lattice points with x^2 + y^2 <= 3.5^2
  assert.deepEqual(c.getPixel(8, 5), RED);
  assert.deepEqual(c.getPixel(8, 8), [0, 0, 0]);
});

test('linePlot: requested size, axes, and a red straight line through the expected pixels', () => {
  const xs = [0, 2.5, 5, 7.5, 10];
  const png = linePlot({
    title: 'y = x',
    xLabel: 'x',
    yLabel: 'y',
    width: 500,
    height: 320,
    lineWidth: 1,
    series: [{ name: 'identity', xs, ys: xs, colour: RED }],
  });
  const img = decodePng(png);
  assert.deepEqual([img.width, img.height, img.channels], [500, 320, 3]);
  const a = findPlotArea(img);
  assert.ok(a.right - a.left > 350 && a.bottom - a.top > 200, `plot area ${JSON.stringify(a)}`);
  // Ticks over [0, 10] exactly, so data (x, x) is at column left + x/10*(right-left), row bottom - x/10*(bottom-top).
  const expectedAt = (v: number): [number, number] => [
    Math.round(a.left + (v / 10) * (a.right - a.left)),
    Math.round(a.bottom - (v / 10) * (a.bottom - a.top)),
  ];
  for (let v = 0; v <= 10; v += 0.5) {
    const [x, y] = expectedAt(v);
    const near = [-1, 0, 1].some((d) => isColour(img, x, y + d, RED));
    assert.ok(near, `red at data (${v}, ${v}) -> pixel (${x}, ${y})`);
  }
  // Every red pixel is on the line except the 12x4 legend swatch.
  let offLine = 0;
  const slope = (a.bottom - a.top) / (a.right - a.left);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      if (isColour(img, x, y, RED) && Math.abs(a.bottom - (x - a.left) * slope - y) > 1.5) offLine++;
    }
  }
  assert.equal(offLine, 12 * 4);
});

test('linePlot with logY: powers of ten fall on a straight line; y <= 0 points are skipped', () => {
  const xs = [-4, 0, 1, 2, 3];
  const ys = [0, 1, 10, 100, 1000]; // the (-4, 0) point must not widen the x axis
  const img = decodePng(linePlot({ series: [{ name: '', xs, ys, colour: RED }], logY: true, lineWidth: 1, width: 400, height: 300 }));
  const a = findPlotArea(img);
  for (let x = 0; x <= 3; x += 0.25) {
    const col = Math.round(a.left + (x / 3) * (a.right - a.left));
    const row = Math.round(a.bottom - (x / 3) * (a.bottom - a.top));
    assert.ok(
      [-1, 0, 1].some((d) => isColour(img, col, row + d, RED)),
      `log10 y = ${x}`,
    );
  }
});

test('linePlot breaks the line at NaN and Infinity and draws isolated points', () => {
  const xs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const ys = xs.map((x) => (x === 5 ? NaN : x === 8 ? Infinity : x));
  const img = decodePng(linePlot({ series: [{ name: '', xs, ys, colour: RED }], lineWidth: 1, width: 400, height: 300 }));
  const a = findPlotArea(img);
  const col = (x: number): number => Math.round(a.left + (x / 10) * (a.right - a.left));
  const redInColumn = (c: number): boolean => Array.from({ length: img.height }, (_, y) => isColour(img, c, y, RED)).some(Boolean);
  assert.ok(redInColumn(col(3.5)));
  assert.equal(redInColumn(col(4.5)), false, 'gap where the NaN point was');
  assert.equal(redInColumn(col(5.5)), false, 'gap where the NaN point was');
  assert.equal(redInColumn(col(7.5)), false, 'gap where the Infinity point was');
  assert.ok(redInColumn(col(9.5)));
});

test('linePlot: all-NaN series give a blank plot; bad input gives clear errors', () => {
  const img = decodePng(linePlot({ series: [{ name: 'nothing', xs: [1, 2], ys: [NaN, NaN], colour: RED }], width: 300, height: 200 }));
  assert.deepEqual([img.width, img.height], [300, 200]);
  let red = 0;
  for (let i = 0; i < img.width * img.height; i++) if (isColour(img, i % img.width, Math.floor(i / img.width), RED)) red++;
  assert.equal(red, 12 * 4, 'only the legend swatch is red');
  assert.throws(() => linePlot({ series: [] }), /linePlot: series is empty/);
  assert.throws(() => linePlot({ series: [{ name: 's', xs: [1, 2], ys: [1] }] }), /series 0 \("s"\) has 2 xs but 1 ys/);
  assert.throws(() => linePlot({ series: [{ name: 's', xs: [1], ys: [1] }], width: 50 }), /size 50x420 is invalid/);
});

test("scatterPlot draws each group's points in its colour at the expected places", () => {
  const groups = [
    {
      name: 'a',
      points: [
        [0, 0],
        [10, 10],
        [2, 3],
      ] as [number, number][],
      colour: RED,
    },
    {
      name: 'b',
      points: [
        [7, 6],
        [NaN, 1],
        [4, 8],
      ] as [number, number][],
      colour: BLUE,
    },
  ];
  const img = decodePng(scatterPlot({ title: 'PCA', groups, width: 400, height: 300 }));
  assert.deepEqual([img.width, img.height], [400, 300]);
  const a = findPlotArea(img);
  const at = (x: number, y: number): [number, number] => [
    Math.round(a.left + (x / 10) * (a.right - a.left)),
    Math.round(a.bottom - (y / 10) * (a.bottom - a.top)),
  ];
  assert.ok(isColour(img, ...at(2, 3), RED));
  assert.ok(isColour(img, ...at(7, 6), BLUE));
  assert.ok(isColour(img, ...at(4, 8), BLUE));
  assert.ok(!isColour(img, ...at(5, 5), RED) && !isColour(img, ...at(5, 5), BLUE), 'no point at (5, 5)');
  assert.throws(() => scatterPlot({ groups: [] }), /groups is empty/);
});
