/**
 * Shared by the server tests: the tiny committed fixtures as served models (tiny SD export, its
 * CLIP-like text encoder as 'native', XLM-R + a random GlueNet as 'xlmr', CLAP + a random GlueNet
 * as 'clap'), a server on a free loopback port, a WAV maker and a gated generator for queue tests.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeWav } from '../../src/encoders/audio/index.js';
import type { GeneratedImages, GenerateOptions, Generator } from '../../src/generators/types.js';
import { loadServerModels, type ServerModels } from '../../src/server/models.js';
import { createGlueServer, type GlueServer, type ServerOptions } from '../../src/server/server.js';
import { saveRandomGlueNet } from '../helpers/random-gluenet.js';

export const FIX = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));

/** Loads the fixture models (a few hundred ms). */
export async function fixtureModels(): Promise<ServerModels> {
  const dir = mkdtempSync(join(tmpdir(), 'serve-'));
  const small = { mult: 1, depth: 3, cond_norm: 'clip-l-sd1' };
  await saveRandomGlueNet(
    join(dir, 'gluenet-xlmr'),
    { arch: 'translator_w_head', tokens_in: 8, tokens_out: 77, dim_in: 24, dim_out: 768, x_scale: 3, ...small },
    1,
  );
  await saveRandomGlueNet(join(dir, 'gluenet-clap'), { arch: 'translator_w_head', tokens_in: 16, tokens_out: 77, dim_in: 64, dim_out: 768, ...small }, 2);
  return loadServerModels({
    generator: join(FIX, 'sd/tiny-sd'),
    textEncoder: join(FIX, 'encoders/sd-text/text_encoder'),
    encoders: [
      { name: 'xlmr', dir: join(FIX, 'encoders/xlm-roberta'), gluenet: join(dir, 'gluenet-xlmr') },
      { name: 'clap', dir: join(FIX, 'encoders/clap'), gluenet: join(dir, 'gluenet-clap') },
    ],
  });
}

/** Limits small enough for fast tests (32x32 images, short sounds). */
export const TEST_LIMITS = { minSize: 8, maxSize: 64, maxSteps: 10, maxAudioSeconds: 2, maxJsonBytes: 4096, maxUploadBytes: 256 * 1024, maxPromptChars: 100 };

export interface Running {
  app: GlueServer;
  url: string;
  close(): Promise<void>;
}

export async function startServer(models: ServerModels, options: ServerOptions = {}): Promise<Running> {
  const app = createGlueServer(models, { limits: TEST_LIMITS, ...options });
  const addr = await app.listen(0, '127.0.0.1');
  return { app, url: `http://127.0.0.1:${addr.port}`, close: () => app.close() };
}

/** A 440 Hz tone as WAV bytes. */
export function toneWav(seconds: number, sampleRate = 16000, hz = 440): Uint8Array {
  const x = new Float32Array(Math.round(seconds * sampleRate)).map((_, i) => 0.3 * Math.sin((2 * Math.PI * hz * i) / sampleRate));
  return encodeWav([x], sampleRate, 'pcm16');
}

/**
 * Wraps a generator so tests decide when it runs: each generate() waits for open(); it records
 * the signals it was given (to check cancellation reached it).
 */
export class GatedGenerator implements Generator {
  readonly signals: AbortSignal[] = [];
  started = 0;
  private gate: Promise<void>;
  private openGate!: () => void;

  constructor(private readonly inner: Generator) {
    this.gate = new Promise((r) => (this.openGate = r));
  }
  get name(): string {
    return this.inner.name;
  }
  get condition(): Generator['condition'] {
    return this.inner.condition;
  }
  get defaultSize(): Generator['defaultSize'] {
    return this.inner.defaultSize;
  }
  open(): void {
    this.openGate();
  }
  close(): void {
    this.gate = new Promise((r) => (this.openGate = r));
  }
  async generate(opts: GenerateOptions): Promise<GeneratedImages> {
    this.started++;
    if (opts.signal) this.signals.push(opts.signal);
    await this.gate;
    return this.inner.generate(opts);
  }
  async release(): Promise<void> {}
}

/** Polls `check` every 10 ms until it holds (or fails after `ms`). */
export async function until(check: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
