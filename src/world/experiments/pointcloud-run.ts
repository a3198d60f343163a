/**
 * Point clouds -> image (the paper's fourth modality) on the world: a PointNet-style encoder trained
 * on point clouds alone (src/world/encoders/pointcloud.ts) glued into the frozen generator with
 * GlueNet trained on parallel pairs (a point cloud and the English caption of its object, colour and
 * size), scored on held-out clouds against the naive plug-in and the linear map on the same pairs.
 */
import { join } from 'node:path';
import type { Encoder, PointCloud } from '../../encoders/types.js';
import { pointCloudPairs } from '../data/pointclouds.js';
import { type ConditionSource, glueNetSource, linearSource, naiveSource, nativeSource } from './conditions.js';
import { fitWorldLinearValidated } from './glue.js';
import { type Comparison, compare, type ExperimentModels, type ExperimentSection, features, glue, type Scored } from './run.js';
import { type Expected, type RealFeatures, type RowScore, type Sampling, scoreSource } from './score.js';

export interface PointCloudModels extends Pick<ExperimentModels, 'native' | 'generator' | 'evaluator'> {
  pointcloud: Encoder<'pointcloud'>;
}

export interface PointCloudOptions {
  outDir: string;
  seed: number;
  pairs: number;
  steps: number;
  clouds: number;
  ridges: number[];
  sampling: Sampling;
  real?: RealFeatures;
  log?: (line: string) => void;
  progress?: NodeJS.WritableStream | null;
}

export interface PointCloudResults {
  sections: ExperimentSection[];
  comparisons: Comparison[];
  choices: Record<string, unknown>;
  glueNetDir: string;
  seconds: number;
}

/** Point clouds and what their images should show: the object, its colour and its size (a cloud has no position). */
export function cloudInputs(p: ReturnType<typeof pointCloudPairs>): Scored<PointCloud> {
  return {
    inputs: p.map((x) => x.cloud),
    expected: p.map((x): Expected => ({ attrs: { ...x.attrs, position: 0 }, named: { object: true, colour: true, size: true } })),
  };
}

export async function runPointCloud(models: PointCloudModels, o: PointCloudOptions): Promise<PointCloudResults> {
  const start = Date.now();
  const log = o.log ?? (() => undefined);
  const train = pointCloudPairs(o.pairs, 'train', o.seed);
  const test = pointCloudPairs(o.clouds, 'test', o.seed);
  const { inputs, expected } = cloudInputs(test);
  log(`point clouds: ${train.length} pairs (cloud, English caption of object, colour, size); ${test.length} test clouds`);
  const f = await features(
    models,
    models.pointcloud,
    train.map((p) => ({ input: p.cloud, english: p.english })),
    'point-cloud pairs',
  );
  const uncond = nativeSource(models.native); // "" through the generator's own text encoder, as for sound
  const rows: RowScore[] = [];
  const score = async <I>(src: ConditionSource<I>, xs: I[]): Promise<RowScore> => {
    const r = await scoreSource(src, xs, expected, models.generator, models.evaluator, o.sampling, o.real);
    log(`  ${r.name.padEnd(50)} mean ${(100 * r.mean).toFixed(1)}% [${(100 * r.interval.low).toFixed(1)}, ${(100 * r.interval.high).toFixed(1)}]`);
    rows.push(r);
    return r;
  };
  const native = await score(
    nativeSource(models.native, 'native English caption of the cloud (upper bound)'),
    test.map((p) => p.english),
  );
  const naive = await score(naiveSource('naive plug-in (no alignment)', models.pointcloud, models.generator.condition, uncond), inputs);
  const lin = await fitWorldLinearValidated(f.train, f.val, o.ridges);
  const linear = await score(linearSource('linear least-squares map', models.pointcloud, lin.map, uncond), inputs);
  const glueNetDir = join(o.outDir, 'gluenets', 'pointcloud');
  const t = await glue(f, glueNetDir, { seed: o.seed, progress: o.progress ?? null }, o.steps);
  const gluenet = await score(glueNetSource('GlueNet', models.pointcloud, t.aligner, uncond), inputs);
  await t.aligner.release();
  return {
    sections: [
      {
        title: 'Point clouds to image (object, colour, size)',
        rows,
        notes: [
          `${test.length} test clouds (fresh samplings, rotations and scales); ${o.pairs} pairs, 10% carved for early stopping / the ridge; GlueNet ${o.steps} steps, kept step ${t.kept.step}; linear ridge ${lin.ridge}`,
          `seed ${o.sampling.seed}; ${o.sampling.steps} ${o.sampling.scheduler} steps, guidance ${o.sampling.guidance}; unconditional: "" through the native encoder`,
        ],
      },
    ],
    comparisons: [
      compare('pointcloud-gluenet-vs-linear', gluenet, linear),
      compare('pointcloud-gluenet-vs-naive', gluenet, naive),
      compare('pointcloud-gluenet-vs-native', gluenet, native),
    ],
    choices: { pointcloud: { linear_ridge: lin.ridge, kept_step: t.kept.step, validation_pairs: f.valPairs } },
    glueNetDir,
    seconds: (Date.now() - start) / 1000,
  };
}
