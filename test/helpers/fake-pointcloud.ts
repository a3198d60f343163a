/**
 * A stand-in point-cloud encoder for tests of the plumbing around one (CLI, API, server) until the
 * world's is loaded: its features are a fixed function of each cloud's mean position, mean colour
 * and size, so different clouds give different conditions, and it records what it was given.
 */
import type { EncodedBatch, Encoder, PointCloud } from '../../src/encoders/types.js';

export interface FakePointCloudEncoder extends Encoder<'pointcloud'> {
  /** Every cloud encode() was given, in order. */
  readonly seen: PointCloud[];
}

export function fakePointCloudEncoder(tokens = 8, dim = 16, name = 'fake-pointcloud'): FakePointCloudEncoder {
  const seen: PointCloud[] = [];
  return {
    info: { name, modality: 'pointcloud', tokens, dim },
    seen,
    async encode(clouds: PointCloud[]): Promise<EncodedBatch> {
      const features = new Float32Array(clouds.length * tokens * dim);
      clouds.forEach((c, b) => {
        if (!(c?.positions instanceof Float32Array)) throw new Error(`fake point-cloud encoder: input ${b} is not a point cloud`);
        seen.push(c);
        const n = c.positions.length / 3;
        const stats = [0, 0, 0, 0.5, 0.5, 0.5, Math.log(n)];
        for (let i = 0; i < n; i++) {
          for (let k = 0; k < 3; k++) {
            stats[k]! += c.positions[i * 3 + k]! / n;
            if (c.colours) stats[3 + k]! += (c.colours[i * 3 + k]! - 0.5) / n;
          }
        }
        for (let j = 0; j < tokens * dim; j++) features[b * tokens * dim + j] = Math.sin(j + 1) * stats[j % stats.length]!;
      });
      return { features, batch: clouds.length, tokens, dim };
    },
    async release() {},
  };
}
