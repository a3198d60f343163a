/**
 * The GlueNets the bundled world ships (assets/world/gluenet-{multilingual,sound,english-large,pointcloud}),
 * trained by `gluegen world glue` with the experiments' recipe and seed: the same pairs, the same
 * validation carve, the same steps, and the denoiser distillation where validation chose it
 * (SHIPPED_CHOICE, from docs/world-eval/results.json `choices`), so the shipped GlueNets are the ones
 * measured there (docs/world-eval, docs/world-eval/bigger-english, docs/world-eval/pointcloud).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Encoder } from '../../encoders/types.js';
import { loadGlueNet, saveGlueNet } from '../../gluenet/checkpoint.js';
import type { DifferentiableDenoiser } from '../../pipeline/denoiser-terms.js';
import { pointCloudPairs } from '../data/pointclouds.js';
import { englishPromptSets } from './bigger-english.js';
import { trainWorldGlueNet } from './glue.js';
import { soundPairs, trainingTextPairs } from './pairs.js';
import { denoiseTerm, features, type GlueRecipe } from './run.js';
import { FULL_SETTINGS, PAPER_FULL } from './settings.js';

/** Whether each shipped GlueNet uses the denoiser distillation, as chosen on validation in the committed run. */
export const SHIPPED_CHOICE = { multilingual: { denoise: false }, sound: { denoise: false } };

/** The GlueNets `gluegen world glue` can train, each named by its encoder. */
export const SHIPPED_GLUENETS = ['multilingual', 'sound', 'english-large', 'pointcloud'] as const;
export type ShippedGlueNet = (typeof SHIPPED_GLUENETS)[number];

export interface ShipModels {
  native: Encoder<'text'>;
  multilingual: Encoder<'text'>;
  sound: Encoder<'audio'>;
  /** Needed only for the GlueNets that read them. */
  large?: Encoder<'text'>;
  pointcloud?: Encoder<'pointcloud'>;
  denoiser: DifferentiableDenoiser;
}

export async function shipWorldGlueNets(
  models: ShipModels,
  outDir: string,
  seed: number,
  log: (line: string) => void = () => undefined,
  progress: NodeJS.WritableStream | null = process.stderr,
  only: readonly ShippedGlueNet[] = SHIPPED_GLUENETS,
): Promise<{ written: string[]; seconds: number }> {
  const start = Date.now();
  const s = FULL_SETTINGS;
  const train = async (name: string, f: Awaited<ReturnType<typeof features>>, recipe: GlueRecipe, denoise: boolean): Promise<string> => {
    const dir = join(outDir, name);
    log(`${name}: ${f.trainPairs} pairs (+${f.valPairs} for validation), ${recipe.steps} steps${denoise ? ', + denoiser distillation' : ''}`);
    const extra = denoise ? { extraLoss: denoiseTerm({ denoiser: models.denoiser }, recipe, seed) } : {};
    await trainWorldGlueNet(f.train, dir, { steps: recipe.steps, seed, progress, validation: f.val, ...extra });
    await keepAlignerOnly(dir);
    return dir;
  };
  const plain = (steps: number): GlueRecipe => ({ steps, denoise: { weight: 0, rows: 0 } });
  const written: string[] = [];
  if (only.includes('multilingual')) {
    const tp = trainingTextPairs(s.pairs, seed);
    const fm = await features(
      models,
      models.multilingual,
      tp.map((p) => ({ input: p.text, english: p.english })),
      'multilingual pairs',
    );
    written.push(await train('gluenet-multilingual', fm, s.multilingualRecipe, SHIPPED_CHOICE.multilingual.denoise));
  }
  if (only.includes('sound')) {
    const sp = soundPairs(s.soundPairs, 'train', seed);
    const fs = await features(
      models,
      models.sound,
      sp.map((p) => ({ input: { samples: p.audio, sampleRate: 16000 }, english: p.english })),
      'sound pairs',
    );
    written.push(await train('gluenet-sound', fs, s.soundRecipe, SHIPPED_CHOICE.sound.denoise));
  }
  if (only.includes('english-large')) {
    if (!models.large) throw new Error('world glue: gluenet-english-large needs the bigger English encoder (english-large-encoder)');
    const large = models.large;
    const b = PAPER_FULL.biggerEnglish;
    const ep = englishPromptSets(b.pairs, b.valPrompts, b.prompts, seed).train;
    const fe = await features(
      models,
      large,
      ep.map((p) => ({ input: p.text, english: p.english })),
      'English caption pairs',
    );
    written.push(await train('gluenet-english-large', fe, plain(b.steps), false));
  }
  if (only.includes('pointcloud')) {
    if (!models.pointcloud) throw new Error('world glue: gluenet-pointcloud needs the point-cloud encoder (pointcloud-encoder)');
    const pointcloud = models.pointcloud;
    const c = PAPER_FULL.pointcloud;
    const cp = pointCloudPairs(c.pairs, 'train', seed);
    const fc = await features(
      models,
      pointcloud,
      cp.map((p) => ({ input: p.cloud, english: p.english })),
      'point-cloud pairs',
    );
    written.push(await train('gluenet-pointcloud', fc, plain(c.steps), false));
  }
  return { written, seconds: (Date.now() - start) / 1000 };
}

/**
 * What ships is what inference needs: config.json, the aligner's weights in half precision and the
 * loss curves. The decoder, discriminator and optimizer state (three quarters of the bytes) are
 * training-only and are reproduced by `gluegen world glue`; with half-precision weights the four
 * GlueNets fit the bundled world's 40 MB budget (loading widens them to float32; the effect on the
 * measured accuracies is checked by scripts/world-half-check.ts).
 */
export async function keepAlignerOnly(dir: string): Promise<void> {
  const g = await loadGlueNet(dir);
  await saveGlueNet(
    dir,
    g.config,
    new Map([...g.weights].filter(([k]) => k.startsWith('aligner.'))),
    { note: 'aligner only, half precision; retrain with gluegen world glue for the decoder and discriminator' },
    'F16',
  );
  for (const f of ['optimizer.safetensors', 'trainer_state.json', 'metrics.jsonl', 'checkpoints']) rmSync(join(dir, f), { force: true, recursive: true });
}
