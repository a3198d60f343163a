/**
 * `gluegen world build` trains the bundled world models from scratch; `gluegen world eval --native`
 * scores the shipped (or given) generator with its native text encoder on held-out English prompts.
 */
import { join } from 'node:path';
import { loadEncoder } from '../encoders/registry.js';
import type { Encoder, Modality } from '../encoders/types.js';
import { writeFileAtomic } from '../io/atomic.js';
import { loadWorldModels, worldAssetsDir, worldModelDir } from '../world/assets.js';
import { buildWorld, FD_REAL_IMAGES, FULL_PRESET, LONG_PRESET, PIXEL_PRESET, TINY_PRESET } from '../world/build.js';
import { DEFAULT_SAMPLING, evaluateGeneration, type Prompt } from '../world/eval.js';
import { worldDenoiser } from '../world/experiments/denoiser.js';
import { SHIPPED_GLUENETS, type ShippedGlueNet, shipWorldGlueNets } from '../world/experiments/ship.js';
import { DECODER_FINETUNING, finetuneWorldDecoder } from '../world/finetune-decoder.js';
import { renderPool } from '../world/models/data.js';
import { samplesGrid } from '../world/models/report.js';
import { type Command, numberFlag, parseFlags, UsageError } from './command.js';
import { EXPERIMENTS_USAGE, worldGlueGenEval } from './world-eval.js';
import { PAPER_USAGE, worldPaperEval } from './world-paper.js';

const USAGE = `usage:
  gluegen world build [--out DIR] [--seed S] [--preset full|long|pixel|tiny] [--generator-steps N] [--reuse DIR]
      Train the world's text encoder, generator and evaluator from scratch (seeded) and write
      DIR/{text-encoder,generator,evaluator}/, DIR/build-report.{json,md} and DIR/samples.png.
      --reuse DIR takes the evaluator and text encoder from an earlier build (same seed and preset).
      Defaults: --out assets/world, --seed 1 (the shipped models' seed), --preset full (the shipped build; 'long' trains longer, 'tiny' is a smoke test).
  gluegen world finetune-decoder [--models DIR] [--steps N] [--seed S]
      Fine-tune only the autoencoder's decoder of a built world on its frozen encoder's latents (as
      SD 1.x's ft-MSE VAE): the generator stays valid; rewrites DIR/generator/vae_decoder.onnx and
      vae.safetensors and records the step in the build report. Defaults: the shipped models (the
      shipped decoder was made by \`world build --seed 1\` then this command with its defaults), --steps 800, --seed 1.
  gluegen world eval --native [--models DIR] [--prompts N] [--steps N] [--guidance G] [--seed S] [--samples FILE.png]
      Generate images for N held-out English test prompts with the native text encoder and report
      per-attribute accuracy (as read by the world evaluator) and the Fréchet distance to real images.
      Defaults: the shipped models, --prompts 200, --steps 25, --guidance 3, --seed 0.
${EXPERIMENTS_USAGE}
${PAPER_USAGE}
  gluegen world glue [--out DIR] [--seed S] [--only multilingual,sound,english-large,pointcloud]
      Train the GlueNets the world ships (multilingual, sound, bigger English and point-cloud encoder ->
      native text space) from parallel pairs only, with the recipe, pairs and seed of the GlueNets
      measured by \`gluegen world eval\` (and its --experiment runs); writes DIR/gluenet-NAME for each
      of --only (default: all four; about 20 min on 2 cores) (default --out assets/world).`;

async function glue(argv: string[]): Promise<void> {
  const { values } = parseFlags(argv, { out: { type: 'string' }, seed: { type: 'string' }, only: { type: 'string' } }, 'world glue');
  const out = (values.out as string | undefined) ?? join('assets', 'world');
  const seed = numberFlag(values, 'seed', 'world glue', { integer: true, min: 0, default: 0 })!;
  const only = ((values.only as string | undefined) ?? SHIPPED_GLUENETS.join(',')).split(',').map((x) => x.trim());
  for (const name of only) {
    if (!(SHIPPED_GLUENETS as readonly string[]).includes(name))
      throw new UsageError(`world glue: --only takes ${SHIPPED_GLUENETS.join(', ')} (comma-separated), got '${name}'`);
  }
  const models = await loadWorldModels();
  const encoders: Encoder[] = [];
  const open = async <M extends Modality>(folder: string): Promise<Encoder<M>> => {
    const e = await loadEncoder(worldModelDir(folder));
    encoders.push(e);
    return e as Encoder<M>;
  };
  try {
    const r = await shipWorldGlueNets(
      {
        native: models.encoder,
        multilingual: await open<'text'>('multilingual-encoder'),
        sound: await open<'audio'>('sound-encoder'),
        ...(only.includes('english-large') ? { large: await open<'text'>('english-large-encoder') } : {}),
        ...(only.includes('pointcloud') ? { pointcloud: await open<'pointcloud'>('pointcloud-encoder') } : {}),
        denoiser: await worldDenoiser(worldModelDir('generator')),
      },
      out,
      seed,
      (l) => console.error(l),
      process.stderr,
      only as ShippedGlueNet[],
    );
    console.log(`world glue: wrote ${r.written.join(', ')} in ${(r.seconds / 60).toFixed(1)} min`);
  } finally {
    await models.release();
    for (const e of encoders) await e.release();
  }
}

async function build(argv: string[]): Promise<void> {
  const { values } = parseFlags(
    argv,
    { out: { type: 'string' }, seed: { type: 'string' }, preset: { type: 'string' }, reuse: { type: 'string' }, 'generator-steps': { type: 'string' } },
    'world build',
  );
  const seed = numberFlag(values, 'seed', 'world build', { integer: true, min: 0, default: 1 })!;
  const presetName = (values.preset as string | undefined) ?? 'full';
  const presets = { full: FULL_PRESET, long: LONG_PRESET, pixel: PIXEL_PRESET, tiny: TINY_PRESET };
  if (!(presetName in presets)) throw new UsageError(`world build: --preset must be 'full', 'long', 'pixel' or 'tiny', got '${presetName}'`);
  const out = (values.out as string | undefined) ?? join('assets', 'world');
  const base = presets[presetName as keyof typeof presets];
  const steps = numberFlag(values, 'generator-steps', 'world build', { integer: true, min: 1, max: 1e6 });
  const preset = steps === undefined ? base : { ...base, generatorTraining: { ...base.generatorTraining, steps } };
  const report = await buildWorld({
    out,
    seed,
    preset,
    ...(typeof values.reuse === 'string' ? { reuse: values.reuse } : {}),
    presetName,
    progress: true,
    log: (line) => console.error(line),
  });
  const a = report.evaluation.accuracy;
  console.log(
    `world build: wrote ${out} in ${(report.totalSeconds / 60).toFixed(1)} min; held-out accuracy object ${(100 * a.object.accuracy).toFixed(1)}%, colour ${(100 * a.colour.accuracy).toFixed(1)}%, size ${(100 * a.size.accuracy).toFixed(1)}%, position ${(100 * a.position.accuracy).toFixed(1)}%; FD ${report.evaluation.fd?.toFixed(2)}`,
  );
}

async function finetune(argv: string[]): Promise<void> {
  const { values } = parseFlags(argv, { models: { type: 'string' }, steps: { type: 'string' }, seed: { type: 'string' } }, 'world finetune-decoder');
  const dir = (values.models as string | undefined) ?? worldAssetsDir();
  const steps = numberFlag(values, 'steps', 'world finetune-decoder', { integer: true, min: 1, max: 1e6, default: DECODER_FINETUNING.steps })!;
  const seed = numberFlag(values, 'seed', 'world finetune-decoder', { integer: true, min: 0, default: 1 })!;
  const r = await finetuneWorldDecoder(dir, { ...DECODER_FINETUNING, steps }, seed, true, (l) => console.error(l));
  const show = (a: Record<string, number> | null): string =>
    a
      ? Object.entries(a)
          .map(([k, v]) => `${k} ${(100 * v).toFixed(1)}%`)
          .join(', ')
      : 'not recorded';
  console.log(`world finetune-decoder: ${dir} in ${r.seconds.toFixed(0)} s; validation MSE ${r.valMse[0].toFixed(5)} -> ${r.valMse[1].toFixed(5)}`);
  console.log(`  evaluator on reconstructions before: ${show(r.before)}`);
  console.log(`  evaluator on reconstructions after:  ${show(r.after)}`);
}

async function evaluate(argv: string[]): Promise<void> {
  const { values } = parseFlags(
    argv,
    {
      native: { type: 'boolean' },
      models: { type: 'string' },
      prompts: { type: 'string' },
      steps: { type: 'string' },
      guidance: { type: 'string' },
      seed: { type: 'string' },
      samples: { type: 'string' },
    },
    'world eval',
  );
  if (!values.native)
    throw new UsageError('world eval: pass --native (score the generator with its own text encoder); other encoders are evaluated through GlueNet commands');
  const n = numberFlag(values, 'prompts', 'world eval', { integer: true, min: 4, max: 100000, default: 200 })!;
  const steps = numberFlag(values, 'steps', 'world eval', { integer: true, min: 1, max: 1000, default: DEFAULT_SAMPLING.steps })!;
  const guidance = numberFlag(values, 'guidance', 'world eval', { min: 0, max: 50, default: DEFAULT_SAMPLING.guidance })!;
  const seed = numberFlag(values, 'seed', 'world eval', { integer: true, min: 0, default: 0 })!;
  const dir = (values.models as string | undefined) ?? worldAssetsDir();
  const models = await loadWorldModels(dir);
  try {
    const test = renderPool('test', Math.max(2 * n, FD_REAL_IMAGES), seed);
    const prompts: Prompt[] = test.captions.slice(0, n).map((c, i) => ({ ...c, attrs: test.attrs[i]! }));
    const r = await evaluateGeneration(
      models.generator,
      models.encoder,
      models.evaluator,
      prompts,
      { ...DEFAULT_SAMPLING, steps, guidance, seed: seed + 500 },
      { pixels: test.pixels, n: test.attrs.length },
    );
    console.log(`world eval --native: ${n} held-out prompts, ddim ${steps} steps, guidance ${guidance} (${r.seconds.toFixed(0)} s), models ${dir}`);
    for (const [name, s] of Object.entries(r.accuracy))
      console.log(`  ${name.padEnd(8)} ${(100 * s.accuracy).toFixed(1).padStart(5)}%  (${s.correct}/${s.total} prompts naming it)`);
    console.log(`  FD       ${r.fd?.toFixed(1)}  (${n} real test images against the same reference: ${r.fdRealFloor?.toFixed(1)})`);
    if (typeof values.samples === 'string') {
      const k = Math.min(40, n);
      await writeFileAtomic(
        values.samples,
        samplesGrid(
          r.images.slice(0, k),
          prompts.slice(0, k).map((p) => p.text),
        ),
      );
      console.log(`  samples: ${values.samples}`);
    }
  } finally {
    await models.release();
  }
}

export const worldCommand: Command = {
  name: 'world',
  summary: 'build (train from scratch) or evaluate the bundled miniature world models',
  usage: USAGE,
  async run(argv: string[]): Promise<void> {
    const [sub, ...rest] = argv;
    if (sub === 'build') return build(rest);
    if (sub === 'eval') {
      if (rest.includes('--native')) return evaluate(rest);
      return rest.some((a) => a === '--experiment' || a.startsWith('--experiment=')) ? worldPaperEval(rest) : worldGlueGenEval(rest);
    }
    if (sub === 'glue') return glue(rest);
    if (sub === 'finetune-decoder') return finetune(rest);
    throw new UsageError(`world: unknown subcommand '${sub ?? ''}'; expected 'build', 'finetune-decoder', 'glue' or 'eval' (see \`gluegen world --help\`)`);
  },
};
