/**
 * Point clouds in the library API: PLY bytes or arrays as inputs, refused by pipelines whose encoder
 * takes something else; on the world's point-cloud encoder and GlueNet where they are shipped.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { toPointCloud } from '../../src/api/points.js';
import { GlueGenPipeline, parseParameters, writePly } from '../../src/index.js';

const WORLD = process.env.GLUEGEN_WORLD_DIR ?? fileURLToPath(new URL('../../../assets/world/', import.meta.url));
const shipped = ['generator', 'text-encoder', 'pointcloud-encoder', 'gluenet-pointcloud'].every((p) => existsSync(join(WORLD, p, 'config.json')));

const positions = Float32Array.from({ length: 300 }, (_, i) => Math.sin(i * 0.37));
const colours = new Float32Array(300).fill(0.8);

test('toPointCloud takes PLY bytes or {positions, colours?} and names what is wrong', () => {
  const fromPly = toPointCloud(writePly({ positions, colours }, 'binary_little_endian'), 'star.ply');
  assert.deepEqual(fromPly.positions, positions);
  assert.equal(fromPly.source, 'star.ply');
  assert.equal(toPointCloud({ positions }, 'p').source, 'p');
  assert.throws(() => toPointCloud({ positions: new Float32Array(4) }, 'cloud 2'), /cloud 2: positions has 4 values; expected x y z per point/);
  assert.throws(
    () => toPointCloud({ positions, colours: new Float32Array(3) }),
    /colours must be a Float32Array of \[N, 3\] values like positions \(300\), got 3/,
  );
  assert.throws(() => toPointCloud('star.ply' as never), /must be PLY file bytes \(Uint8Array\) or \{positions/);
  assert.throws(
    () => toPointCloud(new TextEncoder().encode('ply\nformat binary_big_endian 1.0\nend_header\n'), 'be.ply'),
    /be\.ply: header line 2: binary_big_endian/,
  );
});

test('a text pipeline refuses point clouds, saying which encoder takes them', async () => {
  const pipe = await GlueGenPipeline.fromPretrained('world');
  try {
    await assert.rejects(pipe.generate({ prompt: 'a red star', points: { positions } }), /encoder 'world-native' takes text, not point clouds/);
  } finally {
    await pipe.release();
  }
});

test('world-pointcloud: PLY bytes -> an image, the unconditional from the native text encoder', {
  skip: !shipped && `the world's point-cloud encoder and GlueNet are not in ${WORLD}`,
}, async () => {
  const pipe = await GlueGenPipeline.fromPretrained('world', { encoder: 'world-pointcloud' });
  try {
    assert.equal(pipe.info.modality, 'pointcloud');
    assert.equal(pipe.info.gluenet, 'world-pointcloud');
    const ply = writePly({ positions, colours }, 'ascii');
    const request = { steps: 4, guidance: 3, seed: 1 };
    const { images, unconditionalFrom } = await pipe.generate({ points: ply, ...request });
    assert.equal(unconditionalFrom, 'native-text-encoder');
    assert.equal(images.length, 1);
    const arrays = await pipe.generate({ points: { positions, colours }, ...request });
    assert.deepEqual(arrays.images[0]!.data, images[0]!.data, 'the same cloud as bytes or arrays, the same image');
    const other = await pipe.generate({ points: { positions: positions.map((v) => 2 * v), colours }, ...request });
    assert.notDeepEqual(other.images[0]!.data, images[0]!.data, 'a cloud twice the size, another image');
    assert.equal(parseParameters(images[0]!.parameters).values['Point cloud'], 'point cloud 0');
    await assert.rejects(pipe.generate({ points: ply, prompt: 'x' }), /takes point clouds alone; drop prompt and mix/);
    await assert.rejects(pipe.generate({}), /takes point clouds; pass points/);
  } finally {
    await pipe.release();
  }
});
