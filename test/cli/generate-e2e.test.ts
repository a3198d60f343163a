/**
 * gluegen generate with real loaders end to end on the tiny fixtures: a new text encoder + GlueNet,
 * a sound + GlueNet, and a sound+text mix, each into the tiny SD export.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { encodeWav } from '../../src/encoders/audio/index.js';
import { decodePng } from '../helpers/png-decode.js';
import { saveRandomGlueNet } from '../helpers/random-gluenet.js';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const FIX = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));

const common = ['--steps', '3', '--height', '32', '--width', '32', '--scheduler', 'ddim'];

test('generate: new text encoder + GlueNet, sound + GlueNet, and a mix, into a tiny SD export', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gen-'));
  const small = { mult: 1, depth: 3, cond_norm: 'clip-l-sd1' };
  await saveRandomGlueNet(join(dir, 'g-text'), { arch: 'translator_w_head', tokens_in: 8, tokens_out: 77, dim_in: 24, dim_out: 768, x_scale: 3, ...small }, 1);
  await saveRandomGlueNet(join(dir, 'g-sound'), { arch: 'translator_w_head', tokens_in: 16, tokens_out: 77, dim_in: 64, dim_out: 768, ...small }, 2);
  const tone = new Float32Array(22050).map((_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / 22050));
  writeFileSync(join(dir, 'tone.wav'), encodeWav([tone, tone], 22050, 'pcm16'));

  const gen = (...args: string[]): Promise<{ stdout: string; stderr: string }> =>
    run(process.execPath, [MAIN, 'generate', '--generator', join(FIX, 'sd/tiny-sd'), ...common, ...args]);
  await gen('--prompt', 'un chat', '--encoder', join(FIX, 'encoders/xlm-roberta'), '--gluenet', join(dir, 'g-text'), '--out', join(dir, 'text.png'));
  await gen(
    '--audio',
    join(dir, 'tone.wav'),
    '--encoder',
    join(FIX, 'encoders/clap'),
    '--gluenet',
    join(dir, 'g-sound'),
    '--text-encoder',
    join(FIX, 'encoders/sd-text/text_encoder'),
    '--out',
    join(dir, 'sound.png'),
  );
  await gen(
    '--audio',
    join(dir, 'tone.wav'),
    '--encoder',
    join(FIX, 'encoders/clap'),
    '--gluenet',
    join(dir, 'g-sound'),
    '--text-encoder',
    join(FIX, 'encoders/sd-text/text_encoder'),
    '--prompt',
    'a photo',
    '--mix',
    'splice:5',
    '--out',
    join(dir, 'mix.png'),
  );
  const images = ['text', 'sound', 'mix'].map((n) => decodePng(readFileSync(join(dir, `${n}.png`))));
  for (const im of images) assert.deepEqual([im.width, im.height], [32, 32]);
  // Different conditions give different images.
  assert.notDeepEqual(images[0]!.pixels, images[1]!.pixels);
  assert.notDeepEqual(images[1]!.pixels, images[2]!.pixels);

  // The GlueNet's token count decides the encoder's padding: a GlueNet for 9 tokens cannot take 8.
  await saveRandomGlueNet(join(dir, 'g-wrong'), { arch: 'translator_w_head', tokens_in: 8, tokens_out: 77, dim_in: 25, dim_out: 768, ...small }, 3);
  await assert.rejects(
    gen('--prompt', 'un chat', '--encoder', join(FIX, 'encoders/xlm-roberta'), '--gluenet', join(dir, 'g-wrong'), '--out', join(dir, 'x.png')),
    (e: unknown) => {
      const stderr = (e as { stderr: string }).stderr;
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
      assert.match(stderr, /24|25/);
      return true;
    },
  );
});
