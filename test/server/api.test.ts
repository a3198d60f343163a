/**
 * The HTTP API on the tiny fixtures: each endpoint, the three answer formats, and each error
 * status with its JSON code.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Encoder } from '../../src/encoders/types.js';
import { alignMap, encoderSource } from '../../src/pipeline/sources.js';
import { X2ImagePipeline } from '../../src/pipeline/x2image.js';
import type { ServerModels } from '../../src/server/models.js';
import { decodePng } from '../helpers/png-decode.js';
import { fixtureModels, type Running, startServer, toneWav } from './helpers.js';

let models: ServerModels;
let srv: Running;

before(async () => {
  models = await fixtureModels();
  srv = await startServer(models);
});
after(async () => {
  await srv.close();
  await models.release();
});

const SMALL = { size: '32x32', steps: 2, scheduler: 'ddim' };

function postJson(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${srv.url}/v1/generate`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function postForm(
  fields: Record<string, string>,
  audio?: { bytes: Uint8Array; type?: string; name?: string },
  headers: Record<string, string> = {},
): Promise<Response> {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.set(k, v);
  if (audio) fd.set('audio', new Blob([audio.bytes as Uint8Array<ArrayBuffer>], { type: audio.type ?? 'audio/wav' }), audio.name ?? 'tone.wav');
  return fetch(`${srv.url}/v1/generate`, { method: 'POST', body: fd, headers });
}

async function expectError(res: Response, status: number, code: string, field?: string): Promise<string> {
  const body = (await res.json()) as { error: { status: number; code: string; message: string; field?: string } };
  assert.equal(res.status, status, JSON.stringify(body));
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  assert.equal(body.error.status, status);
  assert.equal(body.error.code, code, body.error.message);
  if (field !== undefined) assert.equal(body.error.field, field);
  assert.ok(body.error.message.length > 10);
  return body.error.message;
}

describe('read-only endpoints', () => {
  test('GET /healthz reports the queue and memory', async () => {
    const res = await fetch(`${srv.url}/healthz`);
    assert.equal(res.status, 200);
    const h = (await res.json()) as { status: string; queue: { workers: number; running: number; queued: number }; memory: { rss_mb: number } };
    assert.equal(h.status, 'ok');
    assert.deepEqual([h.queue.workers, h.queue.running, h.queue.queued], [1, 0, 0]);
    assert.ok(h.memory.rss_mb > 10);
  });

  test('GET /v1/models lists the generator and the encoders by name, never by path', async () => {
    const res = await fetch(`${srv.url}/v1/models`);
    const text = await res.text();
    const m = JSON.parse(text) as {
      generator: { name: string; condition: { tokens: number; dim: number }; default_size: { width: number } };
      encoders: { name: string; modality: string; gluenet: string | null; tokens: number; dim: number }[];
      mixing: boolean;
    };
    assert.deepEqual(m.generator.condition, { tokens: 77, dim: 768 });
    assert.equal(m.generator.default_size.width, 64);
    assert.deepEqual(
      m.encoders.map((e) => [e.name, e.modality, e.gluenet, e.tokens, e.dim]),
      [
        ['native', 'text', null, 77, 768],
        ['xlmr', 'text', 'gluenet-xlmr', 8, 24],
        ['clap', 'audio', 'gluenet-clap', 16, 64],
      ],
    );
    assert.equal(m.mixing, true);
    assert.doesNotMatch(text, /fixtures|\/tmp\//);
  });

  test('GET / serves the page, its script and style, with a strict CSP', async () => {
    const res = await fetch(`${srv.url}/`);
    assert.equal(res.status, 200);
    const html = await res.text();
    for (const id of ['prompt', 'encoder', 'language', 'sound-file', 'mix-slider', 'seed', 'steps', 'guidance', 'gallery', 'progress'])
      assert.match(html, new RegExp(`id="${id}"`));
    assert.doesNotMatch(html, /https?:\/\//, 'no external URL (CDN) in the page');
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const js = await fetch(`${srv.url}/app.js`);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    new Function(await js.text()); // throws a SyntaxError unless the script parses
    assert.match(await (await fetch(`${srv.url}/app.css`)).text(), /#gallery/);
  });
});

describe('POST /v1/generate', () => {
  test('a JSON prompt through the native encoder gives the PNG the pipeline gives', async () => {
    const res = await postJson({ prompt: 'a red circle', encoder: 'native', seed: 7, ...SMALL });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/png');
    const png = new Uint8Array(await res.arrayBuffer());
    const meta = JSON.parse(decodeURIComponent(res.headers.get('x-gluegen-metadata') ?? '')) as { seed: number; encoder: string; steps: number };
    assert.deepEqual([meta.seed, meta.encoder, meta.steps], [7, 'native', 2]);
    // Independently: the pipeline with the same parts and settings.
    const direct = await new X2ImagePipeline({ generator: models.generator, source: encoderSource(models.native as Encoder<'text'>) }).run({
      inputs: ['a red circle'],
      seed: 7,
      steps: 2,
      guidance: 7.5,
      scheduler: 'ddim',
      width: 32,
      height: 32,
    });
    assert.deepEqual(png, direct.pngs[0]);
    const again = new Uint8Array(await (await postJson({ prompt: 'a red circle', encoder: 'native', seed: 7, ...SMALL })).arrayBuffer());
    assert.deepEqual(again, png, 'same seed, same image');
    const other = new Uint8Array(await (await postJson({ prompt: 'a red circle', encoder: 'native', seed: 8, ...SMALL })).arrayBuffer());
    assert.notDeepEqual(other, png, 'another seed, another image');
  });

  test('format json: several base64 images and their metadata; a French prompt through XLM-R + GlueNet', async () => {
    const res = await postJson({ prompt: 'un chat rouge', encoder: 'xlmr', seed: 3, n_images: 2, format: 'json', ...SMALL });
    assert.equal(res.status, 200);
    const body = (await res.json()) as {
      images: { png_base64: string }[];
      metadata: { encoder: string; gluenet: string; n_images: number; width: number; prompt: string };
    };
    assert.equal(body.images.length, 2);
    const [a, b] = body.images.map((i) => decodePng(Buffer.from(i.png_base64, 'base64')));
    assert.deepEqual([a!.width, a!.height], [32, 32]);
    assert.notDeepEqual(a!.pixels, b!.pixels, 'each image has its own noise');
    assert.deepEqual(
      [body.metadata.encoder, body.metadata.gluenet, body.metadata.n_images, body.metadata.width, body.metadata.prompt],
      ['xlmr', 'gluenet-xlmr', 2, 32, 'un chat rouge'],
    );
    const xlmr = models.encoders.find((e) => e.name === 'xlmr')!;
    const source = encoderSource(xlmr.encoder as Encoder<'text'>, { map: alignMap(xlmr.align!), gluenetName: 'gluenet-xlmr' });
    const direct = await new X2ImagePipeline({ generator: models.generator, source }).run({
      inputs: ['un chat rouge', 'un chat rouge'],
      seed: 3,
      steps: 2,
      scheduler: 'ddim',
      width: 32,
      height: 32,
    });
    assert.deepEqual(Buffer.from(body.images[1]!.png_base64, 'base64'), Buffer.from(direct.pngs[1]!));
  });

  test('several images as PNG come back as one grid', async () => {
    const res = await postJson({ prompt: 'a cat', encoder: 'native', n_images: 2, seed: 1, ...SMALL });
    const png = decodePng(new Uint8Array(await res.arrayBuffer()));
    assert.deepEqual([png.width, png.height], [64, 32]);
  });

  test('multipart: a sound alone, and mixed with a prompt', async () => {
    const wav = toneWav(1);
    const alone = await postForm({ seed: '5', steps: '2', size: '32', scheduler: 'ddim', format: 'json' }, { bytes: wav });
    assert.equal(alone.status, 200);
    const a = (await alone.json()) as {
      images: { png_base64: string }[];
      metadata: { encoder: string; audio: { seconds: number; sample_rate: number }; mix: string | null };
    };
    assert.deepEqual([a.metadata.encoder, a.metadata.audio, a.metadata.mix], ['clap', { seconds: 1, sample_rate: 16000 }, null]);
    const mixed = await postForm(
      { prompt: 'a watercolor painting', mix: 'avg', mix_weight: '0.7', seed: '5', steps: '2', size: '32', scheduler: 'ddim', format: 'json' },
      { bytes: wav },
    );
    assert.equal(mixed.status, 200);
    const m = (await mixed.json()) as { images: { png_base64: string }[]; metadata: { mix: string } };
    assert.equal(m.metadata.mix, 'avg:0.7');
    assert.notEqual(m.images[0]!.png_base64, a.images[0]!.png_base64);
    const spliced = await postForm(
      { prompt: 'a watercolor painting', mix: 'splice', mix_split: '4', seed: '5', steps: '2', size: '32', scheduler: 'ddim', format: 'json' },
      { bytes: wav },
    );
    assert.equal(((await spliced.json()) as { metadata: { mix: string } }).metadata.mix, 'splice:4');
  });

  test('Server-Sent Events: one progress event per step, then the result', async () => {
    const res = await postJson({ prompt: 'a dog', encoder: 'native', seed: 2, ...SMALL, steps: 3 }, { Accept: 'text/event-stream' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const events = (await res.text())
      .split('\n\n')
      .filter((b) => b.startsWith('event: '))
      .map((b) => {
        const [e, d] = b.split('\n');
        return { event: e!.slice(7), data: JSON.parse(d!.slice(6)) as Record<string, unknown> };
      });
    const names = events.map((e) => e.event);
    assert.deepEqual(names, ['started', 'progress', 'progress', 'progress', 'result']);
    assert.deepEqual(
      events.slice(1, 4).map((e) => [e.data.step, e.data.total]),
      [
        [1, 3],
        [2, 3],
        [3, 3],
      ],
    );
    const result = events[4]!.data as { images: string[]; metadata: { steps: number } };
    assert.equal(result.metadata.steps, 3);
    assert.equal(decodePng(Buffer.from(result.images[0]!, 'base64')).width, 32);
  });
});

describe('errors', () => {
  test('400: bad JSON, a JSON array, a malformed multipart body', async () => {
    await expectError(await postJson('{"prompt": "a cat",'), 400, 'invalid_json');
    await expectError(await postJson('["a cat"]'), 400, 'invalid_json');
    const res = await fetch(`${srv.url}/v1/generate`, {
      method: 'POST',
      headers: { 'Content-Type': 'multipart/form-data; boundary=XYZ' },
      body: '--XYZ\r\nContent-Disposition: form-data; name="prompt"\r\n\r\na cat',
    });
    await expectError(res, 400, 'invalid_multipart');
    const noBoundary = await fetch(`${srv.url}/v1/generate`, { method: 'POST', headers: { 'Content-Type': 'multipart/form-data' }, body: 'x' });
    await expectError(noBoundary, 400, 'invalid_multipart');
  });

  test('413: a JSON body or an upload over the limit', async () => {
    await expectError(await postJson({ prompt: 'x'.repeat(5000) }), 413, 'payload_too_large');
    await expectError(await postForm({ steps: '2' }, { bytes: toneWav(10) }), 413, 'payload_too_large');
    // The server still answers afterwards.
    assert.equal((await fetch(`${srv.url}/healthz`)).status, 200);
  });

  test('415: an unsupported content type, or a sound that is not a WAV', async () => {
    await expectError(
      await fetch(`${srv.url}/v1/generate`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'a cat' }),
      415,
      'unsupported_media_type',
    );
    await expectError(
      await postForm({}, { bytes: new Uint8Array([0xff, 0xfb, 0x90, 0x00]), type: 'audio/mpeg', name: 'a.mp3' }),
      415,
      'unsupported_media_type',
      'audio',
    );
  });

  test('422: unknown encoder, wrong modality, unknown field, unknown scheduler', async () => {
    const msg = await expectError(await postJson({ prompt: 'a cat', encoder: 'clip-giant', ...SMALL }), 422, 'unknown_encoder', 'encoder');
    assert.match(msg, /native, xlmr, clap/);
    await expectError(await postJson({ prompt: 'a cat', encoder: 'clap', ...SMALL }), 422, 'wrong_modality', 'encoder');
    await expectError(await postJson({ prompt: 'a cat', step: 3 }), 422, 'unknown_field', 'step');
    await expectError(await postJson({ prompt: 'a cat', scheduler: 'lms' }), 422, 'unknown_scheduler', 'scheduler');
    await expectError(await postJson({ prompt: 'a cat', encoder: '../../etc' }), 422, 'unknown_encoder');
  });

  test('422: empty and over-long prompts', async () => {
    await expectError(await postJson({ prompt: '   ' }), 422, 'empty_prompt', 'prompt');
    await expectError(await postJson({}), 422, 'empty_prompt', 'prompt');
    await expectError(await postJson({ prompt: 'a'.repeat(101) }), 422, 'prompt_too_long', 'prompt');
    await expectError(await postJson({ prompt: 42 }), 422, 'invalid_field', 'prompt');
  });

  test('422: steps, size, images, guidance, seed out of range', async () => {
    await expectError(await postJson({ prompt: 'a cat', steps: 0 }), 422, 'out_of_range', 'steps');
    await expectError(await postJson({ prompt: 'a cat', steps: 11 }), 422, 'out_of_range', 'steps');
    await expectError(await postJson({ prompt: 'a cat', steps: 2.5 }), 422, 'out_of_range', 'steps');
    await expectError(await postJson({ prompt: 'a cat', steps: '2' }), 422, 'out_of_range', 'steps');
    await expectError(await postJson({ prompt: 'a cat', size: '33x32' }), 422, 'invalid_size', 'width');
    await expectError(await postJson({ prompt: 'a cat', size: 128 }), 422, 'invalid_size', 'width');
    await expectError(await postJson({ prompt: 'a cat', size: 'big' }), 422, 'invalid_size', 'size');
    await expectError(await postJson({ prompt: 'a cat', n_images: 5 }), 422, 'out_of_range', 'n_images');
    await expectError(await postJson({ prompt: 'a cat', guidance: -1 }), 422, 'out_of_range', 'guidance');
    await expectError(await postJson({ prompt: 'a cat', seed: -3 }), 422, 'out_of_range', 'seed');
  });

  test('422: malformed, empty and over-long audio; a mix without a prompt', async () => {
    await expectError(await postForm({}, { bytes: new TextEncoder().encode('RIFF....WAVEnot really') }), 422, 'invalid_audio', 'audio');
    await expectError(await postForm({}, { bytes: new Uint8Array(0) }), 422, 'invalid_audio', 'audio');
    const msg = await expectError(await postForm({}, { bytes: toneWav(3, 8000) }), 422, 'audio_too_long', 'audio');
    assert.match(msg, /3\.0 s/);
    await expectError(await postForm({ mix: 'avg' }, { bytes: toneWav(0.5) }), 422, 'invalid_mix', 'mix');
    await expectError(await postForm({ prompt: 'a cat', mix: 'blend' }, { bytes: toneWav(0.5) }), 422, 'invalid_mix', 'mix');
    await expectError(await postForm({ prompt: 'a cat', mix: 'avg', mix_weight: '2' }, { bytes: toneWav(0.5) }), 422, 'out_of_range', 'mix_weight');
    await expectError(await postJson({ prompt: 'a cat', audio: 'UklGRg==' }), 422, 'invalid_audio', 'audio');
  });

  test('404, 405 with Allow, 403 for a foreign Host or a cross-origin POST', async () => {
    await expectError(await fetch(`${srv.url}/v2/generate`), 404, 'not_found');
    const r405 = await fetch(`${srv.url}/v1/generate`);
    assert.equal(r405.headers.get('allow'), 'POST');
    await expectError(r405, 405, 'method_not_allowed');
    await expectError(await postJson({ prompt: 'a cat' }, { Origin: 'http://evil.example' }), 403, 'cross_origin');
    // DNS rebinding: a request naming another host. fetch() sets Host itself, so use node:http.
    const http = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${srv.url}/v1/models`, { headers: { Host: 'attacker.example:7860' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 403);
  });
});
