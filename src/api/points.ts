/** Point clouds as the library accepts them: PLY file bytes, or positions (and colours) as arrays. */
import type { PointCloud } from '../encoders/types.js';
import { readPly } from '../io/ply.js';

/** PLY file bytes (ascii or binary little-endian), or a cloud {positions [N, 3], colours? [N, 3] in 0..1}. */
export type PointCloudInput = Uint8Array | PointCloud;

export function toPointCloud(input: PointCloudInput, what = 'point cloud'): PointCloud {
  if (input instanceof Uint8Array) return readPly(input, what);
  if (typeof input === 'object' && input !== null && input.positions instanceof Float32Array) {
    const n = input.positions.length;
    if (n === 0 || n % 3 !== 0) throw new Error(`${what}: positions has ${n} values; expected x y z per point, [N, 3] with N >= 1`);
    if (input.colours !== undefined && !(input.colours instanceof Float32Array && input.colours.length === n))
      throw new Error(`${what}: colours must be a Float32Array of [N, 3] values like positions (${n}), got ${input.colours?.length ?? typeof input.colours}`);
    return { ...input, source: input.source ?? what };
  }
  throw new Error(
    `${what} must be PLY file bytes (Uint8Array) or {positions: Float32Array [N, 3], colours?: Float32Array}; got ${input === null ? 'null' : typeof input}`,
  );
}
