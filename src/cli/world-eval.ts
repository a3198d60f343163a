/**
 * `gluegen world eval` (without --native): the command-line handler of the GlueGen experiments on the
 * bundled world (src/world/experiments/run.ts), written as results.json, results.md and samples.png.
 */
import { join } from 'node:path';
import { loadTokenizer } from '../encoders/text/tokenizer.js';
import { WorldMultilingualEncoder } from '../encoders/world/multilingual.js';
import { WorldSoundEncoder } from '../encoders/world/sound.js';
import { loadWorldModels, worldAssetsDir, worldModelDir } from '../world/assets.js';
import { worldDenoiser } from '../world/experiments/denoiser.js';
import { markdownTable, writeResults } from '../world/experiments/report.js';
import { runExperiments } from '../world/experiments/run.js';
import { FULL_SETTINGS, QUICK_SETTINGS } from '../world/experiments/settings.js';
import { renderPool } from '../world/models/data.js';
import { numberFlag, parseFlags } from './command.js';

export const EXPERIMENTS_USAGE = `  gluegen world eval [--out DIR] [--pairs N] [--steps N] [--prompts N] [--sounds N] [--quick] [--seed S]
      The GlueGen experiments: glue the multilingual and the sound encoder into the frozen world
      generator with GlueNet (parallel pairs only, or + denoiser distillation, chosen on validation
      prompts), and score every row on the same held-out inputs: native English (upper bound), naive
      plug-in, linear least-squares map, a translator learned from the same pairs, dictionary
      translation (oracle), the ablations (no reconstruction, no adversarial, linear aligner, the
      release's GELU head), data efficiency (100 / 1000 / 10000 pairs), label retrieval for sounds,
      and sound + text mixing. Each row has a 95% bootstrap interval; comparisons a paired one.
      Writes DIR/results.{json,md} and DIR/samples.png (default --out out/world-eval). Defaults are
      the committed run (73 min on 2 cores); --quick: the same at CI size (5 min).
      --prompts: test prompts per language (default 100); --sounds: test sounds (default 300);
      --pairs: multilingual pairs of the full set (default 20000); --steps: GlueNet steps.`;

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
  const s = quick ? QUICK_SETTINGS : FULL_SETTINGS;
  const steps = numberFlag(values, 'steps', cmd, { integer: true, min: 1, default: s.multilingualRecipe.steps })!;
  const world = await loadWorldModels(dir);
  const multilingual = await WorldMultilingualEncoder.load(worldModelDir('multilingual-encoder'));
  const sound = await WorldSoundEncoder.load(worldModelDir('sound-encoder'));
  try {
    const realPool = renderPool('test', quick ? 100 : 400, seed + 1);
    const real = await world.evaluator.classify(realPool.pixels, realPool.attrs.length);
    const results = await runExperiments(
      {
        native: world.encoder,
        nativeTokenizer: await loadTokenizer(join(dir, 'text-encoder')),
        multilingual,
        sound,
        generator: world.generator,
        denoiser: await worldDenoiser(join(dir, 'generator')),
        evaluator: world.evaluator,
      },
      {
        ...s,
        outDir: out,
        seed,
        pairs: numberFlag(values, 'pairs', cmd, { integer: true, min: 100, default: s.pairs })!,
        multilingualRecipe: { ...s.multilingualRecipe, steps },
        soundRecipe: { ...s.soundRecipe, steps: Math.max(1, Math.round((steps * s.soundRecipe.steps) / s.multilingualRecipe.steps)) },
        promptsPerLanguage: numberFlag(values, 'prompts', cmd, { integer: true, min: 1, default: s.promptsPerLanguage })!,
        sounds: numberFlag(values, 'sounds', cmd, { integer: true, min: 1, default: s.sounds })!,
        sampling: { steps: s.samplingSteps, guidance: 3, scheduler: 'ddim', seed: seed + 1000, batch: 64 },
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
