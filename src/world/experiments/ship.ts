/**
 * The GlueNets the bundled world ships (assets/world/gluenet-{multilingual,sound}), trained from
 * parallel pairs by `gluegen world glue` with a fixed seed, so the demo and the server work out of
 * the box and anyone can reproduce them.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Encoder } from '../../encoders/types.js';
import { loadGlueNet, saveGlueNet } from '../../gluenet/checkpoint.js';
import { pairedFeatures, trainWorldGlueNet } from './glue.js';
import { soundPairs, textPairs } from './pairs.js';

export interface ShipBudget {
  multilingualPairs: number;
  multilingualSteps: number;
  soundPairs: number;
  soundSteps: number;
}

export const SHIP_BUDGET: ShipBudget = { multilingualPairs: 6000, multilingualSteps: 2000, soundPairs: 2000, soundSteps: 1000 };

export async function shipWorldGlueNets(
  enc: { native: Encoder<'text'>; multilingual: Encoder<'text'>; sound: Encoder<'audio'> },
  outDir: string,
  seed: number,
  budget: ShipBudget = SHIP_BUDGET,
  log: (line: string) => void = () => undefined,
  progress: NodeJS.WritableStream | null = process.stderr,
): Promise<{ multilingual: string; sound: string; seconds: number }> {
  const start = Date.now();
  log(`multilingual GlueNet: ${budget.multilingualPairs} caption pairs (zh fr es it ja de -> en), ${budget.multilingualSteps} steps`);
  const tp = textPairs('all', budget.multilingualPairs, 'train', seed);
  const fm = await pairedFeatures(
    enc.multilingual,
    tp.map((p) => p.text),
    enc.native,
    tp.map((p) => p.english),
    'multilingual pairs',
  );
  const multilingual = join(outDir, 'gluenet-multilingual');
  await trainWorldGlueNet(fm, multilingual, { steps: budget.multilingualSteps, seed, progress });
  log(`sound GlueNet: ${budget.soundPairs} sound/label pairs, ${budget.soundSteps} steps`);
  const sp = soundPairs(budget.soundPairs, 'train', seed);
  const fs = await pairedFeatures(
    enc.sound,
    sp.map((p) => ({ samples: p.audio, sampleRate: 16000 })),
    enc.native,
    sp.map((p) => p.english),
    'sound pairs',
  );
  const sound = join(outDir, 'gluenet-sound');
  await trainWorldGlueNet(fs, sound, { steps: budget.soundSteps, seed, progress });
  await keepAlignerOnly(multilingual);
  await keepAlignerOnly(sound);
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
