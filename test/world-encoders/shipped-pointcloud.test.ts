/**
 * The shipped point-cloud encoder (assets/world/pointcloud-encoder) loads from its default location
 * and reads held-out clouds (the 'test' split, which its build never trains on) well above chance:
 * object, colour and size, also without colours and with few points.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WorldPointCloudEncoder } from '../../src/encoders/world/pointcloud.js';
import { worldModelDir } from '../../src/world/assets.js';
import { pointCloudPairs } from '../../src/world/data/pointclouds.js';

let encoder: WorldPointCloudEncoder;
before(async () => {
  encoder = await WorldPointCloudEncoder.load(worldModelDir('pointcloud-encoder'), { threads: 1 });
});
after(async () => {
  await encoder?.release();
});

const share = (xs: number[], ys: number[]): number => xs.filter((x, i) => x === ys[i]).length / xs.length;

test('shipped point-cloud encoder: object, colour and size of held-out clouds (chance 10%, 12.5%, 50%)', async () => {
  assert.deepEqual(encoder.info, { name: 'world-pointcloud', modality: 'pointcloud', tokens: 8, dim: 128 });
  const pairs = pointCloudPairs(80, 'test', 9);
  const c = await encoder.classify(pairs.map((p) => p.cloud));
  const object = share(
    c.labels,
    pairs.map((p) => p.attrs.object),
  );
  const colour = share(
    c.colours,
    pairs.map((p) => p.attrs.colour),
  );
  const size = share(
    c.sizes,
    pairs.map((p) => p.attrs.size),
  );
  assert.ok(object >= 0.9 && colour >= 0.9 && size >= 0.95, `object ${object}, colour ${colour}, size ${size}`);

  // A scan without colours (read as grey) and a sparse one (100 points, repeated up to 512).
  const grey = await encoder.classify(pairs.map((p) => ({ positions: p.cloud.positions })));
  const sparse = pointCloudPairs(80, 'test', 9, 100);
  const s = await encoder.classify(sparse.map((p) => p.cloud));
  const greyObject = share(
    grey.labels,
    pairs.map((p) => p.attrs.object),
  );
  const sparseObject = share(
    s.labels,
    sparse.map((p) => p.attrs.object),
  );
  assert.ok(greyObject >= 0.8 && sparseObject >= 0.7, `without colours ${greyObject}, 100 points ${sparseObject}`);
});
