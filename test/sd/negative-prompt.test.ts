/**
 * Negative prompts end to end: the negative prompt replaces "" as the unconditional and goes
 * through the same path ("" would have taken): the new encoder + aligner for text, the generator's
 * own text encoder for audio. Then one tiny-SD run (a different image, the PNG metadata) and the
 * --negative-prompt flag.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseGenerateArgs, runGenerate } from '../../src/cli/generate.js';
import type { AudioClip, EncodedBatch, Encoder, EncoderInput, Modality } from '../../src/encoders/types.js';
import { SdOnnxGenerator } from '../../src/generators/sd/index.js';
import type { GeneratedImages, GenerateOptions, Generator } from '../../src/generators/types.js';
import { readPngText } from '../../src/io/png.js';
import { modelSource } from '../../src/pipeline/loaders.js';
import { parseParameters } from '../../src/pipeline/metadata.js';
import { type AlignFn, X2ImagePipeline } from '../../src/pipeline/x2image.js';
import { Rng } from '../../src/util/rng.js';

const TINY = fileURLToPath(new URL('../../../test/fixtures/sd/tiny-sd/', import.meta.url));
const T = 77;
const D = 768;

function seedOf(s: string): number {
  let h = 2166136261;
  for (const c of s) h = Math.imul(h ^ c.codePointAt(0)!, 16777619) >>> 0;
  return h;
}

/** Features of an input: normal noise seeded by the encoder's name and the input. */
function stubEncoder<M extends Modality>(modality: M, dim: number, name: string): Encoder<M> & { calls: EncoderInput<M>[][] } {
  const calls: EncoderInput<M>[][] = [];
  return {
    info: { name, modality, tokens: T, dim },
    calls,
    async encode(inputs): Promise<EncodedBatch> {
      calls.push(inputs);
      const out = new Float32Array(inputs.length * T * dim);
      inputs.forEach((x, i) =>
        out.set(new Rng(seedOf(`${name}:${typeof x === 'string' ? x : (x as AudioClip).samples.length}`)).fillNormal(new Float32Array(T * dim)), i * T * dim),
      );
      return { features: out, batch: inputs.length, tokens: T, dim };
    },
    async release() {},
  };
}

/** [B, 77, 16] -> [B, 77, 768]: out[b, t, d] = f[b, t, d mod 16] / 2 - d / 768. */
const align16: AlignFn = (f, batch) => {
  const out = new Float32Array(batch * T * D);
  for (let r = 0; r < batch * T; r++) for (let d = 0; d < D; d++) out[r * D + d] = f[r * 16 + (d % 16)]! / 2 - d / D;
  return out;
};

function recordingGenerator(): Generator & { last: GenerateOptions | null } {
  return {
    name: 'recorder',
    condition: { tokens: T, dim: D },
    defaultSize: { width: 8, height: 8 },
    last: null,
    async generate(opts): Promise<GeneratedImages> {
      this.last = opts;
      return { images: Array.from({ length: opts.batch }, () => new Uint8Array(8 * 8 * 3)), width: 8, height: 8 };
    },
    async release() {},
  };
}

/** The pipeline `gluegen generate` builds from these parts (src/pipeline/loaders.ts modelSource). */
function pipe(parts: {
  encoder: Encoder<'text'> | Encoder<'audio'>;
  align?: AlignFn;
  alignName?: string;
  generator: Generator;
  nativeTextEncoder?: Encoder<'text'>;
}): X2ImagePipeline<unknown> {
  const source = modelSource({ ...parts, align: parts.align ?? null, alignShape: { tokens: T, dim: D } });
  return new X2ImagePipeline<unknown>({ generator: parts.generator, source: source as never });
}

const aligned = async (texts: string[]): Promise<Float32Array> => align16((await stubEncoder('text', 16, 'xlmr').encode(texts)).features, texts.length);

test('text: the negative prompt goes through the new encoder and the aligner, in place of ""', async () => {
  const encoder = stubEncoder('text', 16, 'xlmr');
  const generator = recordingGenerator();
  await pipe({ encoder, align: align16, generator }).run({ inputs: ['un chat', 'un chien'], negativePrompts: ['flou'], steps: 2 });
  // The unconditional first (once per run), then the conditions.
  assert.deepEqual(encoder.calls, [['flou'], ['un chat', 'un chien']]);
  assert.deepEqual(generator.last!.uncond, await aligned(['flou']));
  assert.notDeepEqual(generator.last!.uncond, await aligned(['']));
  // One negative prompt per input: an unconditional per image, [B, T, D].
  await pipe({ encoder, align: align16, generator }).run({ inputs: ['un chat', 'un chien'], negativePrompts: ['flou', 'sombre'], steps: 2 });
  assert.deepEqual(encoder.calls.at(-2), ['flou', 'sombre']);
  assert.deepEqual(generator.last!.uncond, await aligned(['flou', 'sombre']));
  // An empty negative prompt is exactly the release's "" unconditional.
  await pipe({ encoder, align: align16, generator }).run({ inputs: ['un chat'], negativePrompts: [''], steps: 2 });
  assert.deepEqual(generator.last!.uncond, await aligned(['']));
});

test("audio: the negative prompt goes through the generator's own text encoder; without it, a clear error", async () => {
  const encoder = stubEncoder('audio', 16, 'clap');
  const native = stubEncoder('text', D, 'clip');
  const generator = recordingGenerator();
  const clip: AudioClip = { samples: new Float32Array(800), sampleRate: 16000 };
  const r = await pipe({ encoder, align: align16, generator, nativeTextEncoder: native }).run({ inputs: [clip], negativePrompts: ['noisy'], steps: 2 });
  assert.equal(r.uncondSource, 'native-text-encoder');
  assert.deepEqual(native.calls, [['noisy']]);
  assert.equal(encoder.calls.length, 1);
  assert.deepEqual(generator.last!.uncond, (await stubEncoder('text', D, 'clip').encode(['noisy'])).features);
  const without = pipe({ encoder, align: align16, generator });
  assert.throws(
    () => without.checkRequest({ inputs: [clip], negativePrompts: ['noisy'] }),
    /a negative prompt with audio inputs goes through the generator's own text encoder, which is not loaded/,
  );
  const counts = pipe({ encoder: stubEncoder('text', 16, 'x'), align: align16, generator });
  assert.throws(
    () => counts.checkRequest({ inputs: ['a', 'b', 'c'], negativePrompts: ['n', 'm'] }),
    /2 negative prompts for 3 inputs; pass one, or one per input/,
  );
});

test('tiny SD: a negative prompt changes the image, and the PNG records it with the run parameters', async () => {
  const gen = await SdOnnxGenerator.load(TINY, { threads: 1 });
  try {
    const run = async (negativePrompts?: string[]) => {
      const p = pipe({ encoder: stubEncoder('text', 16, 'xlmr'), align: align16, alignName: 'gluenet-fr', generator: gen });
      return p.run({ inputs: ['une étoile'], steps: 3, guidance: 4, scheduler: 'lcm', seed: 5, ...(negativePrompts ? { negativePrompts } : {}) });
    };
    const plain = await run();
    const negative = await run(['rouge']);
    assert.notDeepEqual(negative.images.images[0], plain.images.images[0]);
    const params = parseParameters(readPngText(negative.pngs[0]!).parameters!);
    assert.equal(params.prompt, 'une étoile');
    assert.equal(params.negativePrompt, 'rouge');
    assert.deepEqual(
      [params.values.Steps, params.values.Sampler, params.values['CFG scale'], params.values.Seed, params.values.Encoder, params.values.GlueNet],
      ['3', 'LCM', '4', '5', 'xlmr', 'gluenet-fr'],
    );
    assert.equal(parseParameters(readPngText(plain.pngs[0]!).parameters!).negativePrompt, '');
  } finally {
    await gen.release();
  }
});

test('--negative-prompt is parsed (default "") and documented', () => {
  const base = ['--generator', 'g', '--encoder', 'e', '--out', 'x.png', '--prompt', 'p'];
  assert.equal(parseGenerateArgs(base).negativePrompt, '');
  assert.equal(parseGenerateArgs([...base, '--negative-prompt', 'blurry, dark']).negativePrompt, 'blurry, dark');
});

test('gluegen generate --negative-prompt on the bundled world: the PNG records prompt, negative prompt, encoder and GlueNet', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gluegen-neg-'));
  try {
    const out = join(dir, 'star.png');
    const argv = [
      '--generator',
      'world',
      '--encoder',
      'world-multilingual',
      '--prompt',
      'une petite étoile rouge',
      '--steps',
      '3',
      '--guidance',
      '3',
      '--seed',
      '4',
      '--out',
      out,
    ];
    const silent = { log: () => undefined, progress: { isTTY: false, write: () => true } as never };
    await runGenerate(parseGenerateArgs([...argv, '--negative-prompt', 'un cercle bleu']), undefined, silent);
    const png = new Uint8Array(await readFile(out));
    const params = parseParameters(readPngText(png).parameters!);
    assert.equal(params.prompt, 'une petite étoile rouge');
    assert.equal(params.negativePrompt, 'un cercle bleu');
    assert.deepEqual(
      [params.values.Steps, params.values.Seed, params.values.Model, params.values.Encoder, params.values.GlueNet],
      ['3', '4', 'world', 'world-multilingual', 'world-multilingual'],
    );
    await runGenerate(parseGenerateArgs(argv), undefined, silent);
    assert.notDeepEqual(new Uint8Array(await readFile(out)), png, 'the negative prompt changed the image');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
