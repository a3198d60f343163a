/**
 * The measurements behind the world's GlueNet recipe (docs/world-eval/README.md, "Recipe"): on the
 * experiments' training pairs, the share of the native features below the release head's GELU floor
 * and the scales that set the loss weights, for the multilingual and the sound encoder.
 * Writes docs/world-eval/feature-stats.json.  Usage: node dist/scripts/world-feature-stats.js [N pairs (4000)]
 */
import { join } from 'node:path';
import { WorldMultilingualEncoder } from '../src/encoders/world/multilingual.js';
import { WorldSoundEncoder } from '../src/encoders/world/sound.js';
import { suggestedScales } from '../src/gluenet/stats.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { loadWorldModels, worldModelDir } from '../src/world/assets.js';
import { type PairedFeatures, pairedFeatures } from '../src/world/experiments/glue.js';
import { soundPairs, trainingTextPairs } from '../src/world/experiments/pairs.js';

const n = Number(process.argv[2] ?? 4000);
const world = await loadWorldModels();
const multilingual = await WorldMultilingualEncoder.load(worldModelDir('multilingual-encoder'));
const sound = await WorldSoundEncoder.load(worldModelDir('sound-encoder'));

async function describe(f: PairedFeatures): Promise<Record<string, unknown>> {
  const s = await suggestedScales(f.x, f.cond);
  const targetVariance = 1 / s.loss_weights.distill;
  const xVariance = 1 / s.loss_weights.rec;
  return {
    pairs: f.x.rows,
    below_gelu_floor: Number(s.belowGeluFloor.toFixed(4)),
    x_scale: s.x_scale,
    mean_cond_norm: Number((s.cond_norm.reduce((a, b) => a + b, 0) / s.cond_norm.length).toFixed(3)),
    target_variance: Number(targetVariance.toPrecision(4)),
    scaled_x_variance: Number(xVariance.toPrecision(4)),
    // What the release's weights (distill 1e4, rec 1e4) make of these scales at a zero predictor.
    release_weights_start: { distill: Number((1e4 * targetVariance).toFixed(1)), rec: Number((1e4 * xVariance).toFixed(1)) },
    derived_loss_weights: s.loss_weights,
  };
}

const tp = trainingTextPairs(n, 0).filter((p) => p.text !== '');
const sp = soundPairs(Math.min(n, 4000), 'train', 0);
const stats = {
  multilingual: await describe(
    await pairedFeatures(
      multilingual,
      tp.map((p) => p.text),
      world.encoder,
      tp.map((p) => p.english),
      'multilingual',
    ),
  ),
  sound: await describe(
    await pairedFeatures(
      sound,
      sp.map((p) => ({ samples: p.audio, sampleRate: 16000 })),
      world.encoder,
      sp.map((p) => p.english),
      'sound',
    ),
  ),
};
const out = join('docs', 'world-eval', 'feature-stats.json');
await writeFileAtomic(out, `${JSON.stringify(stats, null, 2)}\n`);
console.log(JSON.stringify(stats, null, 2));
console.log(`wrote ${out}`);
await world.release();
await multilingual.release();
await sound.release();
