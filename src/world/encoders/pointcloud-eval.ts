/**
 * Held-out checks of the world point-cloud encoder, run on the exported model through the class
 * users load (training draws fresh clouds from its own stream; these come from the val / test
 * splits of pointCloudPairs and from their own seed):
 *  - the heads' accuracy (object, colour, size) on test clouds, also when the clouds come denser
 *    (subsampled), sparser (points repeated), without colours, or in another point order;
 *  - a linear probe on pooled features (fitted on val clouds, scored on test clouds);
 *  - retrieval: a second, independent sampling of each instance finds one with the same
 *    attributes as its nearest neighbour (cosine of pooled features).
 */
import type { PointCloud } from '../../encoders/types.js';
import type { WorldPointCloudEncoder } from '../../encoders/world/pointcloud.js';
import { Rng } from '../../util/rng.js';
import { COUNTS } from '../data/attributes.js';
import { type CloudAttributes, pointCloudPairs, samplePointCloud, sizeScale } from '../data/pointclouds.js';
import { accuracy, fitLinearProbe, nearestByCosine, predictProbe } from './probe.js';

type Head = 'object' | 'colour' | 'size';
const HEADS: readonly Head[] = ['object', 'colour', 'size'];

export interface PointCloudEvaluation {
  test: number;
  /** Accuracy of each head on the test clouds as sampled (POINTS_PER_CLOUD points). */
  heads: Record<Head, number>;
  /** The heads on the same instances given as other clouds (object, colour and size accuracy each). */
  robustness: {
    dense2048: Record<Head, number>;
    sparse128: Record<Head, number>;
    /** Colour is not scored: without colours it cannot be known. */
    noColours: Record<'object' | 'size', number>;
  };
  /** Largest |difference| of any token feature when a cloud's points are given in reverse order. */
  reorderMaxAbsDiff: number;
  /** Ridge probe on pooled features: fitted on `probeTrain` val clouds, scored on the test clouds. */
  probe: Record<Head, number>;
  probeTrain: number;
  /** Nearest neighbour of a second sampling among the first samplings of `retrievalPool` instances. */
  retrieval: { attributes: number; sameInstance: number };
  retrievalPool: number;
  chance: Record<Head, number>;
}

const headAccuracy = (predicted: { labels: number[]; colours: number[]; sizes: number[] }, truth: readonly CloudAttributes[]): Record<Head, number> => ({
  object: accuracy(
    predicted.labels,
    truth.map((a) => a.object),
  ),
  colour: accuracy(
    predicted.colours,
    truth.map((a) => a.colour),
  ),
  size: accuracy(
    predicted.sizes,
    truth.map((a) => a.size),
  ),
});

export async function evaluatePointCloudEncoder(
  encoder: WorldPointCloudEncoder,
  seed: number,
  sizes: { probeTrain: number; test: number; retrieval: number },
): Promise<PointCloudEvaluation> {
  const test = pointCloudPairs(sizes.test, 'test', seed);
  const truth = test.map((p) => p.attrs);
  const clouds = test.map((p) => p.cloud);
  const heads = headAccuracy(await encoder.classify(clouds), truth);
  // The same instances drawn again with more or fewer points (pointCloudPairs draws attributes first).
  const dense = pointCloudPairs(sizes.test, 'test', seed, 2048).map((p) => p.cloud);
  const sparse = pointCloudPairs(sizes.test, 'test', seed, 128).map((p) => p.cloud);
  const grey: PointCloud[] = clouds.map((c) => ({ positions: c.positions, source: `${c.source} without colours` }));
  const noColour = headAccuracy(await encoder.classify(grey), truth);
  const robustness = {
    dense2048: headAccuracy(await encoder.classify(dense), truth),
    sparse128: headAccuracy(await encoder.classify(sparse), truth),
    noColours: { object: noColour.object, size: noColour.size },
  };

  const reversed = clouds.slice(0, 8).map((c) => {
    const n = c.positions.length / 3;
    const flip = (a: Float32Array) => {
      const out = new Float32Array(a.length);
      for (let i = 0; i < n; i++) out.set(a.subarray(3 * i, 3 * i + 3), 3 * (n - 1 - i));
      return out;
    };
    return { positions: flip(c.positions), colours: flip(c.colours!) };
  });
  const a = (await encoder.encode(clouds.slice(0, 8))).features;
  const b = (await encoder.encode(reversed)).features;
  let reorderMaxAbsDiff = 0;
  for (let k = 0; k < a.length; k++) reorderMaxAbsDiff = Math.max(reorderMaxAbsDiff, Math.abs(a[k]! - b[k]!));

  const dim = encoder.info.dim;
  const probeSet = pointCloudPairs(sizes.probeTrain, 'val', seed);
  const fitted = (await encoder.run(probeSet.map((p) => p.cloud))).pooled;
  const scored = (await encoder.run(clouds)).pooled;
  const probe = {} as Record<Head, number>;
  for (const h of HEADS) {
    const p = fitLinearProbe(
      fitted,
      probeSet.map((s) => s.attrs[h]),
      dim,
      COUNTS[h],
    );
    probe[h] = accuracy(
      predictProbe(p, scored),
      truth.map((t) => t[h]),
    );
  }

  const rng = new Rng(seed ^ 0x7e7121);
  const instances = Array.from({ length: sizes.retrieval }, () => {
    const attrs = { object: rng.int(COUNTS.object), colour: rng.int(COUNTS.colour), size: rng.int(COUNTS.size) };
    return { attrs, scale: sizeScale(attrs.size, rng) };
  });
  const sampleAll = () => instances.map((s) => samplePointCloud({ ...s.attrs, scale: s.scale }, encoder.config.points, rng));
  const keys = (await encoder.run(sampleAll())).pooled;
  const queries = (await encoder.run(sampleAll())).pooled;
  const nearest = nearestByCosine(queries, keys, dim);
  const same = (i: number, j: number) => HEADS.every((h) => instances[i]!.attrs[h] === instances[j]!.attrs[h]);
  const retrieval = {
    attributes: nearest.filter((j, i) => same(i, j)).length / instances.length,
    sameInstance: nearest.filter((j, i) => j === i).length / instances.length,
  };
  return {
    test: sizes.test,
    heads,
    robustness,
    reorderMaxAbsDiff,
    probe,
    probeTrain: sizes.probeTrain,
    retrieval,
    retrievalPool: sizes.retrieval,
    chance: { object: 1 / COUNTS.object, colour: 1 / COUNTS.colour, size: 1 / COUNTS.size },
  };
}
