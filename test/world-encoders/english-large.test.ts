/**
 * The large English encoder at tiny size: the build writes a folder that opens with loadEncoder under
 * its own name and gives [B, 32, D] finite features that ignore padding; the config's name is
 * checked; the training mix is ~60% rich captions. The shipped folder (assets/world) finds the
 * canonical caption of a fresh rich one.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadEncoder } from '../../src/encoders/registry.js';
import { Session } from '../../src/engine/runtime.js';
import { Rng } from '../../src/util/rng.js';
import { worldModelDir } from '../../src/world/assets.js';
import { ALL_NAMED, type Attributes } from '../../src/world/data/attributes.js';
import { captionIn } from '../../src/world/data/captions-multi.js';
import { captionRich } from '../../src/world/data/captions-rich.js';
import { sampleAttributes } from '../../src/world/data/dataset.js';
import { buildLargeEnglishEncoder, type LargeEnglishReport, richOrCanonical } from '../../src/world/encoders/english-large.js';
import { nearestByCosine } from '../../src/world/encoders/probe.js';

const out = mkdtempSync(join(tmpdir(), 'gluegen-english-large-'));
const dir = join(out, 'english-large-encoder');
let report: LargeEnglishReport;
const lines: string[] = [];

before(async () => {
  report = await buildLargeEnglishEncoder({ outDir: out, seed: 4, budget: 'tiny', progress: false, log: (l) => lines.push(l) });
});
after(() => rmSync(out, { recursive: true, force: true }));

test('tiny build writes the folder and report, leaving no temporary folder', () => {
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'model.onnx']) {
    assert.ok(existsSync(join(dir, f)), `missing ${f}`);
  }
  assert.deepEqual(readdirSync(out).sort(), ['english-large-encoder', 'english-large-encoder-report.json']);
  const saved = JSON.parse(readFileSync(join(out, 'english-large-encoder-report.json'), 'utf8')) as LargeEnglishReport;
  assert.equal(saved.params, report.params);
  assert.equal(saved.onnxBytes, readFileSync(join(dir, 'model.onnx')).length);
  assert.deepEqual(
    saved.phases.map((p) => p.name),
    ['vocabulary', 'training', 'evaluation', 'write'],
  );
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(config._class_name, 'WorldMultilingualEncoder');
  assert.equal(config.name, 'world-english-large');
  assert.deepEqual(Object.keys(config.lexicon as object), ['en']);
  // Rich words are in the vocabulary, not only the canonical ones.
  const vocab = (JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } }).model.vocab;
  for (const w of ['crimson', 'sedan', 'minuscule', 'northwest', 'red', 'car', 'small']) assert.ok(w in vocab, `"${w}" missing from the vocabulary`);
  assert.ok(lines.some((l) => l.startsWith('retrieval (pool 20): rich -> canonical')));
});

test('the folder opens with loadEncoder as world-english-large with [B, 32, D] finite features', async () => {
  const encoder = await loadEncoder(dir, { threads: 1 });
  try {
    assert.deepEqual(encoder.info, { name: 'world-english-large', modality: 'text', tokens: 32, dim: 16 });
    const prompts = ['on a quiet morning, a minuscule crimson chime tucked into the top-left corner', 'a red bell', ''];
    const enc = await encoder.encode(prompts);
    assert.deepEqual([enc.batch, enc.tokens, enc.dim, enc.features.length], [3, 32, 16, 3 * 32 * 16]);
    assert.ok(enc.features.every(Number.isFinite));
    // "a red bell" is BOS, 3 words, EOS; "" is BOS EOS.
    assert.deepEqual([...enc.mask!.subarray(32, 38)], [1, 1, 1, 1, 1, 0]);
    assert.deepEqual([...enc.mask!.subarray(64, 67)], [1, 1, 0]);
    // A prompt's features do not depend on the others in its batch.
    const alone = await encoder.encode(['a red bell']);
    assert.deepEqual([...alone.features], [...enc.features.subarray(32 * 16, 64 * 16)]);
  } finally {
    await encoder.release();
  }
});

test('features at real tokens ignore what the padding holds, but not the words', async () => {
  const session = await Session.create(readFileSync(join(dir, 'model.onnx')), { threads: 1 });
  try {
    const T = 32;
    const mask = BigInt64Array.from({ length: T }, (_, k) => (k < 5 ? 1n : 0n));
    const ids = (words: bigint[], pad: bigint) => BigInt64Array.from({ length: T }, (_, k) => (k === 0 ? 1n : k <= 3 ? words[k - 1]! : k === 4 ? 2n : pad));
    const run = async (input: BigInt64Array) =>
      (await session.run({ input_ids: { data: input, dims: [1, T] }, attention_mask: { data: mask, dims: [1, T] } }, { last_hidden_state: null }))
        .last_hidden_state!.data as Float32Array;
    const base = await run(ids([10n, 11n, 12n], 0n));
    const otherPadding = await run(ids([10n, 11n, 12n], 9n));
    const otherWords = await run(ids([10n, 13n, 12n], 0n));
    const realDiff = (a: Float32Array, b: Float32Array) => Math.max(...Array.from({ length: 5 * 16 }, (_, i) => Math.abs(a[i]! - b[i]!)));
    assert.ok(realDiff(base, otherPadding) < 1e-5, `padding changed real-token features by ${realDiff(base, otherPadding)}`);
    assert.ok(realDiff(base, otherWords) > 1e-3, 'a different word left the features unchanged');
  } finally {
    await session.release();
  }
});

test('config name: a bad value is refused with a message naming it; absent means world-multilingual', async () => {
  const copy = mkdtempSync(join(tmpdir(), 'gluegen-english-large-name-'));
  try {
    cpSync(dir, copy, { recursive: true });
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    for (const bad of [42, '', 'has space', 'x'.repeat(65)]) {
      writeFileSync(join(copy, 'config.json'), JSON.stringify({ ...config, name: bad }));
      await assert.rejects(
        loadEncoder(copy, { threads: 1 }),
        (e: Error) => e.message.includes(`has name ${JSON.stringify(bad)}`),
        `name ${JSON.stringify(bad)}`,
      );
    }
    const { name: _, ...unnamed } = config;
    writeFileSync(join(copy, 'config.json'), JSON.stringify(unnamed));
    const encoder = await loadEncoder(copy, { threads: 1 });
    assert.equal(encoder.info.name, 'world-multilingual');
    await encoder.release();
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});

test('training captions are rich about 60% of the time', () => {
  const rng = new Rng(5);
  const n = 4000;
  const rich = Array.from({ length: n }, () => richOrCanonical(rng)).filter((c) => c === captionRich).length / n;
  assert.ok(Math.abs(rich - 0.6) < 0.03, `rich share ${rich}`);
});

test('shipped english-large-encoder: [B, 32, 160] features, a rich caption finds its canonical one', async () => {
  const encoder = await loadEncoder(worldModelDir('english-large-encoder'), { threads: 1 });
  try {
    assert.deepEqual(encoder.info, { name: 'world-english-large', modality: 'text', tokens: 32, dim: 160 });
    // Full descriptions of 40 distinct fresh scenes (seed unlike the build's): rich -> canonical, top-1.
    const rng = new Rng(123);
    const seen = new Set<string>();
    const scenes: Attributes[] = [];
    while (scenes.length < 40) {
      const a = sampleAttributes(rng);
      if (seen.has(JSON.stringify(a))) continue;
      seen.add(JSON.stringify(a));
      scenes.push(a);
    }
    const pooled = async (texts: string[]) => {
      const enc = await encoder.encode(texts);
      const out = new Float32Array(texts.length * 160);
      for (let b = 0; b < texts.length; b++) {
        const n = enc.mask!.subarray(b * 32, (b + 1) * 32).reduce((s, m) => s + m, 0);
        for (let t = 0; t < n; t++) for (let d = 0; d < 160; d++) out[b * 160 + d]! += enc.features[(b * 32 + t) * 160 + d]! / n;
      }
      return out;
    };
    const rich = await pooled(scenes.map((a) => captionRich(a, ALL_NAMED, rng)));
    const plain = await pooled(scenes.map((a) => captionIn('en', a, ALL_NAMED, rng).text));
    const hits = nearestByCosine(rich, plain, 160).filter((j, i) => j === i).length;
    assert.ok(hits >= 36, `only ${hits}/40 rich captions are nearest their canonical caption (chance 1/40)`);
  } finally {
    await encoder.release();
  }
});
