/**
 * Point-cloud uploads through the HTTP API: the tiny SD fixtures with a stand-in point-cloud encoder
 * and a random GlueNet served as 'pointcloud'. A PLY upload gives an image (the unconditional from
 * the generator's own text encoder); malformed, hostile or misplaced uploads get 4xx JSON errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadAligner } from '../../src/gluenet/load.js';
import { writePly } from '../../src/io/ply.js';
import { HttpError } from '../../src/server/http-error.js';
import type { ServerModels } from '../../src/server/models.js';
import type { MultipartPart } from '../../src/server/multipart.js';
import { DEFAULT_LIMITS, parseGeneration } from '../../src/server/request.js';
import { fakePointCloudEncoder } from '../helpers/fake-pointcloud.js';
import { decodePng } from '../helpers/png-decode.js';
import { saveRandomGlueNet } from '../helpers/random-gluenet.js';
import { fixtureModels, type Running, startServer, TEST_LIMITS, toneWav } from './helpers.js';

let models: ServerModels;
let srv: Running;
const fake = fakePointCloudEncoder(8, 16, 'fake-pointcloud');
let releaseAligner: () => Promise<void>;

before(async () => {
  models = await fixtureModels();
  const dir = mkdtempSync(join(tmpdir(), 'serve-points-'));
  await saveRandomGlueNet(
    join(dir, 'gluenet-pc'),
    { arch: 'translator_w_head', tokens_in: 8, tokens_out: 77, dim_in: 16, dim_out: 768, mult: 1, depth: 3, cond_norm: 'clip-l-sd1' },
    4,
  );
  const aligner = await loadAligner(join(dir, 'gluenet-pc'));
  releaseAligner = aligner.release;
  models.encoders.push({ name: 'pointcloud', modality: 'pointcloud', encoder: fake, gluenet: 'gluenet-pc', languages: null, align: aligner.align });
  srv = await startServer(models, { limits: { ...TEST_LIMITS, maxPoints: 1000 } });
});
after(async () => {
  await srv.close();
  await releaseAligner();
  await models.release();
});

const SMALL = { size: '32x32', steps: '2', scheduler: 'ddim', format: 'json' };
const cube = (n: number): Float32Array => Float32Array.from({ length: 3 * n }, (_, i) => ((i * 7919) % 101) / 50 - 1);
const ply = (n = 64, format: 'ascii' | 'binary_little_endian' = 'binary_little_endian'): Uint8Array =>
  writePly({ positions: cube(n), colours: new Float32Array(3 * n).fill(0.5) }, format);

function post(fields: Record<string, string>, files: { field: string; bytes: Uint8Array; type?: string; name?: string }[] = []): Promise<Response> {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.set(k, v);
  for (const f of files) fd.set(f.field, new Blob([f.bytes as Uint8Array<ArrayBuffer>], { type: f.type ?? 'application/octet-stream' }), f.name ?? 'cloud.ply');
  return fetch(`${srv.url}/v1/generate`, { method: 'POST', body: fd });
}

async function expectError(res: Response, status: number, code: string, message: RegExp): Promise<void> {
  const body = (await res.json()) as { error: { status: number; code: string; message: string; field?: string } };
  assert.equal(res.status, status, JSON.stringify(body));
  assert.equal(body.error.code, code, body.error.message);
  assert.match(body.error.message, message);
}

test('a PLY upload gives an image through the point-cloud encoder, named in the metadata; /v1/models and the page offer it', async () => {
  const models = (await (await fetch(`${srv.url}/v1/models`)).json()) as { encoders: { name: string; modality: string }[] };
  assert.ok(models.encoders.some((e) => e.name === 'pointcloud' && e.modality === 'pointcloud'));
  const page = await (await fetch(`${srv.url}/`)).text();
  assert.match(page, /<input id="points-file" type="file" accept="\.ply/);
  const js = await (await fetch(`${srv.url}/app.js`)).text();
  assert.match(js, /fd\.set\('points', cloud\.blob, cloud\.name\)/);

  const seen = fake.seen.length;
  const res = await post({ ...SMALL, seed: '3' }, [{ field: 'points', bytes: ply(64), name: 'star.ply' }]);
  const body = (await res.json()) as {
    images: { png_base64: string }[];
    metadata: { encoder: string; modality: string; gluenet: string; prompt: string; points: { count: number; colours: boolean } };
  };
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.deepEqual(
    [body.metadata.encoder, body.metadata.modality, body.metadata.gluenet, body.metadata.prompt, body.metadata.points],
    ['pointcloud', 'pointcloud', 'gluenet-pc', '', { count: 64, colours: true }],
  );
  assert.equal(fake.seen.length, seen + 1);
  assert.deepEqual(fake.seen.at(-1)!.positions, cube(64));
  const png = decodePng(Buffer.from(body.images[0]!.png_base64, 'base64'));
  assert.deepEqual([png.width, png.height], [32, 32]);
  // Another cloud, another image; the same cloud as ascii, the same image.
  const other = (await (await post({ ...SMALL, seed: '3' }, [{ field: 'points', bytes: ply(200) }])).json()) as typeof body;
  const ascii = (await (await post({ ...SMALL, seed: '3' }, [{ field: 'points', bytes: ply(64, 'ascii'), type: 'text/plain' }])).json()) as typeof body;
  const pixels = (r: typeof body): Uint8Array => decodePng(Buffer.from(r.images[0]!.png_base64, 'base64')).pixels;
  assert.notDeepEqual(pixels(other), pixels(body));
  assert.deepEqual(pixels(ascii), pixels(body));
  // A negative prompt goes through the generator's own text encoder.
  const negative = await post({ ...SMALL, seed: '3', negative_prompt: 'blurry' }, [{ field: 'points', bytes: ply(64) }]);
  assert.equal(negative.status, 200);
});

test('malformed, hostile and misplaced point clouds are 4xx answers that say what is wrong', async () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  const started = performance.now();
  await expectError(
    await post(SMALL, [
      {
        field: 'points',
        bytes: enc('ply\nformat binary_little_endian 1.0\nelement vertex 2000000\nproperty float x\nproperty float y\nproperty float z\nend_header\n'),
        name: 'huge.ply',
      },
    ]),
    422,
    'invalid_points',
    /^points: points 'huge\.ply' is not a readable PLY file: truncated: the header declares 2000000 vertices of 12 bytes, but the file holds only 0 complete rows/,
  );
  assert.ok(performance.now() - started < 5000);
  await expectError(
    await post(SMALL, [{ field: 'points', bytes: enc('ply\nformat binary_big_endian 1.0\nelement vertex 1\nproperty float x\nend_header\n'), name: 'be.ply' }]),
    422,
    'invalid_points',
    /be\.ply' is not a readable PLY file: header line 2: binary_big_endian PLY is not supported; convert it/,
  );
  await expectError(
    await post(SMALL, [{ field: 'points', bytes: ply(64).subarray(0, 300), name: 'cut.ply' }]),
    422,
    'invalid_points',
    /cut\.ply' is not a readable PLY file: truncated/,
  );
  await expectError(await post(SMALL, [{ field: 'points', bytes: ply(1001) }]), 422, 'too_many_points', /has 1001 points; the most accepted is 1000/);
  await expectError(
    await post(SMALL, [{ field: 'points', bytes: enc('GIF89a'), type: 'image/gif', name: 'x.gif' }]),
    415,
    'unsupported_media_type',
    /send a PLY file/,
  );
  await expectError(await post({ ...SMALL, prompt: 'a star' }, [{ field: 'points', bytes: ply() }]), 422, 'invalid_points', /not mixed with a prompt/);
  await expectError(
    await post(SMALL, [
      { field: 'points', bytes: ply() },
      { field: 'audio', bytes: toneWav(0.5), type: 'audio/wav', name: 'tone.wav' },
    ]),
    422,
    'invalid_points',
    /a sound or a point cloud, not both/,
  );
  await expectError(
    await post({ ...SMALL, encoder: 'xlmr' }, [{ field: 'points', bytes: ply() }]),
    422,
    'wrong_modality',
    /encoder 'xlmr' takes text, but the request sends a point cloud; pick an encoder for point clouds \(pointcloud\)/,
  );
  const json = await fetch(`${srv.url}/v1/generate`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ points: [[0, 0, 0]] }),
  });
  await expectError(json, 422, 'invalid_points', /sent as a PLY file in a multipart\/form-data request \(field "points"\)/);
});

test('a server without a point-cloud encoder says so for a PLY upload', () => {
  const without = { ...models, encoders: models.encoders.filter((e) => e.modality !== 'pointcloud') };
  const parts: MultipartPart[] = [{ name: 'points', filename: 'a.ply', contentType: 'application/octet-stream', data: Buffer.from(ply(8)) }];
  assert.throws(
    () => parseGeneration(without, DEFAULT_LIMITS, { parts }),
    (e: unknown) =>
      e instanceof HttpError && e.status === 422 && e.code === 'unknown_encoder' && e.field === 'points' && /no point-cloud encoder/.test(e.message),
  );
  // With one, the cloud is parsed here when the server has not read it off the event loop.
  const spec = parseGeneration(models, DEFAULT_LIMITS, { parts });
  assert.deepEqual([spec.encoder.name, spec.points?.count, spec.points?.source], ['pointcloud', 8, "points 'a.ply'"]);
});
