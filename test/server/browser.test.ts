/**
 * End to end in a real browser: Playwright (playwright-core) drives Debian's chromium against the
 * server on the tiny fixtures; a French prompt typed into the page gives an image in the gallery,
 * the very PNG the API gives for the same settings; a PLY file chosen in the page gives an image from
 * a stand-in point-cloud encoder with a random GlueNet.
 *
 * Skips (with the reason) when /usr/bin/chromium or playwright-core is missing. playwright-core is
 * found as a package dependency, or in the folder $PLAYWRIGHT_CORE_DIR names (a throwaway install).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CHROMIUM, CHROMIUM_ARGS } from '../../scripts/chromium.js';
import { loadAligner } from '../../src/gluenet/load.js';
import { writePly } from '../../src/io/ply.js';
import type { ServerModels } from '../../src/server/models.js';
import { fakePointCloudEncoder } from '../helpers/fake-pointcloud.js';
import { saveRandomGlueNet } from '../helpers/random-gluenet.js';
import { fixtureModels, type Running, startServer } from './helpers.js';

/** The subset of playwright-core this test uses. */
interface Pw {
  chromium: { launch(o: { executablePath: string; args: string[]; headless: boolean }): Promise<Browser> };
}
interface Browser {
  newPage(o?: { viewport?: { width: number; height: number } }): Promise<Page>;
  close(): Promise<void>;
}
interface Page {
  goto(url: string): Promise<unknown>;
  on(event: 'console' | 'pageerror' | 'request', fn: (x: { type?: () => string; text?: () => string; message?: string; url?: () => string }) => void): void;
  fill(selector: string, value: string): Promise<void>;
  setInputFiles(selector: string, files: string): Promise<void>;
  isDisabled(selector: string): Promise<boolean>;
  selectOption(selector: string, value: string): Promise<unknown>;
  click(selector: string): Promise<void>;
  waitForSelector(selector: string, o?: { timeout?: number; state?: string }): Promise<unknown>;
  evaluate<T>(fn: string): Promise<T>;
  textContent(selector: string): Promise<string | null>;
  screenshot(o: { path: string; fullPage?: boolean }): Promise<unknown>;
}

async function loadPlaywright(): Promise<{ pw: Pw } | { skip: string }> {
  if (!existsSync(CHROMIUM)) return { skip: `no chromium at ${CHROMIUM} (apt-get install -y chromium)` };
  const name = 'playwright-core';
  try {
    return { pw: (await import(name)) as Pw };
  } catch {
    const dir = process.env.PLAYWRIGHT_CORE_DIR;
    if (dir) {
      try {
        return { pw: createRequire(join(dir, 'package.json'))(name) as Pw };
      } catch {
        /* reported below */
      }
    }
    return { skip: 'playwright-core is not installed (npm install --save-dev playwright-core)' };
  }
}

const found = await loadPlaywright();
const skip = 'skip' in found ? found.skip : false;
if (skip) console.log(`# browser test skipped: ${skip}`);

let models: ServerModels;
let srv: Running;
let browser: Browser | null = null;
let tmp: string;
let releaseAligner = async (): Promise<void> => {};
before(async () => {
  if (skip) return;
  models = await fixtureModels();
  tmp = mkdtempSync(join(tmpdir(), 'browser-'));
  await saveRandomGlueNet(
    join(tmp, 'gluenet-pc'),
    { arch: 'translator_w_head', tokens_in: 8, tokens_out: 77, dim_in: 16, dim_out: 768, mult: 1, depth: 3, cond_norm: 'clip-l-sd1' },
    6,
  );
  const aligner = await loadAligner(join(tmp, 'gluenet-pc'));
  releaseAligner = aligner.release;
  models.encoders.push({
    name: 'pointcloud',
    modality: 'pointcloud',
    encoder: fakePointCloudEncoder(8, 16),
    gluenet: 'gluenet-pc',
    languages: null,
    align: aligner.align,
  });
  srv = await startServer(models);
});
after(async () => {
  await browser?.close();
  if (skip) return;
  await srv.close();
  await releaseAligner();
  await models.release();
});

async function launch(): Promise<Browser> {
  browser ??= await (found as { pw: Pw }).pw.chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS], headless: true });
  return browser;
}

test('a French prompt typed into the page gives an image in the gallery', { skip, timeout: 60_000 }, async () => {
  const page = await (await launch()).newPage({ viewport: { width: 1100, height: 800 } });
  const problems: string[] = [];
  const foreign: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type!() === 'error') problems.push(`console: ${m.text!()}`);
  });
  page.on('request', (r) => {
    const url = r.url!();
    if (!url.startsWith(srv.url) && !url.startsWith('data:') && !url.startsWith('blob:')) foreign.push(url);
  });
  await page.goto(`${srv.url}/`);
  await page.waitForSelector('#encoder option[value="xlmr"]', { state: 'attached' });
  const prompt = 'un chat rouge sur la plage';
  await page.fill('#prompt', prompt);
  await page.selectOption('#encoder', 'xlmr');
  await page.fill('#seed', '11');
  await page.fill('#negative-prompt', 'un carré bleu');
  await page.fill('#steps', '2');
  await page.selectOption('#scheduler', 'ddim');
  await page.fill('#size', '32x32');
  await page.click('#generate');
  await page.waitForSelector('.card img', { timeout: 30_000 });
  // Polled with evaluate (not waitForFunction, whose eval the page's CSP forbids).
  for (let i = 0; !(await page.evaluate<boolean>("document.querySelector('.card img').complete")); i++) {
    if (i > 200) throw new Error('the gallery image never finished loading');
    await new Promise((r) => setTimeout(r, 25));
  }
  const shown = await page.evaluate<{ w: number; h: number; src: string }>(
    "(() => { const i = document.querySelector('.card img'); return { w: i.naturalWidth, h: i.naturalHeight, src: i.src }; })()",
  );
  assert.deepEqual([shown.w, shown.h], [32, 32]);
  assert.equal(await page.textContent('.card dd[data-field="prompt"]'), prompt);
  assert.equal(await page.textContent('.card dd[data-field="encoder"]'), 'xlmr + GlueNet');
  assert.equal(await page.textContent('.card dd[data-field="seed"]'), '11');
  assert.equal(await page.textContent('.card dd[data-field="negative prompt"]'), 'un carré bleu');
  assert.match((await page.textContent('#status')) ?? '', /Done in/);
  // The page shows exactly what the API gives for these settings.
  const res = await fetch(`${srv.url}/v1/generate`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ prompt, negative_prompt: 'un carré bleu', encoder: 'xlmr', seed: 11, steps: 2, scheduler: 'ddim', size: '32x32' }),
  });
  assert.equal(shown.src, `data:image/png;base64,${Buffer.from(await res.arrayBuffer()).toString('base64')}`);
  assert.deepEqual(problems, []);
  assert.deepEqual(foreign, [], 'the page loads nothing from elsewhere');
  if (process.env.GLUEGEN_SCREENSHOT) await page.screenshot({ path: process.env.GLUEGEN_SCREENSHOT });
});

test('a PLY file chosen in the page is sent as the point cloud and gives an image; other files are refused in the page', {
  skip,
  timeout: 60_000,
}, async () => {
  const page = await (await launch()).newPage({ viewport: { width: 1100, height: 800 } });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(`${srv.url}/`);
  await page.waitForSelector('#points-file', { state: 'visible' });
  writeFileSync(join(tmp, 'notes.txt'), 'not a point cloud');
  await page.setInputFiles('#points-file', join(tmp, 'notes.txt'));
  await page.waitForSelector('#status.error', { state: 'attached' });
  assert.match((await page.textContent('#status')) ?? '', /notes\.txt is not a PLY file/);
  const n = 64;
  const positions = Float32Array.from({ length: 3 * n }, (_, i) => Math.cos(i * 1.3));
  writeFileSync(join(tmp, 'star.ply'), writePly({ positions, colours: new Float32Array(3 * n).fill(0.7) }, 'binary_little_endian'));
  await page.setInputFiles('#points-file', join(tmp, 'star.ply'));
  await page.waitForSelector('#points-clear', { state: 'visible' });
  assert.match((await page.textContent('#points-status')) ?? '', /star\.ply .* drawn alone; the prompt is not used/);
  assert.equal(await page.isDisabled('#prompt'), true);
  await page.fill('#seed', '5');
  await page.fill('#steps', '2');
  await page.selectOption('#scheduler', 'ddim');
  await page.fill('#size', '32x32');
  await page.click('#generate');
  await page.waitForSelector('.card img', { timeout: 30_000 });
  assert.equal(await page.textContent('.card dd[data-field="point cloud"]'), '64 points, coloured');
  assert.equal(await page.textContent('.card dd[data-field="encoder"]'), 'pointcloud + GlueNet');
  assert.match((await page.textContent('#status')) ?? '', /Done in/);
  await page.click('#points-clear');
  assert.equal(await page.isDisabled('#prompt'), false);
  assert.deepEqual(problems, []);
});
