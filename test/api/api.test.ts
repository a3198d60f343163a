/**
 * The public API (src/index.ts) on the bundled world: fromPretrained -> generate -> toPng with
 * metadata, negative prompts, several images, audio input as WAV bytes or samples, mixing,
 * GlueNet.load / align, release(), and the one-line errors for wrong use.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { encodeWav } from '../../src/encoders/audio/index.js';
import { GlueGenPipeline, GlueNet, parseParameters, readPngText, VERSION } from '../../src/index.js';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { Rng } from '../../src/util/rng.js';
import { decodePng } from '../helpers/png-decode.js';

let pipe: GlueGenPipeline;
before(async () => {
  pipe = await GlueGenPipeline.fromPretrained('world', { encoder: 'world-multilingual', gluenet: 'world-multilingual' });
});
after(() => pipe.release());

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

test('generate: images with RGB data and a PNG whose metadata holds the run; seeds reproduce; negative prompts matter', async () => {
  assert.deepEqual(pipe.info, { generator: 'world', encoder: 'world-multilingual', modality: 'text', gluenet: 'world-multilingual', width: 32, height: 32 });
  const request = { prompt: 'une petite étoile rouge', negativePrompt: '', steps: 8, guidance: 3, seed: 1 };
  const { images, unconditionalFrom } = await pipe.generate(request);
  assert.equal(unconditionalFrom, 'encoder');
  assert.equal(images.length, 1);
  const img = images[0]!;
  assert.deepEqual([img.width, img.height, img.data.length], [32, 32, 32 * 32 * 3]);
  const png = img.toPng();
  assert.deepEqual(decodePng(png).pixels, img.data);
  const params = parseParameters(readPngText(png).parameters!);
  assert.equal(params.prompt, 'une petite étoile rouge');
  assert.deepEqual([params.values.Steps, params.values.Sampler, params.values.Seed, params.values.Model], ['8', 'DDIM', '1', 'world']);
  assert.ok(same((await pipe.generate(request)).images[0]!.data, img.data), 'same seed, same image');
  const negative = (await pipe.generate({ ...request, negativePrompt: 'une étoile rouge' })).images[0]!;
  assert.ok(!same(negative.data, img.data), 'a negative prompt changes the image');
  assert.equal(parseParameters(readPngText(negative.toPng()).parameters!).negativePrompt, 'une étoile rouge');
  const several = await pipe.generate({ prompt: ['un cercle bleu', 'un carré vert'], numImages: 2, steps: 4, seed: 3 });
  assert.equal(several.images.length, 4);
  assert.deepEqual(
    several.images.map((im) => parseParameters(im.parameters).prompt),
    ['un cercle bleu', 'un cercle bleu', 'un carré vert', 'un carré vert'],
  );
  assert.ok(!same(several.images[0]!.data, several.images[1]!.data), 'each image of a prompt has its own noise');
});

test('generate refuses wrong use with one-line errors', async () => {
  const cases: [Parameters<GlueGenPipeline['generate']>[0], RegExp][] = [
    [{}, /generate: pass a prompt/],
    [{ prompt: 'x', audio: new Uint8Array(4) }, /takes text, not audio/],
    [{ prompt: 'x', mix: 'splice:5' }, /mix combines a sound with a prompt; it needs an audio encoder/],
    [{ prompt: 'x', numImages: 0 }, /numImages 0 must be an integer in \[1, 64\]/],
    [{ prompt: 'x', steps: 0 }, /^generate: steps 0 must be a positive integer/],
    [{ prompt: ['a', 'b', 'c'], negativePrompt: ['n', 'm'] }, /2 negative prompts for 3 inputs/],
  ];
  for (const [options, re] of cases)
    await assert.rejects(pipe.generate(options), (e: Error) => re.test(e.message) && !e.message.includes('\n'), JSON.stringify(options));
  await assert.rejects(GlueGenPipeline.fromPretrained('world', { device: 'tpu' as never }), /device 'tpu' is unknown; expected 'cpu' or 'cuda'/);
  await assert.rejects(GlueGenPipeline.fromPretrained('/no/such/sd-folder', { encoder: 'world-native' }), /no\/such\/sd-folder/);
});

test('audio: WAV bytes or samples with their rate, mixing with a prompt, and the native text encoder as the unconditional', async () => {
  const sound = await GlueGenPipeline.fromPretrained('world', { encoder: 'world-sound' });
  try {
    assert.equal(sound.info.modality, 'audio');
    assert.equal(sound.info.gluenet, 'world-sound');
    const samples = Float32Array.from({ length: 16000 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 16000));
    const fromWav = await sound.generate({ audio: encodeWav([samples], 16000, 'float32'), steps: 4, seed: 2 });
    const fromSamples = await sound.generate({ audio: samples, sampleRate: 16000, steps: 4, seed: 2 });
    assert.equal(fromWav.unconditionalFrom, 'native-text-encoder');
    assert.ok(same(fromWav.images[0]!.data, fromSamples.images[0]!.data), 'WAV bytes and samples give the same image');
    const mixed = await sound.generate({ audio: samples, sampleRate: 16000, prompt: 'a red circle', mix: 'splice:3', steps: 4, seed: 2 });
    assert.ok(!same(mixed.images[0]!.data, fromSamples.images[0]!.data));
    assert.equal(parseParameters(mixed.images[0]!.parameters).values.Mix, 'splice:3');
    await assert.rejects(sound.generate({ audio: samples, steps: 4 }), /raw samples \(Float32Array\) without a rate; pass sampleRate/);
    await assert.rejects(sound.generate({ audio: samples, sampleRate: 16000, prompt: 'x' }), /a prompt with audio needs mix/);
    await assert.rejects(sound.generate({ prompt: 'x' }), /takes sounds; pass audio/);
  } finally {
    await sound.release();
  }
  await assert.rejects(sound.generate({ audio: new Float32Array(10), sampleRate: 16000 }), /this pipeline was released/);
});

test('GlueNet.load / align maps [N, Tn, Dn] features to [N, Tg, Dg], with clear errors; VERSION is the package version', async () => {
  const glue = await GlueNet.load('world-multilingual');
  try {
    const { tokens, dim } = glue.input;
    const features = Float32Array.from({ length: 2 * tokens * dim }, (_, i) => Math.sin(i));
    const aligned = await glue.align(features);
    assert.equal(aligned.length, 2 * glue.output.tokens * glue.output.dim);
    assert.deepEqual(await glue.align(features.subarray(0, tokens * dim)), aligned.subarray(0, glue.output.tokens * glue.output.dim));
    await assert.rejects(glue.align(new Float32Array(tokens * dim + 1)), /not a positive multiple of tokens_in x dim_in/);
  } finally {
    await glue.release();
  }
  await assert.rejects(glue.align(new Float32Array(4)), /released/);
  assert.match(VERSION, /^\d+\.\d+\.\d+/);
});

test('GlueNet.train learns a map from paired feature files and returns it loaded', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gluegen-api-train-'));
  try {
    // x [n, 4, 6] -> cond [n, 4, 8], cond = x W (+ a token offset): a map a small GlueNet can learn.
    const n = 128;
    const rng = new Rng(4);
    const w = rng.fillNormal(new Float32Array(6 * 8), 0.5);
    const x = rng.fillNormal(new Float32Array(n * 4 * 6));
    const c = new Float32Array(n * 4 * 8);
    for (let r = 0; r < n * 4; r++)
      for (let j = 0; j < 8; j++) for (let i = 0; i < 6; i++) c[r * 8 + j] += x[r * 6 + i]! * w[i * 8 + j]! + (i === 0 ? (r % 4) / 4 : 0);
    await writeSafetensors(join(dir, 'x.safetensors'), { features: { dtype: 'F32', shape: [n, 4, 6], data: x } });
    await writeSafetensors(join(dir, 'c.safetensors'), { features: { dtype: 'F32', shape: [n, 4, 8], data: c } });
    const config = {
      arch: 'translator_noln',
      tokens_in: 4,
      tokens_out: 4,
      dim_in: 6,
      dim_out: 8,
      mult: 2,
      depth: 2,
      x_scale: 1,
      cond_norm: [2, 2, 2, 2],
      eta: 0.1,
      loss_weights: { distill: 1, rec: 0, adv: 0 },
      disc_mult: 0.25,
    } as const;
    const { glueNet, steps, history } = await GlueNet.train({
      x: join(dir, 'x.safetensors'),
      cond: join(dir, 'c.safetensors'),
      config: { ...config, cond_norm: [...config.cond_norm], loss_weights: { ...config.loss_weights } },
      out: join(dir, 'g'),
      steps: 80,
      batchSize: 32,
      lr: 1e-2,
      progress: null,
    });
    try {
      assert.equal(steps, 80);
      assert.ok(history.at(-1)!.loss < 0.6 * history[0]!.loss, `loss fell: ${history[0]!.loss} -> ${history.at(-1)!.loss}`);
      assert.deepEqual(
        [glueNet.input, glueNet.output],
        [
          { tokens: 4, dim: 6 },
          { tokens: 4, dim: 8 },
        ],
      );
      assert.equal((await glueNet.align(x.subarray(0, 4 * 6))).length, 4 * 8);
    } finally {
      await glueNet.release();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
