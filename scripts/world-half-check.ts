/**
 * What storing a GlueNet's aligner in half precision (as the bundled world ships them) does to the
 * measured accuracy: the given float32 GlueNet scored on its experiment's test inputs as is and with
 * every weight rounded to float16, same prompts and seeds, with a paired interval of the difference.
 * Appends the result to docs/world-eval/half-precision.json (or --out FILE).
 * Usage: node dist/scripts/world-half-check.js --gluenet DIR --experiment multilingual|sound|bigger-english|pointcloud [--out FILE]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadEncoder } from '../src/encoders/registry.js';
import type { Encoder, EncoderInput, Modality } from '../src/encoders/types.js';
import { loadGlueNet } from '../src/gluenet/checkpoint.js';
import { alignerFromWeights, type LoadedAligner } from '../src/gluenet/load.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { float16ToFloat32, float32ToFloat16 } from '../src/io/half.js';
import { loadWorldModels, worldModelDir } from '../src/world/assets.js';
import { pointCloudPairs } from '../src/world/data/pointclouds.js';
import { englishPromptSets } from '../src/world/experiments/bigger-english.js';
import { type ConditionSource, glueNetSource, nativeSource } from '../src/world/experiments/conditions.js';
import { multilingualPromptSets, soundPairs } from '../src/world/experiments/pairs.js';
import { cloudInputs } from '../src/world/experiments/pointcloud-run.js';
import { compare, type Scored, soundInputs, textInputs } from '../src/world/experiments/run.js';
import { scoreSource } from '../src/world/experiments/score.js';
import { FULL_SETTINGS, PAPER_FULL } from '../src/world/experiments/settings.js';

const { values } = parseArgs({ options: { gluenet: { type: 'string' }, experiment: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' } } });
const experiments = ['multilingual', 'sound', 'bigger-english', 'pointcloud'] as const;
const experiment = values.experiment as (typeof experiments)[number];
if (!values.gluenet || !experiments.includes(experiment)) {
  console.error(`usage: world-half-check --gluenet DIR --experiment ${experiments.join('|')} [--out FILE]`);
  process.exit(1);
}
const out = values.out ?? join('docs', 'world-eval', 'half-precision.json');
const seed = Number(values.seed ?? 0);
const world = await loadWorldModels();
const g = await loadGlueNet(values.gluenet);
const aligner = async (round: boolean): Promise<LoadedAligner> => {
  const w = new Map([...g.weights].filter(([k]) => k.startsWith('aligner.')).map(([k, v]) => [k, round ? float16ToFloat32(float32ToFloat16(v)) : v]));
  return alignerFromWeights(g.config, w);
};
const folder = { multilingual: 'multilingual-encoder', sound: 'sound-encoder', 'bigger-english': 'english-large-encoder', pointcloud: 'pointcloud-encoder' }[
  experiment
];
const encoder = await loadEncoder(worldModelDir(folder));
// The experiment's own test inputs and sampling (seed 0 runs), so the rows match its results file.
let scored: Scored<unknown>;
if (experiment === 'multilingual')
  scored = textInputs(multilingualPromptSets(FULL_SETTINGS.pairs, FULL_SETTINGS.valPromptsPerLanguage, FULL_SETTINGS.promptsPerLanguage, seed).test);
else if (experiment === 'sound') scored = soundInputs(soundPairs(FULL_SETTINGS.sounds, 'test', seed));
else if (experiment === 'bigger-english') {
  const b = PAPER_FULL.biggerEnglish;
  scored = textInputs(englishPromptSets(b.pairs, b.valPrompts, b.prompts, seed).test.rich);
} else scored = cloudInputs(pointCloudPairs(PAPER_FULL.pointcloud.clouds, 'test', seed));
const uncond = experiment === 'sound' || experiment === 'pointcloud' ? nativeSource(world.encoder) : undefined;
const sampling = { steps: 25, guidance: 3, scheduler: 'ddim', seed: seed + 1000, batch: 64 };
const rows = [];
for (const round of [false, true]) {
  const a = await aligner(round);
  const src = glueNetSource(round ? 'float16 weights' : 'float32 weights', encoder as Encoder<Modality>, a, uncond) as ConditionSource<EncoderInput<Modality>>;
  rows.push(await scoreSource(src, scored.inputs as EncoderInput<Modality>[], scored.expected, world.generator, world.evaluator, sampling));
  await a.release();
}
const c = compare(`half-precision/${experiment}`, rows[1]!, rows[0]!);
const previous = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as { checks: unknown[] }).checks : [];
const check = { experiment, gluenet: values.gluenet.split(/[\\/]/).slice(-2).join('/'), float32: rows[0]!.mean, float16: rows[1]!.mean, comparison: c };
await writeFileAtomic(
  out,
  `${JSON.stringify({ checks: [...previous.filter((p) => (p as { experiment: string }).experiment !== experiment), check] }, null, 2)}\n`,
);
console.log(
  `${experiment}: float32 ${(100 * rows[0]!.mean).toFixed(1)}%, float16 ${(100 * rows[1]!.mean).toFixed(1)}%, difference ${c.diff} [${c.ci_low}, ${c.ci_high}] (n ${c.n}); wrote ${out}`,
);
await encoder.release();
await world.release();
