/**
 * The world's point-cloud encoder (the paper's fourth modality) behind the Encoder interface: a
 * PointNet-style net over a fixed number of points (x y z r g b), pooled by T learned queries into
 * tokens [B, T, D] that GlueNet reads.
 *
 * Input handling (the same code builds the training batches, src/world/encoders/pointcloud.ts):
 *  - each cloud is checked (x y z triples, finite, colours in [0, 1] of the same length, a point
 *    limit) with errors naming the cloud's `source`;
 *  - a cloud without colours is read as neutral grey (0.5, 0.5, 0.5) at every point;
 *  - positions are centred on the cloud's mean (position is not an attribute) and NEVER rescaled:
 *    the scale carries the size, in the world's units (a large object has bounding radius ~1);
 *  - the cloud is resampled to the net's N points: points are ranked by a hash of their own values
 *    (not their index), the first N kept when there are more and the ranking repeated cyclically
 *    when there are fewer. So the choice is deterministic and independent of the points' order,
 *    and, since the net is permutation-invariant, so are the features.
 */
import { Session } from '../../engine/runtime.js';
import { type FileSource, readJson } from '../../io/file-source.js';
import { openFiles } from '../../io/open-files.js';
import type { EncodedBatch, Encoder, EncoderInfo, PointCloud } from '../types.js';

/** Colour given to every point of a cloud without colours. */
export const NEUTRAL_GREY = 0.5;
/** Clouds per model run inside encode(). */
const RUN_CHUNK = 64;
/** Values per point the net reads: x y z r g b. */
export const POINT_FEATURES = 6;

/** config.json of a point-cloud-encoder folder (written by src/world/encoders/pointcloud.ts). */
export interface WorldPointCloudConfig {
  _class_name: 'WorldPointCloudEncoder';
  /** N: points per cloud the net reads (clouds are resampled to it). */
  points: number;
  /** T: tokens per cloud (learned queries). */
  tokens: number;
  /** D: token width. */
  dim: number;
  /** Names of the model's object logits, colour logits and size logits, in order. */
  classes: string[];
  colours: string[];
  sizes: string[];
  /** Most points accepted in one cloud. */
  maxPoints: number;
  [key: string]: unknown;
}

/** A problem with one input cloud; the message starts with the cloud's source. */
export class PointCloudInputError extends Error {
  constructor(
    message: string,
    readonly source: string,
  ) {
    super(`world point-cloud encoder: ${source}: ${message}`);
    this.name = 'PointCloudInputError';
  }
}

/** Throws a PointCloudInputError naming `cloud.source` (else "cloud i") when the cloud is unusable. */
export function checkPointCloud(cloud: PointCloud, i: number, maxPoints: number): void {
  if (typeof cloud !== 'object' || cloud === null) {
    throw new PointCloudInputError(`is ${cloud === null ? 'null' : typeof cloud}; expected {positions: Float32Array, colours?: Float32Array}`, `cloud ${i}`);
  }
  const source = typeof cloud.source === 'string' && cloud.source !== '' ? cloud.source : `cloud ${i}`;
  const fail = (message: string): never => {
    throw new PointCloudInputError(message, source);
  };
  const { positions, colours } = cloud;
  if (!(positions instanceof Float32Array)) fail('positions must be a Float32Array of x y z per point');
  if (positions.length % 3 !== 0) fail(`positions holds ${positions.length} numbers, not a multiple of 3 (x y z per point)`);
  const n = positions.length / 3;
  if (n === 0) fail('the cloud has no points; give at least one');
  if (n > maxPoints) fail(`the cloud has ${n} points, more than the ${maxPoints} this encoder accepts; subsample it first`);
  for (let k = 0; k < positions.length; k++) {
    if (!Number.isFinite(positions[k]!)) fail(`point ${Math.floor(k / 3)} has ${'xyz'[k % 3]} = ${positions[k]}; coordinates must be finite`);
  }
  if (colours === undefined) return;
  if (!(colours instanceof Float32Array)) fail('colours must be a Float32Array of r g b per point in [0, 1] (or absent)');
  if (colours.length !== positions.length) fail(`colours holds ${colours.length} numbers for ${n} points; expected ${positions.length} (r g b per point)`);
  for (let k = 0; k < colours.length; k++) {
    const v = colours[k]!;
    if (!(v >= 0 && v <= 1)) fail(`point ${Math.floor(k / 3)} has ${'rgb'[k % 3]} = ${v}; colours must lie in [0, 1] (divide 8-bit colours by 255)`);
  }
}

/** 32-bit finaliser (murmur3's fmix32): spreads every input bit over the output. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Rank key of every point: a hash of its float bits (positions, then colours). */
function pointHashes(cloud: PointCloud): Uint32Array {
  const pos = new Uint32Array(cloud.positions.buffer, cloud.positions.byteOffset, cloud.positions.length);
  const col = cloud.colours ? new Uint32Array(cloud.colours.buffer, cloud.colours.byteOffset, cloud.colours.length) : null;
  const n = pos.length / 3;
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let h = 0x9747b28c;
    for (let a = 0; a < 3; a++) h = mix(h ^ pos[3 * i + a]!);
    if (col) for (let a = 0; a < 3; a++) h = mix(h ^ col[3 * i + a]!);
    out[i] = h;
  }
  return out;
}

/**
 * Indices of the points in rank order, at most `limit` of them: ascending hash, ties (equal
 * hashes, e.g. duplicated points) broken by the points' values, so the result does not depend
 * on the order the points were given in.
 */
function rankedPoints(cloud: PointCloud, limit: number): number[] {
  const hashes = pointHashes(cloud);
  const n = hashes.length;
  let threshold = 0xffffffff;
  if (n > limit) threshold = Uint32Array.from(hashes).sort()[limit - 1]!;
  const chosen: number[] = [];
  for (let i = 0; i < n; i++) if (hashes[i]! <= threshold) chosen.push(i);
  const value = (i: number, a: number): number => (a < 3 ? cloud.positions[3 * i + a]! : (cloud.colours?.[3 * i + a - 3] ?? 0));
  chosen.sort((i, j) => {
    if (hashes[i] !== hashes[j]) return hashes[i]! - hashes[j]!;
    for (let a = 0; a < 6; a++) if (value(i, a) !== value(j, a)) return value(i, a) - value(j, a);
    return 0;
  });
  return chosen.slice(0, limit);
}

/**
 * The net's input for one (checked) cloud: [points, 6] x y z r g b, positions minus the mean of
 * all the cloud's points, resampled to `points` as the module comment describes.
 */
export function pointCloudInput(cloud: PointCloud, points: number): Float32Array {
  const n = cloud.positions.length / 3;
  const mean = [0, 0, 0];
  for (let i = 0; i < n; i++) for (let a = 0; a < 3; a++) mean[a]! += cloud.positions[3 * i + a]!;
  for (let a = 0; a < 3; a++) mean[a]! /= n;
  const order = rankedPoints(cloud, points);
  const out = new Float32Array(points * POINT_FEATURES);
  for (let k = 0; k < points; k++) {
    const i = order[k % order.length]!;
    const o = k * POINT_FEATURES;
    for (let a = 0; a < 3; a++) {
      out[o + a] = cloud.positions[3 * i + a]! - mean[a]!;
      out[o + 3 + a] = cloud.colours ? cloud.colours[3 * i + a]! : NEUTRAL_GREY;
    }
  }
  return out;
}

export interface PointCloudOutputs {
  /** [B, T, D]. */
  tokens: Float32Array;
  /** [B, D]: the mean of the tokens. */
  pooled: Float32Array;
  /** [B, classes], [B, colours], [B, sizes]. */
  objectLogits: Float32Array;
  colourLogits: Float32Array;
  sizeLogits: Float32Array;
}

const argmax = (logits: Float32Array, rows: number, width: number): number[] =>
  Array.from({ length: rows }, (_, i) => {
    let best = 0;
    for (let j = 1; j < width; j++) if (logits[i * width + j]! > logits[i * width + best]!) best = j;
    return best;
  });

export class WorldPointCloudEncoder implements Encoder<'pointcloud'> {
  readonly info: EncoderInfo & { modality: 'pointcloud' };

  private constructor(
    private readonly session: Session,
    readonly config: WorldPointCloudConfig,
  ) {
    this.info = { name: 'world-pointcloud', modality: 'pointcloud', tokens: config.tokens, dim: config.dim };
  }

  /** Loads a point-cloud-encoder folder (the bundled one is assets/world/pointcloud-encoder). */
  static async load(dir: string, opts: { threads?: number } = {}): Promise<WorldPointCloudEncoder> {
    return WorldPointCloudEncoder.fromFiles(openFiles(dir), opts);
  }

  /** Loads the folder's files through a file source (a local folder, or URLs in the browser). */
  static async fromFiles(files: FileSource, opts: { threads?: number } = {}): Promise<WorldPointCloudEncoder> {
    let config: WorldPointCloudConfig;
    try {
      config = (await readJson(files, 'config.json')) as WorldPointCloudConfig;
    } catch (e) {
      throw new Error(`world point-cloud encoder: ${(e as Error).message}; pass a folder written by buildPointCloudEncoder()`);
    }
    checkConfig(config, files.describe('config.json'));
    return WorldPointCloudEncoder.fromParts(await files.bytes('model.onnx'), config, opts);
  }

  static async fromParts(model: Uint8Array | string, config: WorldPointCloudConfig, opts: { threads?: number } = {}): Promise<WorldPointCloudEncoder> {
    checkConfig(config, 'config');
    return new WorldPointCloudEncoder(await Session.create(model, opts.threads ? { threads: opts.threads } : {}), config);
  }

  /** Token features [B, T, D] (last_hidden_state). */
  async encode(clouds: PointCloud[]): Promise<EncodedBatch> {
    const { tokens } = await this.run(clouds);
    return { features: tokens, batch: clouds.length, tokens: this.config.tokens, dim: this.config.dim };
  }

  /** Every output of the net: tokens, their mean and the three heads' logits. */
  async run(clouds: PointCloud[]): Promise<PointCloudOutputs> {
    if (!Array.isArray(clouds)) throw new Error(`world point-cloud encoder: encode() takes an array of point clouds, got ${typeof clouds}`);
    clouds.forEach((c, i) => checkPointCloud(c, i, this.config.maxPoints));
    const { points, tokens: T, dim: D } = this.config;
    const B = clouds.length;
    const widths = {
      tokens: T * D,
      pooled: D,
      objectLogits: this.config.classes.length,
      colourLogits: this.config.colours.length,
      sizeLogits: this.config.sizes.length,
    };
    if (B === 0)
      return {
        tokens: new Float32Array(0),
        pooled: new Float32Array(0),
        objectLogits: new Float32Array(0),
        colourLogits: new Float32Array(0),
        sizeLogits: new Float32Array(0),
      };
    const names = {
      tokens: 'last_hidden_state',
      pooled: 'pooler_output',
      objectLogits: 'logits',
      colourLogits: 'colour_logits',
      sizeLogits: 'size_logits',
    } as const;
    const keys = Object.keys(names) as (keyof PointCloudOutputs)[];
    const result = Object.fromEntries(keys.map((k) => [k, new Float32Array(B * widths[k])])) as unknown as PointCloudOutputs;
    // Chunks bound the memory of the per-point activations ([chunk, N, width] floats per layer).
    for (let start = 0; start < B; start += RUN_CHUNK) {
      const part = clouds.slice(start, start + RUN_CHUNK);
      const input = new Float32Array(part.length * points * POINT_FEATURES);
      part.forEach((c, i) => input.set(pointCloudInput(c, points), i * points * POINT_FEATURES));
      const out = await this.session.run({ points: { data: input, dims: [part.length, points, POINT_FEATURES] } });
      for (const key of keys) {
        const data = out[names[key]]?.data;
        if (!(data instanceof Float32Array) || data.length !== part.length * widths[key]) {
          throw new Error(`internal: world point-cloud model gave no ${names[key]} of ${part.length * widths[key]} floats`);
        }
        result[key].set(data, start * widths[key]);
      }
    }
    return result;
  }

  /** The heads' most likely object, colour and size of each cloud (for oracle rows and checks). */
  async classify(clouds: PointCloud[]): Promise<{ labels: number[]; names: string[]; colours: number[]; sizes: number[] }> {
    const r = await this.run(clouds);
    const B = clouds.length;
    const labels = argmax(r.objectLogits, B, this.config.classes.length);
    return {
      labels,
      names: labels.map((j) => this.config.classes[j]!),
      colours: argmax(r.colourLogits, B, this.config.colours.length),
      sizes: argmax(r.sizeLogits, B, this.config.sizes.length),
    };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function checkConfig(config: WorldPointCloudConfig, where: string): void {
  const ok =
    config?._class_name === 'WorldPointCloudEncoder' &&
    [config.points, config.tokens, config.dim, config.maxPoints].every((v) => Number.isInteger(v) && v > 0) &&
    [config.classes, config.colours, config.sizes].every((a) => Array.isArray(a) && a.length > 0);
  if (!ok) {
    throw new Error(
      `world point-cloud encoder: ${where} is not a point-cloud-encoder config (expected _class_name "WorldPointCloudEncoder", points, tokens, dim, maxPoints, classes, colours, sizes)`,
    );
  }
}
