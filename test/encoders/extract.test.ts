// Feature extraction end to end: corpora (TSV, JSONL, UrbanSound8K CSV + WAVs) -> shards +
// manifest, read back and compared with encoding the same rows directly; resume after an
// interruption; the reader on shard folders and single files; bad input errors.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../src/cli/command.js';
import { extractCommand } from '../../src/cli/extract.js';
import { decodeWav, encodeWav } from '../../src/encoders/audio/index.js';
import { OnnxAudioEncoder } from '../../src/encoders/audio/onnx-audio-encoder.js';
import { readCorpus } from '../../src/encoders/corpus.js';
import { extractFeatures } from '../../src/encoders/extract.js';
import { OnnxTextEncoder } from '../../src/encoders/text/onnx-text-encoder.js';
import type { Encoder } from '../../src/encoders/types.js';
import { readFeatureStore } from '../../src/io/feature-shards.js';
import { roundToFloat16 } from '../../src/io/half.js';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/encoders/', import.meta.url));
const PROMPTS = ['a photo of a cat', 'the red dog', '', 'big sky', 'hello world', 'cat on the dog', 'a painting of the sky'];
const TSV = `${['fr\ten', ...PROMPTS.map((p, i) => `texte ${i}\t${p}`)].join('\n')}\n`;

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'gluegen-extract-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Wraps an encoder and counts the rows it is asked to encode. */
function counting<M extends 'text' | 'audio'>(inner: Encoder<M>): Encoder<M> & { rows: number } {
  const c = {
    info: inner.info,
    rows: 0,
    release: () => inner.release(),
    encode: async (xs: Parameters<Encoder<M>['encode']>[0]) => ((c.rows += xs.length), inner.encode(xs)),
  };
  return c;
}

/** Every row of a feature set, with the store closed again. */
async function readAllRows(path: string) {
  const store = await readFeatureStore(path);
  try {
    return await store.readAll();
  } finally {
    await store.close();
  }
}

const clipEncoder = () => OnnxTextEncoder.load(join(FIXTURES, 'clip'), { maxLength: 8 });

test('extract: TSV column -> shards + manifest; read back equals direct encoding; fp16 rounds', async () => {
  await withTmp(async (dir) => {
    await writeFile(join(dir, 'pairs.tsv'), TSV);
    const corpus = await readCorpus(join(dir, 'pairs.tsv'), { column: 'old', modality: 'text' }); // 'old' = second column
    assert.equal(corpus.column, 'en');
    assert.deepEqual(corpus.items, PROMPTS);
    const enc = await clipEncoder();
    try {
      const { manifest, written } = await extractFeatures({ encoder: enc, corpus, outDir: join(dir, 'out'), batchSize: 2, shardSize: 3, progress: false });
      assert.deepEqual(written, [0, 1, 2]);
      assert.deepEqual(
        manifest.shards.map((s) => [s.file, s.start, s.rows]),
        [
          ['features-00000.safetensors', 0, 3],
          ['features-00001.safetensors', 3, 3],
          ['features-00002.safetensors', 6, 1],
        ],
      );
      const onDisk = JSON.parse(await readFile(join(dir, 'out', 'manifest.json'), 'utf8'));
      assert.deepEqual(
        [onDisk.rows, onDisk.tokens, onDisk.dim, onDisk.dtype, onDisk.mask, onDisk.complete, onDisk.source.column],
        [7, 8, 32, 'fp32', true, true, 'en'],
      );
      // Shards are plain safetensors files any reader accepts.
      const shard = await readSafetensors(join(dir, 'out', 'features-00001.safetensors'));
      assert.deepEqual(shard.tensors.get('features')!.shape, [3, 8, 32]);
      assert.deepEqual(shard.tensors.get('mask')!.shape, [3, 8]);

      const direct = await enc.encode(PROMPTS);
      const store = await readFeatureStore(join(dir, 'out'));
      const all = await store.readAll();
      assert.deepEqual([store.rows, store.tokens, store.dim, store.hasMask], [7, 8, 32, true]);
      assert.deepEqual(Array.from(all.features), Array.from(direct.features));
      assert.deepEqual(Array.from(all.mask!), Array.from(direct.mask!));
      // A range across the shard boundary, and lazy batches.
      const mid = await store.readRows(2, 3);
      assert.deepEqual(Array.from(mid.features), Array.from(direct.features.subarray(2 * 256, 5 * 256)));
      const seen: number[] = [];
      for await (const b of store.batches(4)) seen.push(b.start, b.count, b.features.length);
      assert.deepEqual(seen, [0, 4, 4 * 256, 4, 3, 3 * 256]);
      // Shuffled rows across shards, as a training batch draws them.
      const rowOf = (r: number) => Array.from(direct.features.subarray(r * 256, (r + 1) * 256));
      assert.deepEqual(Array.from(await store.gather([6, 2, 3, 0])), [6, 2, 3, 0].flatMap(rowOf));
      await store.close();

      await extractFeatures({ encoder: enc, corpus, outDir: join(dir, 'half'), dtype: 'fp16', progress: false });
      const half = await readAllRows(join(dir, 'half'));
      assert.deepEqual(Array.from(half.features), Array.from(direct.features, roundToFloat16));
    } finally {
      await enc.release();
    }
  });
});

test('extract: an interrupted run resumes, redoing only missing shards, ignoring stale temp files', async () => {
  await withTmp(async (dir) => {
    await writeFile(join(dir, 'pairs.tsv'), TSV);
    const corpus = await readCorpus(join(dir, 'pairs.tsv'), { column: 'en', modality: 'text' });
    const enc = await clipEncoder();
    try {
      const out = join(dir, 'out');
      const first = counting(enc);
      const crash = new Error('simulated kill');
      await assert.rejects(
        extractFeatures({
          encoder: first,
          corpus,
          outDir: out,
          batchSize: 2,
          shardSize: 3,
          progress: false,
          onShard: (i) => {
            if (i === 0) throw crash;
          },
        }),
        /simulated kill/,
      );
      assert.equal(first.rows, 3);
      await assert.rejects(readFeatureStore(out), /incomplete \(1 of 3 shards\); rerun gluegen extract/);
      // A half-written temporary file as a killed writer leaves it.
      await writeFile(join(out, '.features-00001.safetensors.tmp-999-abcdef'), 'garbage');
      const second = counting(enc);
      const { written, skipped } = await extractFeatures({ encoder: second, corpus, outDir: out, batchSize: 2, shardSize: 3, progress: false });
      assert.deepEqual([skipped, written, second.rows], [[0], [1, 2], 4]);
      assert.deepEqual((await readdir(out)).sort(), [
        'features-00000.safetensors',
        'features-00001.safetensors',
        'features-00002.safetensors',
        'manifest.json',
      ]);
      const direct = await enc.encode(PROMPTS);
      assert.deepEqual(Array.from((await readAllRows(out)).features), Array.from(direct.features));
      // A corrupt shard (e.g. copied partially) is recomputed rather than trusted.
      await writeFile(join(out, 'features-00002.safetensors'), 'broken');
      const third = counting(enc);
      assert.deepEqual((await extractFeatures({ encoder: third, corpus, outDir: out, batchSize: 2, shardSize: 3, progress: false })).written, [2]);
      assert.equal(third.rows, 1);
      // The same folder with other settings is refused.
      await assert.rejects(
        extractFeatures({ encoder: enc, corpus, outDir: out, shardSize: 4, progress: false }),
        /different extraction \(shard size: was 3, now 4\)/,
      );
      const other = await readCorpus(join(dir, 'pairs.tsv'), { column: 'fr', modality: 'text' });
      await assert.rejects(
        extractFeatures({ encoder: enc, corpus: other, outDir: out, shardSize: 3, progress: false }),
        /different extraction \(column: was en, now fr\)/,
      );
    } finally {
      await enc.release();
    }
  });
});

test('corpus errors name the file and line: TSV fields, JSONL syntax / keys, missing column, limit', async () => {
  await withTmp(async (dir) => {
    const tsv = join(dir, 'bad.tsv');
    await writeFile(tsv, 'fr\ten\nun\tone\ndeux only\n');
    await assert.rejects(readCorpus(tsv, { column: 'en', modality: 'text' }), new RegExp(`${tsv.replace(/[.]/g, '\\.')}:3: expected 2 tab-separated fields`));
    await writeFile(tsv, 'fr\ten\nun\tone\n');
    await assert.rejects(readCorpus(tsv, { column: 'de', modality: 'text' }), /no column 'de'; it has 'fr', 'en'/);
    const jsonl = join(dir, 'c.jsonl');
    await writeFile(jsonl, '{"new": "un chat", "old": "a cat"}\n\n{"new": "un chien", "old": "a dog"}\n');
    assert.deepEqual((await readCorpus(jsonl, { column: 'old', modality: 'text' })).items, ['a cat', 'a dog']);
    assert.deepEqual((await readCorpus(jsonl, { column: 'new', modality: 'text', limit: 1 })).items, ['un chat']);
    await writeFile(jsonl, '{"new": "un chat", "old": "a cat"}\n{"new": "un chien", old: 1}\n');
    await assert.rejects(readCorpus(jsonl, { column: 'old', modality: 'text' }), /c\.jsonl:2: not valid JSON/);
    await writeFile(jsonl, '{"new": "un chat", "old": "a cat"}\n{"new": "un chien"}\n');
    await assert.rejects(readCorpus(jsonl, { column: 'old', modality: 'text' }), /c\.jsonl:2: no key 'old'/);
    await writeFile(jsonl, '{"old": 5}\n');
    await assert.rejects(readCorpus(jsonl, { column: 'old', modality: 'text' }), /c\.jsonl:1: 'old' must be a string, got number/);
    await assert.rejects(readCorpus(join(dir, 'c.txt'), { column: 'x', modality: 'text' }), /unknown format '\.txt'/);
  });
});

/** An UrbanSound8K-shaped tree: metadata/UrbanSound8K.csv and audio/fold<k>/<file>.wav. */
async function urbanSound(dir: string): Promise<{ csv: string; clips: { samples: Float32Array; sampleRate: number }[] }> {
  const specs = [
    { file: '100032-3-0-0.wav', fold: 1, id: 3, cls: 'dog_bark', rate: 22050 },
    { file: '100263-2-0-117.wav', fold: 2, id: 2, cls: 'children_playing', rate: 44100 },
    { file: '100648-1-0-0.wav', fold: 1, id: 1, cls: 'car_horn', rate: 16000 },
  ];
  const clips = [];
  for (const [k, s] of specs.entries()) {
    const samples = Float32Array.from({ length: Math.round(s.rate * 0.25) }, (_, i) => 0.3 * Math.sin((2 * Math.PI * (200 + 150 * k) * i) / s.rate));
    await mkdir(join(dir, 'audio', `fold${s.fold}`), { recursive: true });
    const bytes = encodeWav([samples, samples], s.rate, 'pcm16'); // stereo: mixed to mono on load
    await writeFile(join(dir, 'audio', `fold${s.fold}`, s.file), bytes);
    clips.push({ samples: decodeWav(bytes).channels[0]!, sampleRate: s.rate }); // as quantised to 16 bits
  }
  const csv = join(dir, 'metadata', 'UrbanSound8K.csv');
  await mkdir(join(dir, 'metadata'), { recursive: true });
  await writeFile(
    csv,
    `${['slice_file_name,fsID,start,end,salience,fold,classID,class', ...specs.map((s) => `${s.file},1,0,4,1,${s.fold},${s.id},${s.cls}`)].join('\n')}\n`,
  );
  return { csv, clips };
}

test('extract: UrbanSound8K CSV + WAVs at several rates through an audio encoder; class column through a text encoder', async () => {
  await withTmp(async (dir) => {
    const { csv, clips } = await urbanSound(dir);
    const corpus = await readCorpus(csv, { column: 'audio', modality: 'audio' }); // audio root defaults to ../audio
    assert.deepEqual(
      corpus.items.map((p) => p.slice(dir.length)),
      ['/audio/fold1/100032-3-0-0.wav', '/audio/fold2/100263-2-0-117.wav', '/audio/fold1/100648-1-0-0.wav'],
    );
    const enc = await OnnxAudioEncoder.load(join(FIXTURES, 'wav2vec2'));
    try {
      const { manifest } = await extractFeatures({ encoder: enc, corpus, outDir: join(dir, 'out'), batchSize: 2, progress: false });
      assert.equal(manifest.mask, false);
      const stored = await readAllRows(join(dir, 'out'));
      const direct = await enc.encode(clips);
      let worst = 0;
      stored.features.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - direct.features[i]!))));
      assert.ok(worst < 1e-5, `max diff ${worst}`);
      assert.equal(stored.mask, undefined);
    } finally {
      await enc.release();
    }
    const classes = await readCorpus(csv, { column: 'class', modality: 'text' });
    assert.deepEqual(classes.items, ['dog_bark', 'children_playing', 'car_horn']);
  });
});

test('extract: missing and unreadable WAVs are one-line errors naming the file', async () => {
  await withTmp(async (dir) => {
    const { csv } = await urbanSound(dir);
    await rm(join(dir, 'audio', 'fold2', '100263-2-0-117.wav'));
    await assert.rejects(
      readCorpus(csv, { column: 'audio', modality: 'audio' }),
      /UrbanSound8K\.csv:3: WAV file .*fold2\/100263-2-0-117\.wav does not exist; check --audio-root/,
    );
    await writeFile(join(dir, 'audio', 'fold2', '100263-2-0-117.wav'), 'this is not a wav file at all');
    const corpus = await readCorpus(csv, { column: 'audio', modality: 'audio' });
    const enc = await OnnxAudioEncoder.load(join(FIXTURES, 'wav2vec2'));
    try {
      const err = await extractFeatures({ encoder: enc, corpus, outDir: join(dir, 'out'), batchSize: 1, progress: false }).catch((e: Error) => e);
      assert.ok(err instanceof Error);
      assert.match(err.message, /100263-2-0-117\.wav: not a WAV file/);
      assert.ok(!err.message.includes('\n'));
    } finally {
      await enc.release();
    }
  });
});

test('readFeatureStore: a single .safetensors with features (F16), partial reads; bad paths', async () => {
  await withTmp(async (dir) => {
    const values = Float32Array.from({ length: 5 * 3 * 2 }, (_, i) => i / 8);
    await writeSafetensors(join(dir, 'f.safetensors'), { features: { dtype: 'F16', shape: [5, 3, 2], data: values } });
    const store = await readFeatureStore(join(dir, 'f.safetensors'));
    assert.deepEqual([store.rows, store.tokens, store.dim, store.hasMask, store.manifest], [5, 3, 2, false, null]);
    assert.deepEqual(Array.from((await store.readRows(3, 2)).features), Array.from(values.subarray(18)));
    await assert.rejects(store.readRows(4, 2), /rows \[4, 6\) are outside the 5 stored rows/);
    // Gathered rows in any order (shuffled batches), runs of consecutive rows included.
    assert.deepEqual(Array.from(await store.gather([4, 0, 1, 2])), [...values.subarray(24, 30), ...values.subarray(0, 18)]);
    await assert.rejects(store.gather([5]), /row 5 is outside the 5 stored rows/);
    await store.close();
    await writeSafetensors(join(dir, 'g.safetensors'), { other: { dtype: 'F32', shape: [1], data: Float32Array.of(1) } });
    await assert.rejects(readFeatureStore(join(dir, 'g.safetensors')), /no 'features' tensor \(it has other\)/);
    await assert.rejects(readFeatureStore(join(dir, 'none')), /do not exist; run gluegen extract/);
    await assert.rejects(readFeatureStore(dir), /has no manifest\.json/);
  });
});

test('cli: gluegen extract writes shards; flag errors are UsageErrors', async () => {
  await withTmp(async (dir) => {
    await writeFile(join(dir, 'pairs.tsv'), TSV);
    const args = ['--encoder', join(FIXTURES, 'clip'), '--input', join(dir, 'pairs.tsv'), '--out', join(dir, 'out')];
    const log = console.log;
    const lines: string[] = [];
    console.log = (s: string) => lines.push(s);
    try {
      await extractCommand.run([...args, '--column', 'new', '--limit', '3', '--max-length', '8', '--dtype', 'fp16']);
    } finally {
      console.log = log;
    }
    assert.match(lines.join('\n'), /3 rows x 8 tokens x 32 dims \(fp16\)/);
    const store = await readFeatureStore(join(dir, 'out'));
    assert.deepEqual([store.rows, store.manifest!.source.column], [3, 'fr']);
    await store.close();
    await assert.rejects(extractCommand.run(args), (e: unknown) => e instanceof UsageError && /--column is required/.test(e.message));
    await assert.rejects(
      extractCommand.run([...args, '--column', 'new', '--dtype', 'bf16']),
      (e: unknown) => e instanceof UsageError && /--dtype must be fp16 or fp32/.test(e.message),
    );
    await assert.rejects(
      extractCommand.run([...args, '--column', 'new', '--batch-size', '0']),
      (e: unknown) => e instanceof UsageError && /--batch-size must be an integer >= 1/.test(e.message),
    );
    await assert.rejects(
      extractCommand.run(['--encoder', join(dir, 'nope'), '--input', 'x.tsv', '--out', 'o', '--column', 'new']),
      (e: unknown) => e instanceof UsageError && /does not exist/.test(e.message),
    );
  });
});
