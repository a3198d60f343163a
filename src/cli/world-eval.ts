/**
 * `gluegen world eval` (without --native): the command-line handler of the GlueGen experiments on the
 * bundled world (src/world/experiments/run.ts), written as results.json, results.md and samples.png.
 */
import { join } from 'node:path';
import { WorldMultilingualEncoder } from '../encoders/world/multilingual.js';
import { WorldSoundEncoder } from '../encoders/world/sound.js';
import { loadWorldModels, worldAssetsDir, worldModelDir } from '../world/assets.js';
import { markdownTable, writeResults } from '../world/experiments/report.js';
import { runExperiments } from '../world/experiments/run.js';
import { renderPool } from '../world/models/data.js';
import { numberFlag, parseFlags } from './command.js';

export const EXPERIMENTS_USAGE = `  gluegen world eval [--out DIR] [--pairs N] [--steps N] [--prompts N] [--sounds N] [--quick] [--seed S]
      The GlueGen experiments: glue the multilingual and the sound encoder into the frozen world
      generator with GlueNet (parallel pairs only), and score every row on the same held-out inputs:
      native English (upper bound), naive plug-in, linear least-squares map, GlueNet and its ablations
      (no reconstruction, no adversarial), word-by-word translation, per-language GlueNets, data
      efficiency (100 / 1000 / 10000 pairs), label retrieval for sounds, and sound + text mixing.
      Writes DIR/results.{json,md} and DIR/samples.png (default --out out/world-eval). --quick: a
      few-minute version (fewer pairs, prompts and steps).`;

export async function worldGlueGenEval(argv: string[]): Promise<void> {
  const cmd = 'world eval';
  const { values } = parseFlags(
    argv,
    {
      out: { type: 'string' },
      pairs: { type: 'string' },
      steps: { type: 'string' },
      prompts: { type: 'string' },
      sounds: { type: 'string' },
      quick: { type: 'boolean' },
      seed: { type: 'string' },
      models: { type: 'string' },
    },
    cmd,
  );
  const quick = Boolean(values.quick);
  const out = (values.out as string | undefined) ?? join('out', 'world-eval');
  const seed = numberFlag(values, 'seed', cmd, { integer: true, min: 0, default: 0 })!;
  const dir = (values.models as string | undefined) ?? worldAssetsDir();
  const world = await loadWorldModels(dir);
  const multilingual = await WorldMultilingualEncoder.load(worldModelDir('multilingual-encoder'));
  const sound = await WorldSoundEncoder.load(worldModelDir('sound-encoder'));
  try {
    const realPool = renderPool('test', quick ? 100 : 400, seed + 1);
    const real = await world.evaluator.classify(realPool.pixels, realPool.attrs.length);
    const results = await runExperiments(
      { native: world.encoder, multilingual, sound, generator: world.generator, evaluator: world.evaluator },
      {
        outDir: out,
        seed,
        pairs: numberFlag(values, 'pairs', cmd, { integer: true, min: 10, default: quick ? 1000 : 5000 })!,
        steps: numberFlag(values, 'steps', cmd, { integer: true, min: 1, default: quick ? 300 : 1500 })!,
        promptsPerLanguage: numberFlag(values, 'prompts', cmd, { integer: true, min: 1, default: quick ? 10 : 40 })!,
        sounds: numberFlag(values, 'sounds', cmd, { integer: true, min: 1, default: quick ? 30 : 100 })!,
        sampling: { steps: quick ? 15 : 25, guidance: 3, scheduler: 'ddim', seed: seed + 1000, batch: 64 },
        dataEfficiency: quick ? [] : [100, 1000, 10000],
        perLanguage: !quick,
        real: { features: real.features, n: realPool.attrs.length, dim: real.featureDim },
        log: (l) => console.error(l),
        progress: process.stderr,
      },
    );
    const files = await writeResults(results, out);
    console.log(markdownTable(results));
    console.log(`${(results.seconds / 60).toFixed(1)} min; written: ${files.join(', ')}`);
  } finally {
    await world.release();
    await multilingual.release();
    await sound.release();
  }
}
