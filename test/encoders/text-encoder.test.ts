// OnnxTextEncoder on the tiny fixture exports: the ids, mask and token types it feeds are checked by
// running the same ONNX file directly with ids worked out by hand from the fixture vocabularies.

import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { OnnxTextEncoder } from '../../src/encoders/text/onnx-text-encoder.js';
import { type HostTensor, Session } from '../../src/engine/runtime.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/encoders/', import.meta.url));
const fixture = (rel: string) => join(FIXTURES, rel);

/** Runs the ONNX file directly: the independent reference. */
async function runDirect(model: string, feeds: Record<string, HostTensor>): Promise<Float32Array> {
  const s = await Session.create(fixture(model), { threads: 1 });
  try {
    return (await s.run(feeds)).last_hidden_state!.data as Float32Array;
  } finally {
    await s.release();
  }
}

/** Row of length `length`: the given ids then `pad`. */
const padded = (ids: number[], length: number, pad: number) => [...ids, ...new Array<number>(length - ids.length).fill(pad)];
const i64 = (rows: number[][]) => ({ data: BigInt64Array.from(rows.flat(), BigInt), dims: [rows.length, rows[0]!.length] });

function assertClose(actual: Float32Array, expected: Float32Array, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  assert.ok(worst <= tol, `${what}: max |diff| ${worst} > ${tol}`);
}

async function clipVocab(dir: string): Promise<Record<string, number>> {
  return JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')).model.vocab;
}

test('clip: pads to model_max_length 77 with EOS, int64 ids, matches a direct run', async () => {
  const enc = await OnnxTextEncoder.load(fixture('clip'));
  try {
    const v = await clipVocab(fixture('clip'));
    const ids = [546, v['a</w>']!, v['photo</w>']!, v['of</w>']!, v['a</w>']!, v['cat</w>']!, 547];
    assert.deepEqual([enc.info.tokens, enc.info.dim, enc.idsType], [77, 32, 'int64']);
    const out = await enc.encode(['a photo of a cat', '']);
    assert.deepEqual([out.batch, out.tokens, out.dim], [2, 77, 32]);
    const expected = await runDirect('clip/model.onnx', { input_ids: i64([padded(ids, 77, 547), padded([546, 547], 77, 547)]) });
    assertClose(out.features, expected, 1e-5, 'clip features');
    assert.deepEqual(Array.from(out.mask!.subarray(0, 9)), [1, 1, 1, 1, 1, 1, 1, 0, 0]);
    assert.deepEqual(Array.from(out.mask!.subarray(77, 80)), [1, 1, 0]); // "" is BOS EOS
  } finally {
    await enc.release();
  }
});

test('sd-text: SD layout (text_encoder/ + sibling tokenizer/), int32 ids as the graph declares, D = 768', async () => {
  for (const dir of ['sd-text/text_encoder', 'sd-text']) {
    const enc = await OnnxTextEncoder.load(fixture(dir));
    try {
      assert.deepEqual([enc.info.tokens, enc.info.dim, enc.idsType], [77, 768, 'int32'], dir);
      const v = await clipVocab(fixture('sd-text/tokenizer'));
      const ids = padded([546, v['red</w>']!, v['dog</w>']!, 547], 77, 547);
      const out = await enc.encode(['red dog']);
      const expected = await runDirect('sd-text/text_encoder/model.onnx', { input_ids: { data: Int32Array.from(ids), dims: [1, 77] } });
      assertClose(out.features, expected, 1e-5, `${dir} features`);
    } finally {
      await enc.release();
    }
  }
  // The graph really rejects int64 ids, so the cast is what makes it work.
  await assert.rejects(runDirect('sd-text/text_encoder/model.onnx', { input_ids: i64([padded([546, 547], 77, 547)]) }), /int32|type|tensor\(int64\)/i);
});

test('xlm-roberta (onnx/model.onnx layout): <s> ... </s> padded with <pad> = 1, attention_mask fed', async () => {
  const enc = await OnnxTextEncoder.load(fixture('xlm-roberta'), { maxLength: 12 });
  try {
    const ids = padded([0, 7, 13, 10, 7, 15, 2], 12, 1); // <s> ▁a ▁photo ▁of ▁a ▁cat </s>
    const mask = padded([1, 1, 1, 1, 1, 1, 1], 12, 0);
    const out = await enc.encode(['a photo of a cat']);
    assertClose(out.features, await runDirect('xlm-roberta/onnx/model.onnx', { input_ids: i64([ids]), attention_mask: i64([mask]) }), 1e-5, 'xlm-r');
    assert.deepEqual(Array.from(out.mask!), mask);
    // With the padding masked out, the real tokens do not depend on how much padding follows...
    const longer = await OnnxTextEncoder.load(fixture('xlm-roberta'), { maxLength: 20 });
    const out20 = await longer.encode(['a photo of a cat']);
    await longer.release();
    assertClose(out20.features.subarray(0, 7 * 24), out.features.subarray(0, 7 * 24), 1e-5, 'real tokens, 12 vs 20 positions');
    // ...while an all-ones mask (padding attended) changes them: the mask is not decorative.
    const unmasked = await runDirect('xlm-roberta/onnx/model.onnx', { input_ids: i64([ids]), attention_mask: i64([ids.map(() => 1)]) });
    assert.ok(Math.abs(unmasked[0]! - out.features[0]!) > 1e-4);
  } finally {
    await enc.release();
  }
});

test('t5: no BOS, </s> = 1, <pad> = 0; bert: [CLS] ... [SEP], [PAD] = 0, token_type_ids zeros', async () => {
  const t5 = await OnnxTextEncoder.load(fixture('t5'), { maxLength: 10 });
  const bert = await OnnxTextEncoder.load(fixture('bert'), { maxLength: 10 });
  try {
    const t5ids = padded([6, 11, 9, 6, 12, 1], 10, 0);
    const t5mask = padded([1, 1, 1, 1, 1, 1], 10, 0);
    assertClose(
      (await t5.encode(['a photo of a cat'])).features,
      await runDirect('t5/model.onnx', { input_ids: i64([t5ids]), attention_mask: i64([t5mask]) }),
      1e-5,
      't5',
    );
    const bertIds = padded([101, 107, 108, 109, 107, 110, 102], 10, 0);
    const bertMask = padded([1, 1, 1, 1, 1, 1, 1], 10, 0);
    const expected = await runDirect('bert/model.onnx', {
      input_ids: i64([bertIds]),
      attention_mask: i64([bertMask]),
      token_type_ids: i64([bertIds.map(() => 0)]),
    });
    assertClose((await bert.encode(['A photo of a cat'])).features, expected, 1e-5, 'bert');
    assert.equal(t5.info.tokens, 10);
  } finally {
    await t5.release();
    await bert.release();
  }
});

test('default maxLength is tokenizer model_max_length (512 for xlm-r / t5 / bert fixtures)', async () => {
  const enc = await OnnxTextEncoder.load(fixture('bert'));
  try {
    assert.equal(enc.maxLength, 512);
    assert.equal((await enc.encode(['cat'])).tokens, 512);
  } finally {
    await enc.release();
  }
});

test('batch encoding equals one-by-one encoding for every family', async () => {
  const prompts = ['a photo of a cat', '', 'the red dog on the sky', 'cat'];
  for (const dir of ['clip', 'xlm-roberta', 't5', 'bert']) {
    const enc = await OnnxTextEncoder.load(fixture(dir), { maxLength: 16 });
    try {
      const all = await enc.encode(prompts);
      const row = 16 * enc.info.dim;
      for (const [i, p] of prompts.entries()) {
        const one = await enc.encode([p]);
        assertClose(all.features.subarray(i * row, (i + 1) * row), one.features, 1e-5, `${dir} row ${i}`);
        assert.deepEqual(Array.from(all.mask!.subarray(i * 16, (i + 1) * 16)), Array.from(one.mask!), `${dir} mask ${i}`);
      }
    } finally {
      await enc.release();
    }
  }
});

test('over-long prompts are cut to maxLength keeping EOS', async () => {
  const enc = await OnnxTextEncoder.load(fixture('clip'), { maxLength: 8 });
  try {
    const v = await clipVocab(fixture('clip'));
    const out = await enc.encode(['cat dog cat dog cat dog cat dog cat dog']);
    const ids = [546, v['cat</w>']!, v['dog</w>']!, v['cat</w>']!, v['dog</w>']!, v['cat</w>']!, v['dog</w>']!, 547];
    assertClose(out.features, await runDirect('clip/model.onnx', { input_ids: i64([ids]) }), 1e-5, 'truncated');
    assert.deepEqual(Array.from(out.mask!), [1, 1, 1, 1, 1, 1, 1, 1]);
  } finally {
    await enc.release();
  }
});

test('errors: missing folder / model / tokenizer, wrong graph, unknown output, non-string prompts', async () => {
  await assert.rejects(OnnxTextEncoder.load(fixture('nope')), /does not exist/);
  const tmp = await mkdtemp(join(tmpdir(), 'gluegen-enc-'));
  try {
    await cp(fixture('clip'), join(tmp, 'no-model'), { recursive: true, filter: (p) => !p.endsWith('.onnx') });
    await assert.rejects(OnnxTextEncoder.load(join(tmp, 'no-model')), /no ONNX model .*model\.onnx, onnx\/model\.onnx/);
    await cp(fixture('clip/model.onnx'), join(tmp, 'no-tok', 'model.onnx'));
    await assert.rejects(OnnxTextEncoder.load(join(tmp, 'no-tok')), /no tokenizer/);
    // An audio graph with a tokenizer beside it: no input_ids; the message lists what the graph has.
    await cp(fixture('clip'), join(tmp, 'audio-graph'), { recursive: true, filter: (p) => !p.endsWith('.onnx') });
    await cp(fixture('wav2vec2/model.onnx'), join(tmp, 'audio-graph', 'model.onnx'));
    await assert.rejects(OnnxTextEncoder.load(join(tmp, 'audio-graph')), /no input_ids input \(it has input_values \(float32/);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  await assert.rejects(OnnxTextEncoder.load(fixture('clip'), { output: 'text_embeds' }), /no output 'text_embeds' \(it has last_hidden_state .*pooler_output/);
  await assert.rejects(OnnxTextEncoder.load(fixture('clip'), { maxLength: 1 }), /maxLength must be an integer >= 2/);
  const enc = await OnnxTextEncoder.load(fixture('clip'), { maxLength: 8 });
  try {
    await assert.rejects(enc.encode(['ok', 3 as unknown as string]), /prompt 1 must be a string, got number/);
    await assert.rejects(enc.encode([]), /non-empty array/);
  } finally {
    await enc.release();
  }
});
