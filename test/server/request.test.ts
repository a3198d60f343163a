/**
 * Request checking without running a model: encoder routing by name, language and detected
 * language (a stand-in for the world's encoders), the world's fixed size and default scheduler,
 * and the form-field parsing of numbers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeWav } from '../../src/encoders/audio/index.js';
import type { EncodedBatch, Encoder, Modality } from '../../src/encoders/types.js';
import type { Generator } from '../../src/generators/types.js';
import { HttpError } from '../../src/server/http-error.js';
import type { ServedEncoder, ServerModels } from '../../src/server/models.js';
import type { MultipartPart } from '../../src/server/multipart.js';
import { DEFAULT_LIMITS, parseGeneration } from '../../src/server/request.js';

function stubEncoder<M extends Modality>(name: string, modality: M): Encoder<M> {
  return {
    info: { name, modality, tokens: 4, dim: 8 },
    encode: (): Promise<EncodedBatch> => Promise.reject(new Error('internal: not run in these tests')),
    release: () => Promise.resolve(),
  } as unknown as Encoder<M>;
}

const LEXICON: Record<string, string[]> = { en: ['red', 'circle', 'a'], fr: ['rouge', 'cercle', 'un'], de: ['roter', 'kreis', 'ein'] };
const detect = (text: string): string | null => {
  const words = text.toLowerCase().split(/\s+/);
  const hits = Object.entries(LEXICON).map(([l, ws]) => [l, words.filter((w) => ws.includes(w)).length] as const);
  const best = hits.sort((a, b) => b[1] - a[1])[0]!;
  return best[1] > 0 ? best[0] : null;
};

function worldLike(): ServerModels {
  const generator = { name: 'world', condition: { tokens: 4, dim: 8 }, defaultSize: { width: 32, height: 32 } } as unknown as Generator;
  const encoders: ServedEncoder[] = [
    { name: 'native', modality: 'text', encoder: stubEncoder('world-native', 'text'), gluenet: null, languages: ['en'] },
    {
      name: 'multilingual',
      modality: 'text',
      encoder: stubEncoder('world-multilingual', 'text'),
      gluenet: 'gluenet-multilingual',
      languages: Object.keys(LEXICON),
      detectLanguage: detect,
      align: (f) => f,
    },
    {
      name: 'sound',
      modality: 'audio',
      encoder: stubEncoder('world-sound', 'audio'),
      gluenet: 'gluenet-sound',
      languages: null,
      maxSeconds: 1,
      align: (f) => f,
    },
  ];
  return {
    generator,
    generatorName: 'world',
    generatorKind: 'world',
    fixedSize: true,
    defaults: { steps: 20, guidance: 3, scheduler: 'ddim' },
    schedulers: ['ddim', 'pndm', 'euler', 'dpmpp2m'],
    encoders,
    native: encoders[0]!.encoder as Encoder<'text'>,
    notes: [],
    release: () => Promise.resolve(),
  };
}

const models = worldLike();
const parse = (json: Record<string, unknown>, accept = ''): ReturnType<typeof parseGeneration> => parseGeneration(models, DEFAULT_LIMITS, { json }, accept);
const rejects = (json: Record<string, unknown>, code: string, field?: string): void =>
  assert.throws(
    () => parse(json),
    (e: unknown) => e instanceof HttpError && e.code === code && (field === undefined || e.field === field),
    `${JSON.stringify(json)} -> ${code}`,
  );

test("'auto' routes a prompt by its detected language: English to native, others to multilingual", () => {
  assert.deepEqual([parse({ prompt: 'a red circle' }).encoder.name, parse({ prompt: 'a red circle' }).language], ['native', 'en']);
  const fr = parse({ prompt: 'un cercle rouge' });
  assert.deepEqual([fr.encoder.name, fr.language], ['multilingual', 'fr']);
  assert.equal(parse({ prompt: 'ein roter kreis', encoder: 'auto' }).encoder.name, 'multilingual');
});

test('an explicit language or encoder wins; the detected language is still reported', () => {
  assert.deepEqual(
    [parse({ prompt: 'a red circle', language: 'de' }).encoder.name, parse({ prompt: 'a red circle', language: 'de' }).language],
    ['multilingual', 'de'],
  );
  const m = parse({ prompt: 'un cercle rouge', encoder: 'multilingual' });
  assert.deepEqual([m.encoder.name, m.language], ['multilingual', 'fr']);
  rejects({ prompt: 'a red circle', language: 'xx' }, 'unknown_language', 'language');
  rejects({ prompt: 'a red circle', encoder: 'native', language: 'fr' }, 'unknown_language', 'language');
  rejects({ prompt: 'zzz qqq', encoder: 'multilingual' }, 'unknown_words', 'prompt');
});

test("the world's fixed size and defaults", () => {
  const s = parse({ prompt: 'a red circle' });
  assert.deepEqual([s.width, s.height, s.steps, s.guidance, s.scheduler, s.nImages, s.format, s.stream], [32, 32, 20, 3, 'ddim', 1, 'png', false]);
  assert.ok(Number.isInteger(s.seed) && s.seed >= 0, 'a random seed when none is given');
  assert.equal(parse({ prompt: 'a red circle', size: '32x32' }).width, 32);
  rejects({ prompt: 'a red circle', size: '64x64' }, 'invalid_size', 'size');
  rejects({ prompt: 'a red circle', scheduler: 'default' }, 'unknown_scheduler', 'scheduler');
  assert.equal(parse({ prompt: 'a red circle' }, 'application/json').format, 'json');
  assert.equal(parse({ prompt: 'a red circle' }, 'text/event-stream').stream, true);
});

test('form fields: numbers from strings, a sound routed to the sound encoder, mixes', () => {
  const wav = encodeWav([new Float32Array(8000).fill(0.1)], 16000, 'pcm16');
  const part = (name: string, value: string): MultipartPart => ({ name, contentType: 'text/plain', data: Buffer.from(value) });
  const audio: MultipartPart = { name: 'audio', filename: 'a.wav', contentType: 'audio/wav', data: Buffer.from(wav) };
  const form = (...parts: MultipartPart[]): ReturnType<typeof parseGeneration> => parseGeneration(models, DEFAULT_LIMITS, { parts });
  const s = form(part('steps', '7'), part('guidance', '2.5'), part('seed', '9'), part('stream', 'true'), audio);
  assert.deepEqual([s.encoder.name, s.steps, s.guidance, s.seed, s.stream, s.audio?.seconds, s.mix], ['sound', 7, 2.5, 9, true, 0.5, null]);
  assert.deepEqual(form(part('prompt', 'a red circle'), audio).mix, { kind: 'avg', weight: 0.5 });
  assert.deepEqual(form(part('prompt', 'a red circle'), part('mix', 'splice'), audio).mix, { kind: 'splice', split: 2 });
  assert.deepEqual(form(part('prompt', 'a red circle'), part('mix', 'avg:0.25'), audio).mix, { kind: 'avg', weight: 0.25 });
  const fail = (parts: MultipartPart[], code: string): void =>
    assert.throws(
      () => form(...parts),
      (e: unknown) => e instanceof HttpError && e.code === code,
      code,
    );
  fail([part('steps', 'seven'), audio], 'out_of_range');
  fail([part('prompt', 'a'), part('prompt', 'b')], 'duplicate_field');
  fail([{ ...audio, name: 'image' }], 'invalid_field');
  fail([audio, part('encoder', 'native')], 'wrong_modality');
  fail([part('prompt', 'a red circle'), part('mix', 'splice'), part('mix_split', '3'), audio], 'out_of_range'); // 2 x 3 > 4 tokens
  const long = { ...audio, data: Buffer.from(encodeWav([new Float32Array(20000)], 16000, 'pcm16')) };
  fail([long], 'audio_too_long'); // the sound encoder's own 1 s limit
});

test('negative_prompt is read (trimmed, default ""), bounded like the prompt, and refused with a sound when the native text encoder is missing', () => {
  assert.equal(parse({ prompt: 'a red circle' }).negativePrompt, '');
  assert.equal(parse({ prompt: 'a red circle', negative_prompt: '  un cercle  ' }).negativePrompt, 'un cercle');
  rejects({ prompt: 'a red circle', negative_prompt: 7 }, 'invalid_field', 'negative_prompt');
  rejects({ prompt: 'a red circle', negative_prompt: 'x'.repeat(DEFAULT_LIMITS.maxPromptChars + 1) }, 'prompt_too_long', 'negative_prompt');
  const wav = encodeWav([new Float32Array(1600)], 16000);
  const parts = (neg: string): MultipartPart[] => [
    { name: 'audio', filename: 'a.wav', contentType: 'audio/wav', data: Buffer.from(wav) },
    { name: 'negative_prompt', contentType: 'text/plain', data: Buffer.from(neg) },
  ];
  assert.equal(parseGeneration(models, DEFAULT_LIMITS, { parts: parts('a red circle') }).negativePrompt, 'a red circle');
  const noNative = { ...models, native: null } as unknown as ServerModels;
  assert.throws(
    () => parseGeneration(noNative, DEFAULT_LIMITS, { parts: parts('a red circle') }),
    (e: unknown) => e instanceof HttpError && e.code === 'negative_prompt_unavailable',
  );
});
