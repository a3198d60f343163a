/**
 * The in-browser page end to end: the test builds the site (scripts/build-web.ts) into a temporary
 * folder, serves it from a static loopback server, and Debian's chromium (headless, through
 * playwright-core) types a French prompt and clicks generate. The image the page draws (tokenizer ->
 * multilingual encoder -> GlueNet -> world generator -> decoder, all on onnxruntime-web in the page)
 * is decoded in Node and read by the world evaluator: it must show the object and colour the prompt
 * names. The page may request nothing but the site's own files.
 *
 * Prints the time to first image, cold (empty cache) and warm (reload, cache revalidated), and the
 * bytes the page downloaded. Skips, with the reason, when chromium or playwright-core is missing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildWeb } from '../../scripts/build-web.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../../scripts/chromium.js';
import { encodeWav } from '../../src/encoders/audio/wav.js';
import { serveStaticFile } from '../../src/server/static-files.js';
import { Rng } from '../../src/util/rng.js';
import { COLOURS, OBJECTS } from '../../src/world/data/attributes.js';
import { SAMPLE_RATE, synthSound } from '../../src/world/data/sounds.js';
import { describe, readWorldPng } from './helpers.js';

// The fake media flags give the page a microphone (a test tone) without a permission prompt.
const PAGE_ARGS = [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

/** The subset of playwright-core this test uses. */
interface Pw {
  chromium: { launch(o: { executablePath: string; args: string[]; headless: boolean }): Promise<Browser> };
}
interface Browser {
  newContext(): Promise<Context>;
  close(): Promise<void>;
}
interface Context {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}
interface Page {
  goto(url: string): Promise<unknown>;
  reload(): Promise<unknown>;
  on(event: 'console' | 'pageerror' | 'request', fn: (x: { type?: () => string; text?: () => string; message?: string; url?: () => string }) => void): void;
  fill(selector: string, value: string): Promise<void>;
  click(selector: string): Promise<void>;
  waitForSelector(selector: string, o?: { timeout?: number; state?: string }): Promise<unknown>;
  evaluate<T>(fn: string): Promise<T>;
  textContent(selector: string): Promise<string | null>;
  setInputFiles(selector: string, files: { name: string; mimeType: string; buffer: Buffer }): Promise<void>;
}

async function loadPlaywright(): Promise<{ pw: Pw } | { skip: string }> {
  if (!existsSync(CHROMIUM)) return { skip: `no chromium at ${CHROMIUM} (apt-get install -y chromium)` };
  try {
    return { pw: (await import('playwright-core' as string)) as Pw };
  } catch {
    return { skip: 'playwright-core is not installed (npm install --save-dev playwright-core)' };
  }
}

const found = await loadPlaywright();
const skip = 'skip' in found ? found.skip : false;
if (skip) console.log(`# web page test skipped: ${skip}`);

/** A static loopback server over `dir` that logs every request. */
async function staticServer(dir: string): Promise<{ url: string; log: { path: string; status: number; bytes: number }[]; server: Server }> {
  const log: { path: string; status: number; bytes: number }[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const answer = serveStaticFile(dir, path.slice(1), req, res);
    if ('message' in answer) {
      res.writeHead(answer.status, { 'Content-Type': 'text/plain' });
      res.end(answer.message);
      log.push({ path, status: answer.status, bytes: 0 });
    } else {
      log.push({ path, status: answer.status, bytes: answer.bytes });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, log, server };
}

/** Polls an element's text until it matches (waitForFunction would need eval, which the CSP forbids). */
async function waitForText(page: Page, selector: string, pattern: RegExp, timeoutMs = 20_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  let text: string | null = null;
  while (performance.now() < end) {
    text = await page.textContent(selector);
    if (text !== null && pattern.test(text)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${selector} shows ${JSON.stringify(text)}, not ${pattern} (error: ${JSON.stringify(await page.textContent('#error'))})`);
}

const cleanup: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const f of cleanup.reverse()) await f();
});

/** Types the prompt, clicks generate, waits for the newest img.result; returns its PNG and the seconds it took. */
async function generateOnce(page: Page, prompt: string, count: number, since: number): Promise<{ png: Uint8Array; seconds: number }> {
  await page.fill('#prompt', prompt);
  await page.click('#generate');
  // Cards are prepended: the count-th card exists once the count-th image is shown.
  await page.waitForSelector(`#results figure:nth-child(${count}) img.result`, { timeout: 90_000, state: 'attached' }).catch(async (e: Error) => {
    throw new Error(
      `no image: status ${JSON.stringify(await page.textContent('#status'))}, error ${JSON.stringify(await page.textContent('#error'))} (${e.message.split('\n')[0]})`,
    );
  });
  const seconds = (performance.now() - since) / 1000;
  const src = await page.evaluate<string>("document.querySelector('#results figure:first-child img.result').src");
  assert.match(src, /^data:image\/png;base64,/);
  return { png: new Uint8Array(Buffer.from(src.slice('data:image/png;base64,'.length), 'base64')), seconds };
}

test('a French prompt typed into the in-browser page gives an image of the named object and colour', { skip, timeout: 240_000 }, async () => {
  const { pw } = found as { pw: Pw };
  const outDir = join(mkdtempSync(join(tmpdir(), 'gluegen-web-')), 'web');
  cleanup.push(() => rmSync(join(outDir, '..'), { recursive: true, force: true }));
  const built = await buildWeb({ outDir });
  const site = await staticServer(outDir);
  cleanup.push(() => new Promise<void>((r) => site.server.close(() => r())));
  const browser = await pw.chromium.launch({ executablePath: CHROMIUM, args: PAGE_ARGS, headless: true });
  cleanup.push(() => browser.close());
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems: string[] = [];
  const requested: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type!() === 'error') problems.push(`console: ${m.text!()}`);
  });
  page.on('request', (r) => requested.push(r.url!()));

  // Cold: an empty cache, from navigation to the first image.
  const prompt = 'une grande voiture bleue au centre';
  const expected = { object: OBJECTS.indexOf('car'), colour: COLOURS.findIndex((c) => c.name === 'blue') };
  let t0 = performance.now();
  await page.goto(`${site.url}/`);
  const cold = await generateOnce(page, prompt, 1, t0);
  const coldBytes = site.log.reduce((s, r) => s + r.bytes, 0);
  const read = await readWorldPng(cold.png);
  assert.equal(describe(read), describe(expected), `the evaluator reads the page's image for ${JSON.stringify(prompt)} as ${describe(read)}`);
  assert.equal(await page.textContent('#results dd[data-field="prompt"]'), prompt);
  assert.equal(await page.textContent('#results dd[data-field="language"]'), 'French');
  assert.equal(await page.textContent('#backend'), 'Runs on onnxruntime-web (wasm).', 'headless chromium has no WebGPU adapter: the wasm build');

  // Warm: the same page reloaded (files revalidated from the HTTP cache, models loaded again).
  const before = site.log.length;
  t0 = performance.now();
  await page.reload();
  const warm = await generateOnce(page, prompt, 1, t0);
  const warmBytes = site.log.slice(before).reduce((s, r) => s + r.bytes, 0);
  assert.deepEqual(warm.png, cold.png, 'the same prompt and seed give the same image after a reload');

  // Models loaded: a second prompt on the same page.
  t0 = performance.now();
  const second = await generateOnce(page, 'un oiseau rouge', 2, t0);
  assert.equal(describe(await readWorldPng(second.png)), 'red bird');

  // A sound file (decoded by WebAudio in the page), alone and then mixed with a prompt.
  const wav = encodeWav([synthSound(OBJECTS.indexOf('car'), new Rng(3), { durationS: 1.5 })], SAMPLE_RATE);
  await page.setInputFiles('#sound', { name: 'car.wav', mimeType: 'audio/wav', buffer: Buffer.from(wav) });
  await waitForText(page, '#sound-info', /^car\.wav: 1\.5 s$/);
  await page.fill('#steps', '8');
  const alone = await generateOnce(page, '', 3, performance.now());
  assert.equal(await page.textContent('#results figure:first-child dd[data-field="sound"]'), 'car.wav');
  assert.equal(OBJECTS[(await readWorldPng(alone.png)).object], 'car');
  await generateOnce(page, 'un oiseau vert', 4, performance.now());
  assert.equal(await page.textContent('#results figure:first-child dd[data-field="mix"]'), 'splice:4');

  // The microphone (chromium's fake device): three seconds recorded through the AudioWorklet.
  await page.click('#clear-sound');
  await page.click('#record');
  await waitForText(page, '#sound-info', /^microphone \(3 s\): [23]\.\d s$/);
  await generateOnce(page, '', 5, performance.now());
  assert.equal(await page.textContent('#results figure:first-child dd[data-field="sound"]'), 'microphone (3 s)');

  // Nothing but the site's own files: every request is to the loopback server and was a file of the site.
  const origin = `${site.url}/`;
  const foreign = requested.filter((u) => !u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:'));
  assert.deepEqual(foreign, [], 'the page requests nothing from elsewhere');
  const notFiles = site.log.filter((r) => r.status !== 200 && r.status !== 304);
  assert.deepEqual(notFiles, [], 'every request the page made was for one of its static files');
  assert.deepEqual(problems, []);

  const mb = (n: number): string => (n / 2 ** 20).toFixed(1);
  const total = built.files.reduce((s, f) => s + f.bytes, 0);
  console.log(
    `# web page: first image cold ${cold.seconds.toFixed(1)} s (downloaded ${mb(coldBytes)} MB in ${before} requests), warm reload ${warm.seconds.toFixed(1)} s (${mb(warmBytes)} MB), ` +
      `next prompt ${second.seconds.toFixed(2)} s; site ${mb(total)} MB on disk, built in ${(built.ms / 1000).toFixed(1)} s`,
  );
});
