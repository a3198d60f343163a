/**
 * Encoder folders as transformers.js lays them out: onnx/model.onnx, onnx/model_fp16.onnx,
 * onnx/model_quantized.onnx, ... chosen by a dtype option, and a clear error listing the files
 * found when the asked-for variant is missing. Fixture folders are built from the committed tiny
 * encoders in a temp dir (renamed copies: the choice of file is what is tested).
 */
import assert from 'node:assert/strict';
import { copyFile, cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { OnnxAudioEncoder } from '../../src/encoders/audio/onnx-audio-encoder.js';
import { findModelFile } from '../../src/encoders/model-file.js';
import { loadEncoder } from '../../src/encoders/registry.js';
import { locateTextEncoder, OnnxTextEncoder } from '../../src/encoders/text/onnx-text-encoder.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/encoders/', import.meta.url));
let tmp = '';
let text = '';
let textVariantsOnly = '';
let audio = '';

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'gluegen-variants-'));
  // A transformers.js text repo: tokenizer at the root, three weight variants in onnx/.
  text = join(tmp, 'xlmr');
  await cp(join(FIXTURES, 'xlm-roberta'), text, { recursive: true });
  for (const v of ['model_fp16.onnx', 'model_quantized.onnx']) await copyFile(join(text, 'onnx', 'model.onnx'), join(text, 'onnx', v));
  // The same without the fp32 file.
  textVariantsOnly = join(tmp, 'xlmr-small');
  await cp(text, textVariantsOnly, { recursive: true });
  await rm(join(textVariantsOnly, 'onnx', 'model.onnx'));
  // An audio encoder whose only graph is onnx/model_quantized.onnx.
  audio = join(tmp, 'wav2vec2');
  await cp(join(FIXTURES, 'wav2vec2'), audio, { recursive: true });
  await mkdir(join(audio, 'onnx'));
  await copyFile(join(audio, 'model.onnx'), join(audio, 'onnx', 'model_quantized.onnx'));
  await rm(join(audio, 'model.onnx'));
});
after(() => rm(tmp, { recursive: true, force: true }));

test('dtype picks the transformers.js variant; fp32 (the default) is onnx/model.onnx', async () => {
  assert.equal((await locateTextEncoder(text)).model, join(text, 'onnx', 'model.onnx'));
  assert.equal((await locateTextEncoder(text, 'fp32')).model, join(text, 'onnx', 'model.onnx'));
  assert.equal((await locateTextEncoder(text, 'fp16')).model, join(text, 'onnx', 'model_fp16.onnx'));
  assert.equal((await locateTextEncoder(text, 'q8')).model, join(text, 'onnx', 'model_quantized.onnx'));
  const enc = await OnnxTextEncoder.load(textVariantsOnly, { dtype: 'q8' });
  try {
    const out = await enc.encode(['bonjour']);
    assert.equal(out.features.length, enc.info.tokens * enc.info.dim);
  } finally {
    await enc.release();
  }
  const viaRegistry = await loadEncoder(textVariantsOnly, { dtype: 'fp16' });
  assert.equal(viaRegistry.info.modality, 'text');
  await viaRegistry.release();
});

test('a missing variant is a one-line error that lists the .onnx files found and the dtypes that would work', async () => {
  await assert.rejects(
    locateTextEncoder(textVariantsOnly),
    (e: Error) =>
      /^text encoder: no ONNX model in ".*xlmr-small" \(looked for model\.onnx, onnx\/model\.onnx, .*\); found onnx\/model_fp16\.onnx, onnx\/model_quantized\.onnx; pass dtype 'fp16' or 'q8' to use one of those$/.test(
        e.message,
      ) && !e.message.includes('\n'),
  );
  await assert.rejects(
    locateTextEncoder(text, 'q4'),
    /no q4 ONNX model .*\(looked for model_q4\.onnx, onnx\/model_q4\.onnx, .*\); found onnx\/model\.onnx, onnx\/model_fp16\.onnx, onnx\/model_quantized\.onnx; pass dtype 'fp32' or 'fp16' or 'q8'/,
  );
  await assert.rejects(
    locateTextEncoder(text, 'fp8' as never),
    /text encoder: dtype "fp8" is unknown; expected one of fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4/,
  );
  await assert.rejects(
    findModelFile(tmp, ['model.onnx'], 'encoder'),
    /encoder: no ONNX model in .* \(looked for model\.onnx\); it holds no \.onnx file; export it with optimum-cli/,
  );
});

test('audio encoders take the same dtype option', async () => {
  await assert.rejects(OnnxAudioEncoder.load(audio), /audio encoder: no ONNX model .* found onnx\/model_quantized\.onnx; pass dtype 'q8'/);
  const enc = await OnnxAudioEncoder.load(audio, { dtype: 'q8' });
  try {
    const out = await enc.encode([{ samples: new Float32Array(16000).map((_, i) => Math.sin(i / 10)), sampleRate: 16000 }]);
    assert.equal(out.batch, 1);
    assert.equal(out.features.length, enc.info.tokens * enc.info.dim);
  } finally {
    await enc.release();
  }
});
