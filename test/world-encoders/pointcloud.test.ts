/**
 * The world point-cloud encoder: the input preparation (centring without rescaling, grey for
 * missing colours, order-independent resampling), clear errors for bad clouds, tiny training
 * (loss falls, deterministic per seed) and the tiny build's folder opened through the registry.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { describeEncoderFolder, loadEncoder } from '../../src/encoders/registry.js';
import type { PointCloud } from '../../src/encoders/types.js';
import { checkPointCloud, NEUTRAL_GREY, pointCloudInput, WorldPointCloudEncoder } from '../../src/encoders/world/pointcloud.js';
import { Rng } from '../../src/util/rng.js';
import { pointCloudPairs, samplePointCloud } from '../../src/world/data/pointclouds.js';
import { buildPointCloudEncoder, DEFAULT_POINTCLOUD_TRAINING, trainPointCloudEncoder } from '../../src/world/encoders/pointcloud.js';

const out = mkdtempSync(join(tmpdir(), 'gluegen-pointcloud-'));
after(() => rmSync(out, { recursive: true, force: true }));

/** The cloud with its points in a shuffled order. */
function shuffled(c: PointCloud, seed: number): PointCloud {
  const n = c.positions.length / 3;
  const order = new Rng(seed).permutation(n);
  const take = (a: Float32Array) => Float32Array.from({ length: a.length }, (_, k) => a[3 * order[Math.floor(k / 3)]! + (k % 3)]!);
  return { positions: take(c.positions), ...(c.colours ? { colours: take(c.colours) } : {}) };
}

/** Rows [x y z r g b] of an input as strings, sorted (a multiset of points). */
const rows = (input: Float32Array, digits = 5): string[] =>
  Array.from({ length: input.length / 6 }, (_, i) => Array.from(input.subarray(6 * i, 6 * i + 6), (v) => (v + 0).toFixed(digits)).join(' ')).sort();

test('input: centred on the mean, never rescaled, grey without colours, the same for any point order', () => {
  const cloud = samplePointCloud({ object: 2, colour: 4, size: 1, scale: 1 }, 300, new Rng(1));
  const shifted: PointCloud = { positions: cloud.positions.map((v, k) => v + [5, -3, 2][k % 3]!), colours: cloud.colours! };
  const input = pointCloudInput(cloud, 300);
  // Shifted points have other float bits, hence another order: compare them as sets.
  assert.deepEqual(rows(pointCloudInput(shifted, 300), 3), rows(input, 3), 'a shifted cloud gives another input');
  for (let a = 0; a < 3; a++) {
    let s = 0;
    for (let i = 0; i < 300; i++) s += input[6 * i + a]!;
    assert.ok(Math.abs(s / 300) < 1e-5, `axis ${a} mean ${s / 300}`);
  }
  // Exactly N points: the same points (as a set), centred, with their own colours, unscaled.
  const mean = [0, 1, 2].map((a) => cloud.positions.filter((_, k) => k % 3 === a).reduce((s, v) => s + v, 0) / 300);
  const expected = new Float32Array(300 * 6);
  for (let i = 0; i < 300; i++) {
    for (let a = 0; a < 3; a++) {
      expected[6 * i + a] = cloud.positions[3 * i + a]! - mean[a]!;
      expected[6 * i + 3 + a] = cloud.colours![3 * i + a]!;
    }
  }
  assert.deepEqual(rows(input), rows(expected));
  assert.deepEqual([...pointCloudInput(shuffled(cloud, 9), 300)], [...input], 'point order changed the input');

  const grey = pointCloudInput({ positions: cloud.positions }, 300);
  for (let i = 0; i < 300; i++) assert.deepEqual([...grey.subarray(6 * i + 3, 6 * i + 6)], [NEUTRAL_GREY, NEUTRAL_GREY, NEUTRAL_GREY]);
});

test('input: more points -> a subset independent of order; fewer -> every point, repeated evenly', () => {
  const big = samplePointCloud({ object: 5, colour: 1, size: 0 }, 2000, new Rng(2));
  const a = pointCloudInput(big, 256);
  assert.deepEqual([...pointCloudInput(shuffled(big, 4), 256)], [...a]);
  const all = new Set(rows(pointCloudInput(big, 2000)));
  const picked = rows(a);
  assert.equal(new Set(picked).size, 256, 'the subset repeats points');
  assert.ok(
    picked.every((r) => all.has(r)),
    'the subset holds points that are not in the cloud',
  );

  const small = samplePointCloud({ object: 5, colour: 1, size: 0 }, 30, new Rng(3));
  const counts = new Map<string, number>();
  for (const r of rows(pointCloudInput(small, 256))) counts.set(r, (counts.get(r) ?? 0) + 1);
  assert.equal(counts.size, 30);
  assert.deepEqual([...new Set(counts.values())].sort(), [8, 9]); // 256 = 30 * 8 + 16
  const one = pointCloudInput({ positions: Float32Array.of(3, 4, 5) }, 4);
  assert.deepEqual([...one], [0, 0, 0, 0.5, 0.5, 0.5, 0, 0, 0, 0.5, 0.5, 0.5, 0, 0, 0, 0.5, 0.5, 0.5, 0, 0, 0, 0.5, 0.5, 0.5]);
});

test('bad clouds are refused with errors naming the cloud and the problem', () => {
  const ok = (positions: number[], extra: Partial<PointCloud> = {}): PointCloud => ({ positions: Float32Array.from(positions), source: 'chair.ply', ...extra });
  const cases: [PointCloud, RegExp][] = [
    [ok([1, 2]), /chair\.ply: positions holds 2 numbers, not a multiple of 3/],
    [ok([]), /chair\.ply: the cloud has no points/],
    [ok([0, Number.NaN, 0]), /chair\.ply: point 0 has y = NaN; coordinates must be finite/],
    [ok([0, 0, 0, 1, 1, Infinity]), /point 1 has z = Infinity/],
    [ok([0, 0, 0], { colours: Float32Array.of(1, 1) }), /colours holds 2 numbers for 1 points; expected 3/],
    [ok([0, 0, 0], { colours: Float32Array.of(255, 0, 0) }), /point 0 has r = 255; colours must lie in \[0, 1\] \(divide 8-bit colours by 255\)/],
    [ok([0, 0, 0, 1, 1, 1, 2, 2, 2]), /has 3 points, more than the 2 this encoder accepts/],
    [{ positions: [1, 2, 3] as unknown as Float32Array }, /cloud 7: positions must be a Float32Array/],
    [null as unknown as PointCloud, /cloud 7: is null/],
  ];
  for (const [cloud, message] of cases) assert.throws(() => checkPointCloud(cloud, 7, 2), message);
  assert.doesNotThrow(() => checkPointCloud(ok([0, 0, 0], { colours: Float32Array.of(0, 0.5, 1) }), 0, 2));
});

test('tiny training lowers the loss and is deterministic per seed', async () => {
  const cfg = { points: 32, widths: [16], tokens: 2, dim: 16, heads: 2, mlpRatio: 2, projDim: 8 };
  const training = { ...DEFAULT_POINTCLOUD_TRAINING, steps: 60, batch: 16, lr: 5e-3, sparseMin: 8 };
  const a = await trainPointCloudEncoder(cfg, training, 4, false);
  const curve = a.loop.lossCurve.map(([, l]) => l);
  const q = Math.max(1, Math.floor(curve.length / 4));
  const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
  assert.ok(mean(curve.slice(-q)) < 0.8 * mean(curve.slice(0, q)), `loss ${curve.map((v) => v.toFixed(2)).join(' ')} did not fall by 20%`);
  assert.ok(!a.weights.has('contrastive_head.weight'), 'the contrastive head is not exported');
  const b = await trainPointCloudEncoder(cfg, { ...training, steps: 3 }, 4, false);
  const c = await trainPointCloudEncoder(cfg, { ...training, steps: 3 }, 4, false);
  assert.deepEqual(Buffer.from(b.onnx), Buffer.from(c.onnx));
});

test('tiny build: a verified folder and report; loadEncoder opens it; features order-invariant; errors name the cloud', async () => {
  const lines: string[] = [];
  const report = await buildPointCloudEncoder({ outDir: out, seed: 2, budget: 'tiny', progress: false, log: (l) => lines.push(l) });
  for (const f of ['pointcloud-encoder/config.json', 'pointcloud-encoder/model.onnx', 'pointcloud-encoder-report.json'])
    assert.ok(existsSync(join(out, f)), `missing ${f}`);
  assert.deepEqual(readdirSync(out).sort(), ['pointcloud-encoder', 'pointcloud-encoder-report.json'], 'temporary folders left behind');
  const saved = JSON.parse(readFileSync(join(out, 'pointcloud-encoder-report.json'), 'utf8')) as typeof report;
  assert.equal(saved.params, report.params);
  assert.ok(report.loss.last < report.loss.first);
  // Smoke check only (40 steps): colour and size are easy; the full build's report is the real measure.
  const e = report.evaluation;
  assert.ok(e.heads.colour > 3 * e.chance.colour && e.heads.size > 0.75, `tiny heads ${JSON.stringify(e.heads)}`);
  assert.equal(e.reorderMaxAbsDiff, 0);
  assert.ok(lines.some((l) => l.startsWith('point-cloud heads, held-out')));

  const dir = join(out, 'pointcloud-encoder');
  assert.deepEqual(describeEncoderFolder(dir), { modality: 'pointcloud', className: 'WorldPointCloudEncoder' });
  const encoder = (await loadEncoder(dir, { threads: 1 })) as WorldPointCloudEncoder;
  try {
    assert.ok(encoder instanceof WorldPointCloudEncoder);
    assert.deepEqual(encoder.info, { name: 'world-pointcloud', modality: 'pointcloud', tokens: 2, dim: 16 });
    const clouds = pointCloudPairs(3, 'test', 5, 100).map((p) => p.cloud);
    const enc = await encoder.encode([...clouds, { positions: Float32Array.of(0.1, 0.2, 0.3) }]);
    assert.deepEqual([enc.batch, enc.tokens, enc.dim, enc.features.length], [4, 2, 16, 4 * 2 * 16]);
    assert.ok(enc.features.every(Number.isFinite));
    const again = await encoder.encode([shuffled(clouds[1]!, 3)]);
    assert.deepEqual([...again.features], [...enc.features.subarray(32, 64)]);
    const r = await encoder.run(clouds);
    for (let i = 0; i < 3; i++) {
      for (let d = 0; d < 16; d++) {
        const m = (enc.features[i * 32 + d]! + enc.features[i * 32 + 16 + d]!) / 2;
        assert.ok(Math.abs(r.pooled[i * 16 + d]! - m) < 1e-5, 'pooler_output is not the mean of the tokens');
      }
    }
    const c = await encoder.classify(clouds);
    assert.equal(c.labels.length, 3);
    assert.ok(c.names.every((n, i) => n === encoder.config.classes[c.labels[i]!]));
    assert.equal((await encoder.encode([])).features.length, 0);
    await assert.rejects(
      encoder.encode([clouds[0]!, { positions: Float32Array.of(1, 2), source: 'scan.ply' }]),
      /world point-cloud encoder: scan\.ply: positions holds 2 numbers/,
    );
  } finally {
    await encoder.release();
  }
  await assert.rejects(WorldPointCloudEncoder.load(out), /world point-cloud encoder: .*config\.json.*buildPointCloudEncoder/);
});
