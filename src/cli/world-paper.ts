/**
 * `gluegen world eval --experiment NAME`: the rest of the paper on the bundled world, one committed
 * command per experiment (src/world/experiments/{bigger-english,finetune-run,pointcloud-run}.ts),
 * each written as DIR/results.{json,md} and DIR/samples.png.
 */
import { join } from 'node:path';
import { loadEncoder } from '../encoders/registry.js';
import type { Encoder } from '../encoders/types.js';
import { loadWorldModels, worldAssetsDir } from '../world/assets.js';
import { runBiggerEnglish } from '../world/experiments/bigger-english.js';
import { worldDenoiser } from '../world/experiments/denoiser.js';
import { runImageFinetune } from '../world/experiments/finetune-run.js';
import { runPointCloud } from '../world/experiments/pointcloud-run.js';
import { markdownTable, writeResults } from '../world/experiments/report.js';
import type { ExperimentResults } from '../world/experiments/run.js';
import type { Sampling } from '../world/experiments/score.js';
import { FINETUNE_PROMPT_SETS, PAPER_FULL, PAPER_QUICK } from '../world/experiments/settings.js';
import { renderPool } from '../world/models/data.js';
import { numberFlag, parseFlags, UsageError } from './command.js';

export const PAPER_EXPERIMENTS = ['bigger-english', 'finetune', 'pointcloud'] as const;
type PaperExperiment = (typeof PAPER_EXPERIMENTS)[number];

export const PAPER_USAGE = `  gluegen world eval --experiment bigger-english|finetune|pointcloud [--out DIR] [--quick] [--seed S] [--models DIR]
      The rest of the paper on the world, each experiment its own command (<= 60 min on 2 cores):
      bigger-english  a 3x larger English encoder trained on richer English, glued in with GlueNet
                      (the same canonical caption through both encoders); canonical and rich test
                      prompts against the native encoder, the naive plug-in and the linear map.
      finetune        the shipped GlueNets (bigger English, multilingual) finetuned with the frozen
                      generator's denoising loss on 1k / 10k image-caption pairs; before and after.
      pointcloud      a PointNet-style encoder trained on point clouds alone, glued in with GlueNet;
                      object, colour and size against the naive plug-in and the linear map.
      Writes DIR/results.{json,md} and DIR/samples.png (default --out out/world-eval/NAME);
      --quick: the same at CI size (a minute or two).`;

export async function worldPaperEval(argv: string[]): Promise<void> {
  const cmd = 'world eval';
  const { values } = parseFlags(
    argv,
    { experiment: { type: 'string' }, out: { type: 'string' }, quick: { type: 'boolean' }, seed: { type: 'string' }, models: { type: 'string' } },
    cmd,
  );
  const name = values.experiment as string;
  if (!(PAPER_EXPERIMENTS as readonly string[]).includes(name)) {
    throw new UsageError(`world eval: --experiment must be one of ${PAPER_EXPERIMENTS.join(', ')}, got '${name}'`);
  }
  const experiment = name as PaperExperiment;
  const quick = Boolean(values.quick);
  const s = quick ? PAPER_QUICK : PAPER_FULL;
  const out = (values.out as string | undefined) ?? join('out', 'world-eval', experiment);
  const seed = numberFlag(values, 'seed', cmd, { integer: true, min: 0, default: 0 })!;
  const dir = (values.models as string | undefined) ?? worldAssetsDir();
  const world = await loadWorldModels(dir);
  const opened: Encoder[] = [];
  const open = async <M extends Encoder['info']['modality']>(folder: string, modality: M): Promise<Encoder<M>> => {
    const e = await loadEncoder(join(dir, folder));
    opened.push(e);
    if (e.info.modality !== modality) throw new Error(`${join(dir, folder)} holds a ${e.info.modality} encoder; expected ${modality}`);
    return e as Encoder<M>;
  };
  try {
    const realPool = renderPool('test', quick ? 100 : 400, seed + 1);
    const real = await world.evaluator.classify(realPool.pixels, realPool.attrs.length);
    const common = {
      outDir: out,
      seed,
      sampling: { steps: s.samplingSteps, guidance: 3, scheduler: 'ddim', seed: seed + 1000, batch: 64 } satisfies Sampling,
      real: { features: real.features, n: realPool.attrs.length, dim: real.featureDim },
      log: (l: string) => console.error(l),
      progress: process.stderr,
    };
    const base = { native: world.encoder, generator: world.generator, evaluator: world.evaluator };
    let results: ExperimentResults;
    if (experiment === 'bigger-english') {
      results = await runBiggerEnglish({ ...base, large: await open('english-large-encoder', 'text') }, { ...common, ...s.biggerEnglish });
    } else if (experiment === 'finetune') {
      results = await runImageFinetune(
        {
          ...base,
          large: await open('english-large-encoder', 'text'),
          multilingual: await open('multilingual-encoder', 'text'),
          denoiser: await worldDenoiser(join(dir, 'generator')),
          generatorDir: join(dir, 'generator'),
        },
        {
          ...common,
          ...s.finetune,
          ...FINETUNE_PROMPT_SETS(s, quick),
          englishGlueNet: join(dir, 'gluenet-english-large'),
          multilingualGlueNet: join(dir, 'gluenet-multilingual'),
        },
      );
    } else {
      results = await runPointCloud({ ...base, pointcloud: await open('pointcloud-encoder', 'pointcloud') }, { ...common, ...s.pointcloud });
    }
    const files = await writeResults(results, out);
    console.log(markdownTable(results));
    console.log(`${(results.seconds / 60).toFixed(1)} min; written: ${files.join(', ')}`);
  } finally {
    await world.release();
    for (const e of opened) await e.release();
  }
}
