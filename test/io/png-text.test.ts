/**
 * PNG text chunks and the `parameters` convention: what encodePng writes is what readPngText reads,
 * chunk CRCs are right (checked with zlib's own CRC-32), the image still decodes, non-Latin-1 text
 * goes into iTXt, corrupt chunks are refused, and formatParameters / parseParameters round-trip.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { encodePng, readPngText } from '../../src/io/png.js';
import { formatParameters, type GenerationParameters, parseParameters } from '../../src/pipeline/metadata.js';
import { decodePng } from '../helpers/png-decode.js';

const pixels = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => (i * 37) % 256);

/** Every chunk of a PNG: type, data, stored CRC. */
function chunks(png: Uint8Array): { type: string; data: Uint8Array; crc: number; at: number }[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out = [];
  for (let at = 8; at < png.length; ) {
    const length = view.getUint32(at);
    out.push({
      type: Buffer.from(png.subarray(at + 4, at + 8)).toString('latin1'),
      data: png.subarray(at + 8, at + 8 + length),
      crc: view.getUint32(at + 8 + length),
      at,
    });
    at += 12 + length;
  }
  return out;
}

test('tEXt: written before IDAT with a correct CRC, read back exactly; pixels unchanged', () => {
  const text = 'une petite étoile rouge\nNegative prompt: flou\nSteps: 20, Sampler: DDIM, CFG scale: 3, Seed: 1';
  const png = encodePng(pixels, 4, 3, 3, { parameters: text, Software: 'gluegen' });
  const list = chunks(png);
  assert.deepEqual(
    list.map((c) => c.type),
    ['IHDR', 'tEXt', 'tEXt', 'IDAT', 'IEND'],
  );
  for (const c of list) {
    const typed = png.subarray(c.at + 4, c.at + 8 + c.data.length);
    assert.equal(c.crc, zlib.crc32(typed), `${c.type} CRC`);
  }
  // tEXt layout: keyword, NUL, Latin-1 text ('é' is the single byte 0xE9).
  const first = list[1]!.data;
  assert.equal(Buffer.from(first.subarray(0, 11)).toString('latin1'), 'parameters\0');
  assert.equal(first.length, 11 + text.length);
  assert.ok(first.includes(0xe9));
  assert.deepEqual(readPngText(png), { parameters: text, Software: 'gluegen' });
  assert.deepEqual(decodePng(png).pixels, pixels);
  assert.deepEqual(readPngText(encodePng(pixels, 4, 3, 3)), {});
});

test('text that is not Latin-1 goes into an uncompressed UTF-8 iTXt chunk and reads back', () => {
  const text = '小さな赤い星\nSteps: 4';
  const png = encodePng(pixels, 4, 3, 3, { parameters: text });
  const itxt = chunks(png).find((c) => c.type === 'iTXt');
  assert.ok(itxt, 'an iTXt chunk');
  assert.deepEqual([...itxt.data.subarray(10, 15)], [0, 0, 0, 0, 0]);
  assert.equal(Buffer.from(itxt.data.subarray(15)).toString('utf8'), text);
  assert.equal(readPngText(png).parameters, text);
});

test('bad keywords and corrupt text chunks give one-line errors', () => {
  assert.throws(() => encodePng(pixels, 4, 3, 3, { '': 'x' }), /text keyword "" must be 1-79 printable Latin-1 characters/);
  assert.throws(() => encodePng(pixels, 4, 3, 3, { ['k'.repeat(80)]: 'x' }), /must be 1-79/);
  const png = encodePng(pixels, 4, 3, 3, { parameters: 'a prompt' });
  const bad = png.slice();
  bad[chunks(png)[1]!.at + 12] ^= 1;
  assert.throws(() => readPngText(bad), /readPngText: CRC mismatch in chunk "tEXt" at byte 33; the file is corrupt/);
  assert.throws(() => readPngText(new Uint8Array(10)), /not a PNG file/);
  assert.throws(() => readPngText(png.subarray(0, 40)), /file ends early/);
});

const PARAMS: GenerationParameters = {
  prompt: 'une petite étoile rouge',
  negativePrompt: 'flou, sombre',
  steps: 20,
  guidance: 3,
  seed: 1,
  scheduler: 'dpmpp2m',
  width: 512,
  height: 512,
  generator: 'sd15',
  encoder: 'xlm-roberta-large',
  gluenet: 'gluenet-fr',
  extra: { Mix: 'splice:5' },
};

test('parameters follow the A1111 layout and parse back, quoting values with commas or colons', () => {
  const text = formatParameters(PARAMS);
  assert.equal(
    text,
    'une petite étoile rouge\nNegative prompt: flou, sombre\n' +
      'Steps: 20, Sampler: DPM++ 2M, CFG scale: 3, Seed: 1, Size: 512x512, Model: sd15, Encoder: xlm-roberta-large, GlueNet: gluenet-fr, Mix: "splice:5"',
  );
  const parsed = parseParameters(text);
  assert.equal(parsed.prompt, PARAMS.prompt);
  assert.equal(parsed.negativePrompt, 'flou, sombre');
  assert.deepEqual(parsed.values, {
    Steps: '20',
    Sampler: 'DPM++ 2M',
    'CFG scale': '3',
    Seed: '1',
    Size: '512x512',
    Model: 'sd15',
    Encoder: 'xlm-roberta-large',
    GlueNet: 'gluenet-fr',
    Mix: 'splice:5',
  });
  // No negative prompt: no such line; a multi-line prompt stays whole; a quoted model path survives.
  const multi = formatParameters({ ...PARAMS, prompt: 'line one\nline two', negativePrompt: '', gluenet: null, generator: 'C:/models, sd', extra: {} });
  assert.ok(!multi.includes('Negative prompt'));
  const back = parseParameters(multi);
  assert.equal(back.prompt, 'line one\nline two');
  assert.equal(back.negativePrompt, '');
  assert.equal(back.values.Model, 'C:/models, sd');
  assert.equal(back.values.GlueNet, 'none');
});
