/**
 * The pieces under the page: the file-source seam (folder and fetch), the stored-deflate node:zlib
 * the web bundle uses for PNGs, the static file handler, and `gluegen serve`'s /web/ route.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { inflateSync } from 'node:zlib';
import { FileSourceError, readJson, urlFiles } from '../../src/io/file-source.js';
import { folderFiles } from '../../src/io/folder-files.js';
import type { ServerModels } from '../../src/server/models.js';
import { createGlueServer, type GlueServer } from '../../src/server/server.js';
import { serveStaticFile, WEB_PAGE_CSP } from '../../src/server/static-files.js';
import { Rng } from '../../src/util/rng.js';
import { deflateSync } from '../../src/web/shims/zlib.js';

const site = mkdtempSync(join(tmpdir(), 'gluegen-site-'));
mkdirSync(join(site, 'models', 'm'), { recursive: true });
writeFileSync(join(site, 'index.html'), '<!doctype html><title>page</title>');
writeFileSync(join(site, 'models', 'm', 'config.json'), '{"a": 1}');
writeFileSync(join(site, 'models', 'm', 'broken.json'), '{"a": ');
writeFileSync(join(site, 'models', 'm', 'big.bin'), new Uint8Array(5000).fill(7));
writeFileSync(join(site, 'secret.txt'), 'outside');

let server: Server;
let base: string;
before(async () => {
  server = createServer((req, res) => {
    const a = serveStaticFile(join(site, 'models'), new URL(req.url ?? '/', 'http://x').pathname.slice(1), req, res);
    if ('message' in a) {
      res.writeHead(a.status);
      res.end(a.message);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

test('folder and URL file sources read the same bytes; a missing file is a "missing" error naming it', async () => {
  for (const files of [folderFiles(join(site, 'models')).sub('m'), urlFiles(base).sub('m')]) {
    assert.deepEqual(await readJson(files, 'config.json'), { a: 1 });
    assert.equal((await files.bytes('big.bin')).length, 5000);
    assert.equal(await readJson(files, 'nothing.json', { optional: true }), null);
    await assert.rejects(
      files.bytes('nothing.json'),
      (e: Error) => e instanceof FileSourceError && e.code === 'missing' && e.message.includes(files.describe('nothing.json')),
    );
    await assert.rejects(readJson(files, 'broken.json'), /broken\.json is not valid JSON/);
    await assert.rejects(files.bytes('../index.html'), /must be relative to its model folder/);
  }
});

test('a URL source refuses files over its byte limit and says when the server is gone', async () => {
  const seen: number[] = [];
  const files = urlFiles(`${base}m`, { maxBytes: 4000, onProgress: (_, loaded) => seen.push(loaded) });
  await assert.rejects(files.bytes('big.bin'), /big\.bin is 5000 bytes, more than the 4000/);
  const ok = urlFiles(`${base}m`, { onProgress: (_, loaded) => seen.push(loaded) });
  await ok.bytes('big.bin');
  assert.equal(seen.at(-1), 5000);
  await assert.rejects(urlFiles('http://127.0.0.1:9/').bytes('x.json'), /could not fetch http:\/\/127\.0\.0\.1:9\/x\.json/);
});

test("the web bundle's deflateSync writes zlib streams node:zlib inflates back, across block boundaries", () => {
  const rng = new Rng(1);
  for (const n of [0, 1, 65535, 65536, 200_000]) {
    const data = Uint8Array.from({ length: n }, () => Math.floor(rng.uniform() * 256));
    assert.deepEqual(new Uint8Array(inflateSync(deflateSync(data))), data, `${n} bytes`);
  }
});

test('the static handler serves files with revalidation and refuses paths outside its folder', async () => {
  const first = await fetch(`${base}m/config.json`);
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('content-type'), 'application/json; charset=utf-8');
  const etag = first.headers.get('etag')!;
  assert.equal((await fetch(`${base}m/config.json`, { headers: { 'If-None-Match': etag } })).status, 304);
  assert.equal((await fetch(`${base}m/..%2F..%2Fsecret.txt`)).status, 400);
  assert.equal((await fetch(`${base}m/%E0%A4%A`)).status, 400);
  assert.equal((await fetch(`${base}m/none.onnx`)).status, 404);
  assert.equal((await fetch(`${base}m/config.json`, { method: 'POST' })).status, 405);
});

test('gluegen serve answers the page at /web/ with its CSP, and says how to build it when it is not built', async () => {
  // Only the page's files are asked for: models that could not generate anything do.
  const models = {
    generatorName: 'stub',
    generatorKind: 'world',
    generator: { condition: { tokens: 1, dim: 1 }, defaultSize: { width: 32, height: 32 } },
    fixedSize: true,
    encoders: [],
    native: null,
    defaults: { steps: 1, guidance: 1, scheduler: 'ddim' },
    schedulers: ['ddim'],
  } as unknown as ServerModels;
  const open = async (webDir: string | null): Promise<{ srv: GlueServer; url: string }> => {
    const srv = createGlueServer(models, { webDir });
    const addr = await srv.listen(0, '127.0.0.1');
    return { srv, url: `http://127.0.0.1:${addr.port}` };
  };
  const { srv, url } = await open(site);
  try {
    const page = await fetch(`${url}/web/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>page<\/title>/);
    assert.equal(page.headers.get('content-security-policy'), WEB_PAGE_CSP);
    assert.equal((await fetch(`${url}/web`, { redirect: 'manual' })).headers.get('location'), '/web/');
    assert.equal((await fetch(`${url}/web/models/m/config.json`)).status, 200);
    const missing = await fetch(`${url}/web/nothing.js`);
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { error: { message: string } }).error.message, /the page has no file "nothing\.js"/);
  } finally {
    await srv.close();
  }
  const bare = await open(null);
  try {
    const res = await fetch(`${bare.url}/web/`);
    assert.equal(res.status, 404);
    assert.match(await res.text(), /run `npm run build:web`/);
  } finally {
    await bare.srv.close();
  }
});
