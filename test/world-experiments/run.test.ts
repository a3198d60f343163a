/**
 * The world experiments end to end at a CI size (`gluegen world eval --quick` is the same code with
 * larger numbers): every row scored on the same inputs, comparisons recomputable from the rows, and
 * results.json carrying the machine-readable comparisons and per-input outcomes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadTokenizer } from '../../src/encoders/text/tokenizer.js';
import { WorldMultilingualEncoder } from '../../src/encoders/world/multilingual.js';
import { WorldSoundEncoder } from '../../src/encoders/world/sound.js';
import { loadWorldModels, type WorldModels, worldModelDir } from '../../src/world/assets.js';
import { worldDenoiser } from '../../src/world/experiments/denoiser.js';
import { writeResults } from '../../src/world/experiments/report.js';
import { type ExperimentResults, runExperiments } from '../../src/world/experiments/run.js';

let world: WorldModels;
let multilingual: WorldMultilingualEncoder;
let sound: WorldSoundEncoder;
let results: ExperimentResults;
const out = mkdtempSync(join(tmpdir(), 'world-eval-'));

before(async () => {
  world = await loadWorldModels();
  multilingual = await WorldMultilingualEncoder.load(worldModelDir('multilingual-encoder'));
  sound = await WorldSoundEncoder.load(worldModelDir('sound-encoder'));
  results = await runExperiments(
    {
      native: world.encoder,
      nativeTokenizer: await loadTokenizer(worldModelDir('text-encoder')),
      multilingual,
      sound,
      generator: world.generator,
      denoiser: await worldDenoiser(worldModelDir('generator')),
      evaluator: world.evaluator,
    },
    {
      outDir: out,
      seed: 3,
      pairs: 300,
      soundPairs: 100,
      multilingualRecipe: { steps: 12, denoise: { weight: 1, rows: 4 } },
      soundRecipe: { steps: 8, denoise: { weight: 1, rows: 4 } },
      promptsPerLanguage: 3,
      valPromptsPerLanguage: 1,
      sounds: 10,
      valSounds: 4,
      sampling: { steps: 4, guidance: 3, scheduler: 'ddim', seed: 5, batch: 64 },
      dataEfficiency: [],
      translatorSteps: 10,
      ridges: [1],
      ablations: false,
      progress: null,
    },
  );
});

after(async () => {
  await world.release();
  await multilingual.release();
  await sound.release();
});

test('the required comparisons are there, each recomputable from its two rows on the same inputs', () => {
  const names = results.comparisons.map((c) => c.name);
  for (const n of ['gluenet-vs-linear/multilingual', 'gluenet-vs-native/multilingual', 'denoiser-distill/multilingual', 'gluenet-vs-linear/sound']) {
    assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
  }
  // Row names repeat across sections; a comparison's name ends in its section (or a pair count: multilingual).
  const section = (name: string) => results.sections[name.endsWith('/sound') ? 1 : 0]!;
  for (const c of results.comparisons) {
    const rows = section(c.name).rows;
    const a = rows.find((r) => r.name === c.a)!;
    const b = rows.find((r) => r.name === c.b)!;
    assert.equal(a.n, b.n);
    assert.equal(c.n, a.n);
    assert.ok(Math.abs(c.diff - 100 * (a.mean - b.mean)) < 0.01, `${c.name}: ${c.diff} vs ${100 * (a.mean - b.mean)}`);
    assert.ok(c.ci_low <= c.diff + 1e-9 && c.diff <= c.ci_high + 1e-9, `${c.name}: ${c.ci_low} <= ${c.diff} <= ${c.ci_high}`);
  }
  const chosen = (results.choices.multilingual as { chosen: string }).chosen;
  assert.match(chosen, /^(parallel pairs only|with denoiser distillation)$/);
});

test('every row carries n, a 95% interval around its mean and its per-input outcomes; results.json is machine-readable', async () => {
  const multi = results.sections[0]!;
  for (const r of multi.rows) {
    assert.equal(r.n, 18);
    assert.equal(r.items.length, 18);
    assert.ok(r.interval.low <= r.mean + 1e-12 && r.mean <= r.interval.high + 1e-12, r.name);
  }
  await writeResults(results, out);
  const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as {
    comparisons: { name: string; a: string; b: string; n: number; diff: number; ci_low: number; ci_high: number }[];
    sections: { rows: { name: string; n: number; outcomes: Record<string, string> }[] }[];
  };
  assert.deepEqual(
    json.comparisons.map((c) => Object.keys(c).sort()),
    json.comparisons.map(() => ['a', 'b', 'ci_high', 'ci_low', 'diff', 'n', 'name']),
  );
  const row = json.sections[0]!.rows[0]!;
  assert.equal(row.outcomes.object!.length, row.n);
  assert.match(row.outcomes.object!, /^[01-]+$/);
});
