// The committed encoder fixtures: equal to the script's output, small, and with the input / output
// names, dtypes and dims of the real exports they stand for.

import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { encoderFixtureFiles } from '../../scripts/fixtures/encoders.js';
import { Session } from '../../src/engine/runtime.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/encoders/', import.meta.url));

async function totalSize(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) n += e.isDirectory() ? await totalSize(join(dir, e.name)) : (await stat(join(dir, e.name))).size;
  return n;
}

test('fixtures: committed files equal scripts/fixtures/encoders.ts output, under 1.5 MB in all', async () => {
  for (const [rel, data] of encoderFixtureFiles()) {
    const onDisk = await readFile(join(FIXTURES, rel));
    const expected = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    assert.ok(onDisk.equals(expected), `${rel} is stale: run scripts/fixtures/encoders.ts`);
  }
  assert.ok((await totalSize(FIXTURES)) < 1.5e6);
});

test("fixtures: graphs declare the real exports' IO names and dtypes", async () => {
  const io = async (rel: string) => {
    const s = await Session.create(join(FIXTURES, rel), { threads: 1 });
    await s.release();
    const fmt = (l: typeof s.inputs) => l.map((x) => `${x.name}:${x.type}[${x.dims?.join(',')}]`).sort();
    return { inputs: fmt(s.inputs), outputs: fmt(s.outputs) };
  };
  assert.deepEqual(await io('clip/model.onnx'), {
    inputs: ['input_ids:int64[batch_size,sequence_length]'],
    outputs: ['last_hidden_state:float32[batch_size,sequence_length,32]', 'pooler_output:float32[batch_size,32]'],
  });
  assert.deepEqual(await io('sd-text/text_encoder/model.onnx'), {
    inputs: ['input_ids:int32[batch_size,sequence_length]'],
    outputs: ['last_hidden_state:float32[batch_size,sequence_length,768]', 'pooler_output:float32[batch_size,768]'],
  });
  assert.deepEqual((await io('xlm-roberta/onnx/model.onnx')).inputs, [
    'attention_mask:int64[batch_size,sequence_length]',
    'input_ids:int64[batch_size,sequence_length]',
  ]);
  assert.deepEqual((await io('bert/model.onnx')).inputs, [
    'attention_mask:int64[batch_size,sequence_length]',
    'input_ids:int64[batch_size,sequence_length]',
    'token_type_ids:int64[batch_size,sequence_length]',
  ]);
  assert.deepEqual(await io('whisper/model.onnx'), {
    inputs: ['input_features:float32[batch_size,80,3000]'],
    outputs: ['last_hidden_state:float32[batch_size,1500,16]'],
  });
  assert.deepEqual(await io('clap/model.onnx'), {
    inputs: ['input_features:float32[batch_size,1,1001,64]'],
    outputs: ['audio_embeds:float32[batch_size,1024]'],
  });
  assert.deepEqual((await io('wav2vec2/model.onnx')).inputs, ['input_values:float32[batch_size,sequence_length]']);
});
