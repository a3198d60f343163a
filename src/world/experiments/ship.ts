/**
 * The GlueNets the bundled world ships (assets/world/gluenet-{multilingual,sound}), trained by
 * `gluegen world glue` with the experiments' recipe and seed: the same pairs, the same validation
 * carve, the same steps, and the denoiser distillation where validation chose it (SHIPPED_CHOICE,
 * from docs/world-eval/results.json `choices`), so the shipped GlueNets are the ones measured there.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Encoder } from '../../encoders/types.js';
import { loadGlueNet, saveGlueNet } from '../../gluenet/checkpoint.js';
import type { DifferentiableDenoiser } from '../../pipeline/denoiser-distill.js';
import { trainWorldGlueNet } from './glue.js';
import { soundPairs, trainingTextPairs } from './pairs.js';
import { denoiseTerm, features, type GlueRecipe } from './run.js';
import { FULL_SETTINGS } from './settings.js';

/** Whether each shipped GlueNet uses the denoiser distillation, as chosen on validation in the committed run. */
export const SHIPPED_CHOICE = { multilingual: { denoise: false }, sound: { denoise: false } };

export interface ShipModels {
  native: Encoder<'text'>;
  multilingual: Encoder<'text'>;
  sound: Encoder<'audio'>;
  denoiser: DifferentiableDenoiser;
}

export async function shipWorldGlueNets(
  models: ShipModels,
  outDir: string,
  seed: number,
  log: (line: string) => void = () => undefined,
  progress: NodeJS.WritableStream | null = process.stderr,
): Promise<{ multilingual: string; sound: string; seconds: number }> {
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
  const tp = trainingTextPairs(s.pairs, seed);
  const fm = await features(
    models,
    models.multilingual,
    tp.map((p) => ({ input: p.text, english: p.english })),
    'multilingual pairs',
  );
  const multilingual = await train('gluenet-multilingual', fm, s.multilingualRecipe, SHIPPED_CHOICE.multilingual.denoise);
  const sp = soundPairs(s.soundPairs, 'train', seed);
  const fs = await features(
    models,
    models.sound,
    sp.map((p) => ({ input: { samples: p.audio, sampleRate: 16000 }, english: p.english })),
    'sound pairs',
  );
  const sound = await train('gluenet-sound', fs, s.soundRecipe, SHIPPED_CHOICE.sound.denoise);
  return { multilingual, sound, seconds: (Date.now() - start) / 1000 };
}

/**
 * What ships is what inference needs: config.json, the aligner's weights and the loss curves. The
 * decoder, discriminator and optimizer state (three quarters of the bytes) are training-only and
 * are reproduced by `gluegen world glue`; this keeps the bundled world within its size budget.
 */
export async function keepAlignerOnly(dir: string): Promise<void> {
  const g = await loadGlueNet(dir);
  await saveGlueNet(dir, g.config, new Map([...g.weights].filter(([k]) => k.startsWith('aligner.'))), {
    note: 'aligner only; retrain with gluegen world glue for the decoder and discriminator',
  });
  for (const f of ['optimizer.safetensors', 'trainer_state.json', 'metrics.jsonl', 'checkpoints']) rmSync(join(dir, f), { force: true, recursive: true });
}
