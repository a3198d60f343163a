/**
 * X2ImagePipeline with stub encoders and aligners: what reaches the generator (conditions, the
 * unconditional and its source, mixing, sampling options), the checks before running, and one run
 * through the tiny SD export to PNG files.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { AudioClip, EncodedBatch, Encoder, EncoderInput, Modality } from '../../src/encoders/types.js';
import { SdOnnxGenerator } from '../../src/generators/sd/index.js';
import type { GeneratedImages, GenerateOptions, Generator } from '../../src/generators/types.js';
import { modelSource } from '../../src/pipeline/loaders.js';
import { type MixSpec, spliceMix } from '../../src/pipeline/mix.js';
import type { ConditionSource, MixInput } from '../../src/pipeline/sources.js';
import { type AlignFn, X2ImagePipeline, type X2ImageRequest } from '../../src/pipeline/x2image.js';
import { Rng } from '../../src/util/rng.js';
import { decodePng } from '../helpers/png-decode.js';

const TINY = fileURLToPath(new URL('../../../test/fixtures/sd/tiny-sd/', import.meta.url));
const T = 77;
const D = 768;

function hash(s: string): number {
  let h = 2166136261;
  for (const c of s) h = Math.imul(h ^ c.codePointAt(0)!, 16777619) >>> 0;
  return h;
}

/** A stub encoder: features of an input are normal noise seeded by the input. */
function stubEncoder<M extends Modality>(
  modality: M,
  tokens: number,
  dim: number,
  name = `stub-${modality}-${dim}`,
): Encoder<M> & { calls: EncoderInput<M>[][] } {
  const calls: EncoderInput<M>[][] = [];
  const features = (x: EncoderInput<M>): Float32Array =>
    new Rng(typeof x === 'string' ? hash(`${name}:${x}`) : hash(`${name}:${(x as AudioClip).samples.length}`)).fillNormal(new Float32Array(tokens * dim));
  return {
    info: { name, modality, tokens, dim },
    calls,
    async encode(inputs): Promise<EncodedBatch> {
      calls.push(inputs);
      const out = new Float32Array(inputs.length * tokens * dim);
      inputs.forEach((x, i) => out.set(features(x), i * tokens * dim));
      return { features: out, batch: inputs.length, tokens, dim };
    },
    async release() {},
  };
}

/** A stub aligner [B, 77, 16] -> [B, 77, 768]: out[b, t, d] = 2 x f[b, t, d mod 16] + d / 768. */
const align16: AlignFn = (f, batch) => {
  const out = new Float32Array(batch * T * D);
  for (let r = 0; r < batch * T; r++) for (let d = 0; d < D; d++) out[r * D + d] = 2 * f[r * 16 + (d % 16)]! + d / D;
  return out;
};

/** A generator that records what it is asked for and returns grey images. */
function recordingGenerator(): Generator & { last: GenerateOptions | null } {
  return {
    name: 'recorder',
    condition: { tokens: T, dim: D },
    defaultSize: { width: 16, height: 8 },
    last: null,
    async generate(opts): Promise<GeneratedImages> {
      this.last = opts;
      return { images: Array.from({ length: opts.batch }, () => new Uint8Array(16 * 8 * 3).fill(128)), width: 16, height: 8 };
    },
    async release() {},
  };
}

const clip = (n: number): AudioClip => ({ samples: new Float32Array(n), sampleRate: 16000 });

test('text: the condition and the unconditional ("") go through the same encoder and aligner', async () => {
  const encoder = stubEncoder('text', T, 16);
  const generator = recordingGenerator();
  const p = new X2ImagePipeline({ generator, source: modelSource({ encoder, align: align16, generator }) as ConditionSource<string> });
  const request = { inputs: ['un chat', 'un chien'], steps: 12, guidance: 5, scheduler: 'euler', seed: 9, height: 8, width: 16 };
  p.checkRequest(request);
  const r = await p.run(request);
  const g = generator.last!;
  assert.deepEqual(encoder.calls, [[''], ['un chat', 'un chien']]);
  assert.deepEqual(g.cond, await align16((await stubEncoder('text', T, 16).encode(['un chat', 'un chien'])).features, 2));
  assert.deepEqual(g.uncond, await align16((await stubEncoder('text', T, 16).encode([''])).features, 1));
  assert.equal(r.uncondSource, 'encoder');
  assert.deepEqual([g.batch, g.steps, g.guidance, g.scheduler, g.height, g.width], [2, 12, 5, 'euler', 8, 16]);
  assert.equal(g.rng.normal(), new Rng(9).normal());
  assert.equal(r.pngs.length, 2);
  assert.deepEqual(decodePng(r.pngs[1]!), { width: 16, height: 8, channels: 3, pixels: new Uint8Array(16 * 8 * 3).fill(128) });
});

test('audio: the unconditional is "" through the generator\'s text encoder, or zeros without one', async () => {
  const generator = recordingGenerator();
  const audio = stubEncoder('audio', T, 16);
  const clipText = stubEncoder('text', T, D, 'clip');
  const audioPipeline = (nativeTextEncoder: Encoder<'text'> | null) =>
    new X2ImagePipeline({ generator, source: modelSource({ encoder: audio, align: align16, generator, nativeTextEncoder }) as ConditionSource<AudioClip> });
  const withText = await audioPipeline(clipText).run({ inputs: [clip(100)] });
  assert.equal(withText.uncondSource, 'native-text-encoder');
  assert.deepEqual(generator.last!.uncond, (await stubEncoder('text', T, D, 'clip').encode([''])).features);
  assert.deepEqual(generator.last!.cond, await align16((await stubEncoder('audio', T, 16).encode([clip(100)])).features, 1));
  const zeros = await audioPipeline(null).run({ inputs: [clip(100)] });
  assert.equal(zeros.uncondSource, 'zeros');
  assert.deepEqual(generator.last!.uncond, new Float32Array(T * D));
  // Defaults as the release: 50 steps, guidance 7.5, the generator's own scheduler.
  assert.deepEqual([generator.last!.steps, generator.last!.guidance, generator.last!.scheduler], [50, 7.5, 'default']);
});

test("sound + text mix splices the aligned sound with the text encoder's condition", async () => {
  const generator = recordingGenerator();
  const source = modelSource(
    { encoder: stubEncoder('audio', T, 16), align: align16, generator, nativeTextEncoder: stubEncoder('text', T, D, 'clip') },
    { kind: 'splice', split: 4 },
  );
  const p = new X2ImagePipeline({ generator, source: source as ConditionSource<MixInput<AudioClip>> });
  const r = await p.run({ inputs: [clip(100), clip(200)].map((input) => ({ input, prompt: 'a painting' })) });
  const sound = await align16((await stubEncoder('audio', T, 16).encode([clip(100), clip(200)])).features, 2);
  const text = (await stubEncoder('text', T, D, 'clip').encode(['a painting', 'a painting'])).features;
  assert.deepEqual(r.condition, spliceMix(sound, text, { batch: 2, tokens: T, dim: D }, 4));
  assert.deepEqual(generator.last!.cond, r.condition);
});

test('one request cannot change the pipeline: two runs with different requests give their own images', async () => {
  const generator = recordingGenerator();
  const p = new X2ImagePipeline({ generator, source: modelSource({ encoder: stubEncoder('text', T, D), generator }) as ConditionSource<string> });
  assert.ok(Object.isFrozen(p.parts));
  await p.run({ inputs: ['a'], steps: 3, seed: 1 });
  await p.run({ inputs: ['b', 'c'], steps: 4, seed: 2 });
  assert.deepEqual([generator.last!.batch, generator.last!.steps, generator.last!.rng.normal()], [2, 4, new Rng(2).normal()]);
});

test('chunks: a shared noise stream continues across generator calls', async () => {
  const generator = recordingGenerator();
  const calls: GenerateOptions[] = [];
  const inner = generator.generate.bind(generator);
  generator.generate = async (o) => (calls.push(o), inner(o));
  const p = new X2ImagePipeline({ generator, source: modelSource({ encoder: stubEncoder('text', T, D), generator }) as ConditionSource<string> });
  const rng = new Rng(3);
  const r = await p.run({ inputs: ['a', 'b', 'c'], chunk: 2, rng, png: false });
  assert.deepEqual(
    calls.map((c) => c.batch),
    [2, 1],
  );
  assert.ok(calls.every((c) => c.rng === rng));
  assert.deepEqual([r.pngs.length, r.images.images.length], [0, 3]);
});

test('checks before running name the mismatch', async () => {
  const generator = recordingGenerator();
  const build = (m: Parameters<typeof modelSource>[0], mix?: MixSpec) => () =>
    new X2ImagePipeline({ generator, source: modelSource(m, mix) as ConditionSource<unknown> });
  const check = (m: Parameters<typeof modelSource>[0], request: X2ImageRequest<unknown>) => () => build(m)().checkRequest(request);
  assert.throws(
    build({ encoder: stubEncoder('text', T, 1024, 'xlm-r'), generator }),
    /'xlm-r' gives \[77, 1024\] features but generator 'recorder' takes \[77, 768\].*--gluenet/,
  );
  assert.throws(check({ encoder: stubEncoder('text', T, 16), align: align16, generator }, { inputs: [] }), /no inputs/);
  assert.throws(check({ encoder: stubEncoder('audio', T, 16), align: align16, generator }, { inputs: ['a dog'] }), /input 0 is not an audio clip/);
  assert.throws(
    build({ encoder: stubEncoder('audio', T, 16), align: align16, generator }, { kind: 'splice', split: 3 }),
    /mixing needs the generator's own text encoder/,
  );
  const full = { encoder: stubEncoder('audio', T, 16), align: align16, generator, nativeTextEncoder: stubEncoder('text', T, D) };
  assert.throws(build(full, { kind: 'splice', split: 40 }), /splice split 40/);
  assert.throws(build({ ...full, nativeTextEncoder: stubEncoder('text', T, 512, 'small') }), /text encoder 'small' gives \[77, 512\]/);
  assert.throws(check(full, { inputs: [clip(1)], steps: 0 }), /steps 0 must be a positive integer/);
  const wrongAligner: AlignFn = (_f, b) => new Float32Array(b * T * 1024);
  await assert.rejects(
    new X2ImagePipeline({
      generator,
      source: modelSource({ encoder: stubEncoder('text', T, 16), align: wrongAligner, generator }) as ConditionSource<string>,
    }).run({ inputs: ['x'] }),
    /condition has 78848 values but the generator takes \[1, 77, 768\] = 59136; the aligner \(GlueNet\) does not output this generator's condition shape/,
  );
});

test('through the tiny SD export: the PNGs hold the images generate() makes', async () => {
  const generator = await SdOnnxGenerator.load(TINY);
  try {
    const encoder = stubEncoder('text', T, D, 'clip');
    const r = await new X2ImagePipeline({ generator, source: modelSource({ encoder, generator }) as ConditionSource<string> }).run({
      inputs: ['a red bicycle'],
      steps: 3,
      scheduler: 'ddim',
      seed: 5,
    });
    const direct = await generator.generate({
      cond: (await encoder.encode(['a red bicycle'])).features,
      uncond: (await encoder.encode([''])).features,
      batch: 1,
      steps: 3,
      guidance: 7.5,
      scheduler: 'ddim',
      rng: new Rng(5),
    });
    const png = decodePng(r.pngs[0]!);
    assert.deepEqual([png.width, png.height, png.channels], [64, 64, 3]);
    assert.deepEqual(png.pixels, direct.images[0]);
  } finally {
    await generator.release();
  }
});
