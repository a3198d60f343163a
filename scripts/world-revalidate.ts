/**
 * Re-decides the recipe of a finished `gluegen world eval` run (pairs only vs + denoiser
 * distillation) on fresh, larger validation sets that share no input with the run (see
 * src/world/experiments/revalidate.ts), and writes DIR/revalidation.json.
 * Usage: node dist/scripts/world-revalidate.js [DIR] [--prompts N per language (100)] [--sounds N (300)]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WorldMultilingualEncoder } from '../src/encoders/world/multilingual.js';
import { WorldSoundEncoder } from '../src/encoders/world/sound.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { loadWorldModels, worldModelDir } from '../src/world/assets.js';
import { revalidate } from '../src/world/experiments/revalidate.js';
import { FULL_SETTINGS } from '../src/world/experiments/settings.js';

const { values, positionals } = parseArgs({
  options: { prompts: { type: 'string' }, sounds: { type: 'string' }, seed: { type: 'string' } },
  allowPositionals: true,
});
const dir = positionals[0] ?? join('out', 'world-eval');
const seed = Number(values.seed ?? 0);
const world = await loadWorldModels();
const multilingual = await WorldMultilingualEncoder.load(worldModelDir('multilingual-encoder'));
const sound = await WorldSoundEncoder.load(worldModelDir('sound-encoder'));
const start = Date.now();
const r = await revalidate({ native: world.encoder, multilingual, sound, generator: world.generator, evaluator: world.evaluator }, dir, FULL_SETTINGS, {
  seed,
  promptsPerLanguage: Number(values.prompts ?? 100),
  sounds: Number(values.sounds ?? 300),
  // The run's own sampling (FULL_SETTINGS, seed + 1000) so the scores are comparable with its rows.
  sampling: { steps: FULL_SETTINGS.samplingSteps, guidance: 3, scheduler: 'ddim', seed: seed + 1000, batch: 64 },
  log: (l) => console.error(l),
});
await writeFileAtomic(join(dir, 'revalidation.json'), `${JSON.stringify({ seconds: (Date.now() - start) / 1000, revalidations: r }, null, 2)}\n`);
console.log(`wrote ${join(dir, 'revalidation.json')}`);
await world.release();
await multilingual.release();
await sound.release();
