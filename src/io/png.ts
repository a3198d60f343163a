/**
 * PNG encoding for the images gluegen writes (generated images, plots, sample grids). Spec: PNG
 * (Third Edition), W3C; only what we need: 8-bit greyscale / RGB / RGBA, non-interlaced, one IDAT,
 * zlib from node:zlib. At run time gluegen reads only PNG text chunks (readPngText, for the metadata);
 * the tests' pixel decoder is test/helpers/png-decode.ts.
 */
import { deflateSync, inflateSync } from 'node:zlib';

export type PngChannels = 1 | 3 | 4;

const SIGNATURE = Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10);
// Colour types written (PNG spec table 11.1).
const GREY = 0;
const RGB = 2;
const RGBA = 6;

// ---------------------------------------------------------------------------------------------
// CRC-32 (ISO 3309 / ITU-T V.42, reflected polynomial 0xEDB88320), as used by PNG chunks.

const CRC_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 of `bytes`; pass a previous result as `crc` to continue over several buffers. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Encode

/**
 * Encode 8-bit pixels as a PNG. `pixels` is row-major, interleaved, `width * height * channels`
 * bytes; channels 1 = greyscale, 3 = RGB, 4 = RGBA. `text` adds keyword/value text chunks (tEXt,
 * or iTXt when the value is not Latin-1), before the image data as viewers expect.
 */
export function encodePng(pixels: Uint8Array, width: number, height: number, channels: PngChannels, text: Record<string, string> = {}): Uint8Array {
  checkDimension('width', width);
  checkDimension('height', height);
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new Error(`encodePng: channels is ${String(channels)}; expected 1 (grey), 3 (RGB) or 4 (RGBA)`);
  }
  const expected = width * height * channels;
  if (pixels.length !== expected) {
    throw new Error(`encodePng: pixels has ${pixels.length} bytes; expected width*height*channels = ${width}*${height}*${channels} = ${expected}`);
  }
  const colourType = channels === 1 ? GREY : channels === 3 ? RGB : RGBA;
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = colourType;
  // ihdr[10..12]: compression 0 (deflate), filter method 0, interlace 0 (none)
  const filtered = filterRows(pixels, width, height, channels);
  const idat = deflateSync(filtered, { level: 6 });
  const texts = Object.entries(text).map(([k, v]) => textChunk(k, v));
  return concat([SIGNATURE, chunk('IHDR', ihdr), ...texts, chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))]);
}

function checkDimension(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > 0x7fffffff) {
    throw new Error(`encodePng: ${name} is ${value}; expected a positive integer`);
  }
}

/**
 * Choose a filter per row by the heuristic recommended in the PNG spec (section 12.8): the filter
 * whose output, read as signed bytes, has the smallest sum of absolute values. It is cheap and
 * compresses plots (flat areas) and photos (gradients) well.
 */
function filterRows(pixels: Uint8Array, width: number, height: number, bpp: number): Uint8Array {
  const stride = width * bpp;
  const out = new Uint8Array(height * (stride + 1));
  const candidate = new Uint8Array(stride);
  const best = new Uint8Array(stride);
  const zeroRow = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = pixels.subarray(y * stride, (y + 1) * stride);
    const prior = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : zeroRow;
    let bestType = 0;
    let bestScore = Infinity;
    for (let type = 0; type <= 4; type++) {
      applyFilter(type, row, prior, bpp, candidate);
      let score = 0;
      for (let i = 0; i < stride; i++) score += candidate[i]! < 128 ? candidate[i]! : 256 - candidate[i]!;
      if (score < bestScore) {
        bestScore = score;
        bestType = type;
        best.set(candidate);
      }
    }
    out[y * (stride + 1)] = bestType;
    out.set(best, y * (stride + 1) + 1);
  }
  return out;
}

/** Write `row` filtered with `type` into `out` (one loop per type: this is the encoder's hot loop). */
function applyFilter(type: number, row: Uint8Array, prior: Uint8Array, bpp: number, out: Uint8Array): void {
  const n = row.length;
  switch (type) {
    case 0:
      out.set(row);
      return;
    case 1:
      for (let i = 0; i < n; i++) out[i] = (row[i]! - (i >= bpp ? row[i - bpp]! : 0)) & 0xff;
      return;
    case 2:
      for (let i = 0; i < n; i++) out[i] = (row[i]! - prior[i]!) & 0xff;
      return;
    case 3:
      for (let i = 0; i < n; i++) out[i] = (row[i]! - (((i >= bpp ? row[i - bpp]! : 0) + prior[i]!) >>> 1)) & 0xff;
      return;
    case 4:
      for (let i = 0; i < n; i++) {
        const a = i >= bpp ? row[i - bpp]! : 0;
        const c = i >= bpp ? prior[i - bpp]! : 0;
        out[i] = (row[i]! - predict(4, a, prior[i]!, c)) & 0xff;
      }
      return;
    default:
      throw new Error(`internal: unknown PNG filter type ${type}`);
  }
}

/** The predictor of filter `type` from left `a`, above `b`, upper-left `c` (PNG spec 9.2). */
export function predict(type: number, a: number, b: number, c: number): number {
  switch (type) {
    case 0:
      return 0;
    case 1:
      return a;
    case 2:
      return b;
    case 3:
      return (a + b) >>> 1;
    case 4: {
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
    default:
      throw new Error(`internal: unknown PNG filter type ${type}`);
  }
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Text chunks (PNG spec 11.3.3): tEXt = Latin-1 keyword, NUL, Latin-1 text; iTXt = keyword, NUL,
// compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL, UTF-8 text.

const isLatin1 = (s: string): boolean => [...s].every((c) => c.codePointAt(0)! <= 0xff);

function textChunk(keyword: string, value: string): Uint8Array {
  if (keyword.length < 1 || keyword.length > 79 || !isLatin1(keyword) || /[\x00-\x1f\x7f]/.test(keyword) || /^ | $| {2}/.test(keyword)) {
    throw new Error(`encodePng: text keyword ${JSON.stringify(keyword)} must be 1-79 printable Latin-1 characters without leading, trailing or double spaces`);
  }
  const key = Uint8Array.from(keyword, (c) => c.charCodeAt(0));
  if (isLatin1(value) && !value.includes('\0')) {
    return chunk('tEXt', concat([key, Uint8Array.of(0), Uint8Array.from(value, (c) => c.charCodeAt(0))]));
  }
  return chunk('iTXt', concat([key, Uint8Array.of(0, 0, 0, 0, 0), new TextEncoder().encode(value)]));
}

/**
 * The text chunks of a PNG file (tEXt, uncompressed and compressed iTXt, zTXt), keyword -> text.
 * Reads only chunk headers and text chunks, so it is cheap on large images; CRCs are checked.
 */
export function readPngText(bytes: Uint8Array): Record<string, string> {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new Error('readPngText: not a PNG file (the first 8 bytes are not the PNG signature); check the file path and format');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Record<string, string> = {};
  const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
  let at = 8;
  for (;;) {
    if (at + 12 > bytes.length) throw truncated(at);
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (length > 0x7fffffff || at + 12 + length > bytes.length) throw truncated(at);
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (type === 'tEXt' || type === 'iTXt' || type === 'zTXt') {
      if (view.getUint32(at + 8 + length) !== crc32(bytes.subarray(at + 4, at + 8 + length))) {
        throw new Error(`readPngText: CRC mismatch in chunk "${type}" at byte ${at}; the file is corrupt`);
      }
      const nul = data.indexOf(0);
      if (nul < 1) throw new Error(`readPngText: ${type} chunk at byte ${at} has no keyword; the file is corrupt`);
      const key = latin1(data.subarray(0, nul));
      try {
        if (type === 'tEXt') out[key] = latin1(data.subarray(nul + 1));
        else if (type === 'zTXt') out[key] = latin1(inflateSync(data.subarray(nul + 2)));
        else {
          const compressed = data[nul + 1] === 1;
          const lang = data.indexOf(0, nul + 3);
          const translated = data.indexOf(0, lang + 1);
          if (lang < 0 || translated < 0) throw new Error('missing separators');
          const body = data.subarray(translated + 1);
          out[key] = new TextDecoder('utf-8', { fatal: true }).decode(compressed ? inflateSync(body) : body);
        }
      } catch (e) {
        throw new Error(`readPngText: ${type} chunk "${key}" at byte ${at} cannot be read (${(e as Error).message}); the file is corrupt`);
      }
    }
    if (type === 'IEND') return out;
    at += 12 + length;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function truncated(at: number): Error {
  return new Error(`readPngText: file ends early (at byte ${at}, before the IEND chunk); the file is truncated`);
}
