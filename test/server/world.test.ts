/**
 * The bundled world through the server, where its assets are built (each test skips, saying why,
 * where they are not): the world's multilingual and sound encoder folders served with the tiny SD
 * export and random GlueNets (language detection routes a French prompt), and `loadServerModels()`
 * with no options — the world defaults of `gluegen serve` — generating from a French prompt and a sound.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadServerModels } from '../../src/server/models.js';
import { saveRandomGlueNet } from '../helpers/random-gluenet.js';
import { FIX, startServer, toneWav } from './helpers.js';

const WORLD = process.env.GLUEGEN_WORLD_DIR ?? fileURLToPath(new URL('../../../assets/world/', import.meta.url));
const has = (...dirs: string[]): boolean => dirs.every((d) => existsSync(join(WORLD, d, 'config.json')));
const encodersSkip = has('multilingual-encoder', 'sound-encoder') ? false : `the world encoders are not built in ${WORLD}`;
const worldSkip = has('generator', 'text-encoder', 'multilingual-encoder', 'sound-encoder', 'gluenet-multilingual', 'gluenet-sound')
  ? false
  : `the full world (generator, encoders, GlueNets) is not built in ${WORLD}`;

const randomGlueNet = (dir: string, tokensIn: number, dimIn: number, seed: number): Promise<void> =>
  saveRandomGlueNet(
    dir,
    { arch: 'translator_w_head', tokens_in: tokensIn, tokens_out: 77, dim_in: dimIn, dim_out: 768, mult: 1, depth: 3, cond_norm: 'clip-l-sd1' },
    seed,
  );

const post = (url: string, body: unknown): Promise<Response> =>
  fetch(`${url}/v1/generate`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

test('world encoder folders: the language of a prompt picks the multilingual encoder', { skip: encodersSkip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'serve-world-'));
  const { WorldMultilingualEncoder } = await import('../../src/encoders/world/multilingual.js');
  const probe = await WorldMultilingualEncoder.load(join(WORLD, 'multilingual-encoder'));
  await probe.release();
  await randomGlueNet(join(dir, 'gm'), probe.info.tokens, probe.info.dim, 1);
  const models = await loadServerModels({
    generator: join(FIX, 'sd/tiny-sd'),
    textEncoder: join(FIX, 'encoders/sd-text/text_encoder'),
    encoders: [{ name: 'multilingual', dir: join(WORLD, 'multilingual-encoder'), gluenet: join(dir, 'gm') }],
  });
  const srv = await startServer(models);
  try {
    const languages = models.encoders.find((e) => e.name === 'multilingual')!.languages ?? [];
    assert.ok(languages.includes('fr'), languages.join(','));
    const res = await post(srv.url, { prompt: 'un grand cercle rouge', steps: 2, size: 32, format: 'json' });
    const body = (await res.json()) as { metadata: { encoder: string; language: string } };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual([body.metadata.encoder, body.metadata.language], ['multilingual', 'fr']);
  } finally {
    await srv.close();
    await models.release();
  }
});

test('no options: the bundled world generates from a French prompt and from a sound', { skip: worldSkip, timeout: 120_000 }, async () => {
  const models = await loadServerModels(process.env.GLUEGEN_WORLD_DIR ? {} : { worldDir: WORLD });
  const srv = await startServer(models);
  try {
    assert.deepEqual(
      models.encoders.map((e) => e.name),
      ['native', 'multilingual', 'sound', ...(has('pointcloud-encoder', 'gluenet-pointcloud') ? ['pointcloud'] : [])],
    );
    const res = await post(srv.url, { prompt: 'un grand cercle rouge', steps: 3, format: 'json' });
    const body = (await res.json()) as { metadata: { encoder: string; language: string; width: number } };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual([body.metadata.encoder, body.metadata.language, body.metadata.width], ['multilingual', 'fr', models.generator.defaultSize.width]);
    const fd = new FormData();
    fd.set('audio', new Blob([toneWav(1) as Uint8Array<ArrayBuffer>], { type: 'audio/wav' }), 'tone.wav');
    fd.set('steps', '3');
    const sound = await fetch(`${srv.url}/v1/generate`, { method: 'POST', body: fd });
    assert.equal(sound.status, 200, await sound.clone().text());
    assert.equal(sound.headers.get('content-type'), 'image/png');
  } finally {
    await srv.close();
    await models.release();
  }
});
