/**
 * End to end in a real browser: Playwright (playwright-core) drives Debian's chromium against the
 * server on the tiny fixtures; a French prompt typed into the page gives an image in the gallery,
 * the very PNG the API gives for the same settings.
 *
 * Skips (with the reason) when /usr/bin/chromium or playwright-core is missing. playwright-core is
 * found as a package dependency, or in the folder $PLAYWRIGHT_CORE_DIR names (a throwaway install).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CHROMIUM, CHROMIUM_ARGS } from '../../scripts/chromium.js';
import type { ServerModels } from '../../src/server/models.js';
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
before(async () => {
  if (skip) return;
  models = await fixtureModels();
  srv = await startServer(models);
});
after(async () => {
  await browser?.close();
  if (skip) return;
  await srv.close();
  await models.release();
});

test('a French prompt typed into the page gives an image in the gallery', { skip, timeout: 60_000 }, async () => {
  const { pw } = found as { pw: Pw };
  browser = await pw.chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS], headless: true });
  const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
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
