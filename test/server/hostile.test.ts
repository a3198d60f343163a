/**
 * Hostile requests, as the adversarial sweep sent them: each gets a clean 4xx with a one-line
 * message, nothing is logged as an internal error, and the event loop stays responsive (/healthz
 * answers throughout) because uploads are decoded in a worker thread with bounded work.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, test } from 'node:test';
import { decodeWav, encodeWav } from '../../src/encoders/audio/index.js';
import type { ServerModels } from '../../src/server/models.js';
import { decodeWavOffThread } from '../../src/server/wav-thread.js';
import { fixtureModels, type Running, startServer, toneWav } from './helpers.js';

let models: ServerModels;
let srv: Running;
const logged: string[] = [];

before(async () => {
  models = await fixtureModels();
  srv = await startServer(models, { log: (l) => logged.push(l), limits: { maxUploadBytes: 8 * 2 ** 20, maxAudioSeconds: 2 } });
});
after(async () => {
  await srv.close();
  await models.release();
});

/** A 52-byte WAV whose header declares `rate` Hz (16-bit mono, 4 samples). */
function wavDeclaring(rate: number): Uint8Array {
  const wav = toneWav(4 / 16000);
  new DataView(wav.buffer, wav.byteOffset).setUint32(24, rate, true);
  return wav;
}

function postForm(fields: Record<string, string>, audio?: Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  if (audio) fd.set('audio', new Blob([audio as Uint8Array<ArrayBuffer>], { type: 'audio/wav' }), 'x.wav');
  return fetch(`${srv.url}/v1/generate`, { method: 'POST', body: fd, headers });
}

async function expect4xx(res: Response, status: number, code: string, pattern?: RegExp): Promise<void> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(res.status, status, JSON.stringify(body));
  assert.equal(body.error.code, code, body.error.message);
  assert.doesNotMatch(body.error.message, /\n|\bat .*\.js:\d+/);
  if (pattern) assert.match(body.error.message, pattern);
}

async function encodedForm(audio: Uint8Array): Promise<{ body: Uint8Array<ArrayBuffer>; type: string }> {
  const fd = new FormData();
  fd.set('audio', new Blob([audio as Uint8Array<ArrayBuffer>], { type: 'audio/wav' }), 'x.wav');
  const r = new Response(fd);
  return { body: new Uint8Array(await r.arrayBuffer()) as Uint8Array<ArrayBuffer>, type: r.headers.get('content-type')! };
}

/** A raw request (fetch normalizes targets such as '//' or '*'); resolves with status and body. */
function raw(method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(srv.url);
    const req = http.request({ host: u.hostname, port: u.port, method, path }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('hostile WAVs get 422 while /healthz keeps answering and the event loop never blocks', async () => {
  const nanWav = encodeWav([Float32Array.of(0.1, NaN, 0.2, 0.3)], 16000, 'float32');
  // The largest upload allowed (8 MiB) at the highest rate: decoded in full, then refused as too long.
  const big = encodeWav([new Float32Array(4 * 2 ** 20 - 1024).fill(0.25)], 768_000, 'pcm16');
  const cases: Array<[Uint8Array, string, RegExp]> = [
    [wavDeclaring(15_344_001), 'invalid_audio', /sample rate of 15344001 Hz; expected 1000 to 768000 Hz/],
    [wavDeclaring(40_000_000), 'invalid_audio', /sample rate of 40000000 Hz/],
    [wavDeclaring(0xffffffff), 'invalid_audio', /sample rate of 4294967295 Hz/],
    [wavDeclaring(1), 'invalid_audio', /sample rate of 1 Hz/],
    [nanWav, 'invalid_audio', /sample 1 of channel 0 is NaN; float WAV samples must be finite/],
    [big, 'audio_too_long', /lasts 5\.5 s/],
  ];
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  let healthy = 0;
  let polling = true;
  const poll = (async () => {
    while (polling) {
      const h = await fetch(`${srv.url}/healthz`);
      assert.equal(h.status, 200);
      await h.arrayBuffer();
      healthy++;
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  // Bodies are encoded before measuring: this process is also the client.
  const bodies = await Promise.all(cases.map(async ([wav]) => encodedForm(wav)));
  delay.reset();
  const before = process.memoryUsage().rss;
  await Promise.all(
    cases.map(async ([, code, pattern], i) => {
      const res = await fetch(`${srv.url}/v1/generate`, { method: 'POST', body: bodies[i]!.body, headers: { 'Content-Type': bodies[i]!.type } });
      await expect4xx(res, 422, code, pattern);
    }),
  );
  polling = false;
  await poll;
  delay.disable();
  const maxBlockMs = delay.max / 1e6;
  assert.ok(healthy >= 2, `/healthz answered ${healthy} times`);
  // Generous for a loaded 2-core machine (OS preemption counts too); the unbounded resampler blocked 7 s.
  assert.ok(maxBlockMs < 1000, `event loop blocked for ${maxBlockMs.toFixed(0)} ms`);
  assert.ok(process.memoryUsage().rss - before < 400 * 2 ** 20, 'memory grew by more than 400 MB');
  assert.ok(!logged.some((l) => l.startsWith('error')), logged.join('\n'));
});

test('a WAV decoded off the event loop: timers keep firing while the worker decodes 8 MiB', async () => {
  const big = encodeWav([new Float32Array(4 * 2 ** 20).fill(0.25)], 48_000, 'pcm16');
  const t0 = performance.now();
  decodeWav(big);
  const syncMs = performance.now() - t0; // what the event loop would lose decoding in place
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const r = await decodeWavOffThread(big);
  delay.disable();
  assert.ok(!(r instanceof Error), String(r));
  assert.equal(r.samples.length, 4 * 2 ** 20);
  const maxBlockMs = delay.max / 1e6;
  assert.ok(maxBlockMs < Math.max(250, syncMs / 2), `event loop blocked ${maxBlockMs.toFixed(0)} ms (decoding in place: ${syncMs.toFixed(0)} ms)`);
  const bad = await decodeWavOffThread(new Uint8Array(100));
  assert.ok(bad instanceof Error && /not a WAV file/.test(bad.message), String(bad));
});

test("Origin: null (sandboxed iframes) is refused like any foreign page's origin", async () => {
  await expect4xx(await postForm({ prompt: 'a cat' }, undefined, { Origin: 'null' }), 403, 'cross_origin', /'null'/);
  const same = await fetch(`${srv.url}/v1/generate`, { method: 'POST', headers: { Origin: srv.url, 'Content-Type': 'application/json' }, body: '{}' });
  await expect4xx(same, 422, 'empty_prompt');
});

test('HEAD works wherever GET does; other methods are told the allowed ones', async () => {
  for (const path of ['/', '/healthz', '/v1/models', '/app.js']) {
    const get = await raw('GET', path);
    const head = await raw('HEAD', path);
    assert.equal(head.status, 200, path);
    assert.equal(head.body, '', `HEAD ${path} must have no body`);
    assert.equal(get.status, 200);
  }
  const res = await fetch(`${srv.url}/healthz`, { method: 'DELETE' });
  assert.equal(res.headers.get('allow'), 'GET, HEAD');
  await expect4xx(res, 405, 'method_not_allowed');
});

test('malformed request targets get 400/404, never a 500 or a logged stack trace', async () => {
  logged.length = 0;
  for (const path of ['//', '//evil.example/x', '///healthz', '/%', '/%00', '/..%2f..%2fetc']) {
    const r = await raw('GET', path);
    assert.equal(r.status, 404, `${path}: ${r.body}`);
  }
  for (const path of ['*', 'http://evil.example/healthz']) {
    const r = await raw('GET', path);
    assert.equal(r.status, 400, `${path}: ${r.body}`);
    assert.match(r.body, /"invalid_url"/);
  }
  assert.deepEqual(logged, []);
});

test('multipart fields named __proto__ or constructor are unknown fields, not duplicates', async () => {
  for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    await expect4xx(await postForm({ prompt: 'a cat', [name]: 'x' }), 422, 'unknown_field', new RegExp(`^${name}: unknown field`));
  }
  const fd = new FormData();
  fd.append('prompt', 'a cat');
  fd.append('prompt', 'a dog');
  await expect4xx(await fetch(`${srv.url}/v1/generate`, { method: 'POST', body: fd }), 422, 'duplicate_field', /given twice/);
});
