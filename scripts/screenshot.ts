/**
 * A screenshot of the `gluegen serve` page with a few results in its gallery (docs/screenshot-serve.png).
 *
 *   gluegen serve &                      # or any served models
 *   node dist/scripts/screenshot.js --url http://127.0.0.1:7860/ --out docs/screenshot-serve.png \
 *        --prompt "un grand cercle rouge" --prompt "ein kleines blaues Quadrat" [--wav sound.wav --mix-prompt "..."]
 *
 * Needs Debian's chromium (/usr/bin/chromium, or $CHROMIUM_PATH) and playwright-core (a dev
 * dependency, or the folder $PLAYWRIGHT_CORE_DIR names).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.js';

interface Page {
  goto(url: string): Promise<unknown>;
  fill(selector: string, value: string): Promise<void>;
  click(selector: string): Promise<void>;
  setInputFiles(selector: string, file: string): Promise<void>;
  waitForSelector(selector: string, o?: { timeout?: number; state?: string }): Promise<unknown>;
  screenshot(o: { path: string; fullPage?: boolean }): Promise<unknown>;
}
interface Pw {
  chromium: {
    launch(o: {
      executablePath: string;
      args: string[];
      headless: boolean;
    }): Promise<{ newPage(o: { viewport: { width: number; height: number } }): Promise<Page>; close(): Promise<void> }>;
  };
}

async function playwright(): Promise<Pw> {
  const name = 'playwright-core';
  try {
    return (await import(name)) as Pw;
  } catch {
    const dir = process.env.PLAYWRIGHT_CORE_DIR;
    if (dir) return createRequire(join(dir, 'package.json'))(name) as Pw;
    throw new Error('playwright-core is not installed: npm install --save-dev playwright-core (or set PLAYWRIGHT_CORE_DIR)');
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:7860/' },
      out: { type: 'string', default: 'docs/screenshot-serve.png' },
      prompt: { type: 'string', multiple: true },
      wav: { type: 'string' },
      'mix-prompt': { type: 'string' },
      seed: { type: 'string', default: '1' },
      width: { type: 'string', default: '1200' },
      height: { type: 'string', default: '820' },
    },
  });
  const chromium = CHROMIUM;
  if (!existsSync(chromium)) throw new Error(`no chromium at ${chromium}: apt-get install -y chromium, or set CHROMIUM_PATH`);
  const pw = await playwright();
  const browser = await pw.chromium.launch({
    executablePath: chromium,
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
  try {
    const page = await browser.newPage({ viewport: { width: Number(values.width), height: Number(values.height) } });
    await page.goto(values.url!);
    await page.waitForSelector('#encoder option', { state: 'attached' });
    let done = 0;
    const generate = async (): Promise<void> => {
      await page.click('#generate');
      done++;
      // Selectors, not waitForFunction: the page's CSP (script-src 'self') forbids the eval it uses.
      await page.waitForSelector(`#gallery .card:nth-child(${done})`, { timeout: 120_000, state: 'attached' });
      await page.waitForSelector('#generate:not([disabled])', { timeout: 10_000 });
    };
    await page.fill('#seed', values.seed!);
    for (const prompt of values.prompt ?? ['un grand cercle rouge en haut à gauche']) {
      await page.fill('#prompt', prompt);
      await generate();
    }
    if (values.wav) {
      await page.setInputFiles('#sound-file', resolve(values.wav));
      await page.fill('#prompt', values['mix-prompt'] ?? '');
      await page.waitForSelector('#sound-preview:not([hidden])');
      await generate();
    }
    await page.screenshot({ path: values.out! });
    process.stdout.write(`wrote ${values.out}\n`);
  } finally {
    await browser.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`screenshot: ${(e as Error).message}\n`);
  process.exit(1);
});
