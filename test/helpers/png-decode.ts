/**
 * PNG decoding for tests: reads back the PNGs gluegen writes (and other PNG test inputs).
 * Spec: PNG (Third Edition), W3C: greyscale (1/2/4/8-bit), RGB, RGBA, grey+alpha (returned as
 * RGBA), palette (1/2/4/8-bit, returned as RGB, or RGBA when a tRNS chunk is present); 8-bit
 * samples only for RGB/RGBA, non-interlaced. Anything else (16-bit, Adam7) and corrupt files throw
 * a clear Error. Only tests read PNGs, so this lives beside them rather than in src/io.
 */
import { inflateSync } from 'node:zlib';
import { crc32, type PngChannels, predict } from '../../src/io/png.js';

export interface DecodedPng {
  width: number;
  height: number;
  channels: PngChannels;
  /** Row-major, interleaved 8-bit samples, `width * height * channels` bytes. */
  pixels: Uint8Array;
}

const SIGNATURE = Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10);
// Colour types (PNG spec table 11.1).
const GREY = 0;
const RGB = 2;
const PALETTE = 3;
const GREY_ALPHA = 4;
const RGBA = 6;
const SAMPLES_PER_PIXEL: Record<number, number> = { [GREY]: 1, [RGB]: 3, [PALETTE]: 1, [GREY_ALPHA]: 2, [RGBA]: 4 };
// PNG caps width/height at 2^31-1; we cap lower so a corrupt header cannot ask for gigabytes.
const MAX_PIXELS = 1 << 28;

const concat = (parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

interface Header {
  width: number;
  height: number;
  bitDepth: number;
  colourType: number;
}

/** Decode a PNG file's bytes. See the module comment for the formats read. */
export function decodePng(bytes: Uint8Array): DecodedPng {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new Error('decodePng: not a PNG file (the first 8 bytes are not the PNG signature); check the file path and format');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: Header | null = null;
  let palette: Uint8Array | null = null;
  let paletteAlpha: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let sawEnd = false;
  let at = 8;
  while (at < bytes.length && !sawEnd) {
    if (at + 12 > bytes.length) throw truncated(at);
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (length > 0x7fffffff || at + 12 + length > bytes.length) throw truncated(at);
    const data = bytes.subarray(at + 8, at + 8 + length);
    const storedCrc = view.getUint32(at + 8 + length);
    const actualCrc = crc32(bytes.subarray(at + 4, at + 8 + length));
    if (storedCrc !== actualCrc) {
      throw new Error(
        `decodePng: CRC mismatch in chunk "${type}" at byte ${at} (stored 0x${storedCrc.toString(16)}, computed 0x${actualCrc.toString(16)}); the file is corrupt`,
      );
    }
    if (header === null && type !== 'IHDR') throw new Error(`decodePng: first chunk is "${type}"; expected IHDR; the file is corrupt`);
    switch (type) {
      case 'IHDR':
        header = parseHeader(data);
        break;
      case 'PLTE':
        if (length % 3 !== 0 || length === 0 || length > 768) {
          throw new Error(`decodePng: PLTE chunk has ${length} bytes; expected a positive multiple of 3, at most 768`);
        }
        palette = data;
        break;
      case 'tRNS':
        if (header!.colourType === PALETTE) paletteAlpha = data;
        // A single transparent colour for grey/RGB images is ignored: pixels are returned opaque.
        break;
      case 'IDAT':
        idat.push(data);
        break;
      case 'IEND':
        sawEnd = true;
        break;
      default:
        // Bit 5 of the first type byte clear = critical chunk we must understand (PNG spec 5.4).
        if ((bytes[at + 4]! & 0x20) === 0) {
          throw new Error(`decodePng: unknown critical chunk "${type}"; this decoder cannot read the file`);
        }
    }
    at += 12 + length;
  }
  if (header === null) throw truncated(at);
  if (!sawEnd) throw truncated(at);
  if (idat.length === 0) throw new Error('decodePng: no IDAT (image data) chunk; the file is corrupt');
  if (header.colourType === PALETTE && palette === null) {
    throw new Error('decodePng: palette image without a PLTE chunk; the file is corrupt');
  }
  // Inflate no further than the header's image needs: a few KB of IDAT could otherwise expand to GBs.
  const needed = header.height * (Math.ceil((header.width * SAMPLES_PER_PIXEL[header.colourType]! * header.bitDepth) / 8) + 1);
  let raw: Uint8Array;
  try {
    raw = inflateSync(concat(idat), { maxOutputLength: needed });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new Error(`decodePng: image data inflates past the ${needed} bytes a ${header.width}x${header.height} image needs; the file is corrupt or crafted`);
    }
    throw new Error(`decodePng: image data does not inflate (${(err as Error).message}); the file is corrupt or truncated`);
  }
  const samples = unfilter(raw, header);
  return expand(samples, header, palette, paletteAlpha);
}

function truncated(at: number): Error {
  return new Error(`decodePng: file ends early (at byte ${at}, before the IEND chunk); the file is truncated`);
}

function parseHeader(data: Uint8Array): Header {
  if (data.length !== 13) throw new Error(`decodePng: IHDR has ${data.length} bytes; expected 13; the file is corrupt`);
  const view = new DataView(data.buffer, data.byteOffset, 13);
  const width = view.getUint32(0);
  const height = view.getUint32(4);
  const bitDepth = data[8]!;
  const colourType = data[9]!;
  if (width === 0 || height === 0 || width * height > MAX_PIXELS) {
    throw new Error(`decodePng: image size ${width}x${height} is empty or larger than ${MAX_PIXELS} pixels`);
  }
  if (!(colourType in SAMPLES_PER_PIXEL)) throw new Error(`decodePng: colour type ${colourType} is not a PNG colour type`);
  const lowDepthOk = colourType === GREY || colourType === PALETTE;
  if (!(bitDepth === 8 || (lowDepthOk && (bitDepth === 1 || bitDepth === 2 || bitDepth === 4)))) {
    throw new Error(
      `decodePng: bit depth ${bitDepth} with colour type ${colourType} is not supported; only 8-bit samples (and 1/2/4-bit grey or palette) are read — convert the image to 8-bit`,
    );
  }
  if (data[10] !== 0 || data[11] !== 0) throw new Error('decodePng: unknown compression or filter method in IHDR; the file is corrupt');
  if (data[12] !== 0) {
    throw new Error('decodePng: interlaced (Adam7) PNGs are not supported; re-save the image without interlacing');
  }
  return { width, height, bitDepth, colourType };
}

/** Undo the per-row filters; returns the packed samples, `height` rows of `stride` bytes. */
function unfilter(raw: Uint8Array, h: Header): Uint8Array {
  const bitsPerPixel = SAMPLES_PER_PIXEL[h.colourType]! * h.bitDepth;
  const stride = Math.ceil((h.width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3); // filter distance in bytes (PNG spec 9.2)
  if (raw.length < h.height * (stride + 1)) {
    throw new Error(
      `decodePng: image data has ${raw.length} bytes after inflating; expected ${h.height * (stride + 1)} for ${h.width}x${h.height}; the file is truncated or corrupt`,
    );
  }
  const out = new Uint8Array(h.height * stride);
  for (let y = 0; y < h.height; y++) {
    const type = raw[y * (stride + 1)]!;
    if (type > 4) throw new Error(`decodePng: row ${y} has filter type ${type}; expected 0..4; the file is corrupt`);
    const src = y * (stride + 1) + 1;
    const dst = y * stride;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? out[dst + i - bpp]! : 0;
      const b = y > 0 ? out[dst - stride + i]! : 0;
      const c = i >= bpp && y > 0 ? out[dst - stride + i - bpp]! : 0;
      out[dst + i] = (raw[src + i]! + predict(type, a, b, c)) & 0xff;
    }
  }
  return out;
}

/** Turn packed samples into 8-bit grey, RGB or RGBA pixels. */
function expand(packed: Uint8Array, h: Header, palette: Uint8Array | null, paletteAlpha: Uint8Array | null): DecodedPng {
  const { width, height, bitDepth, colourType } = h;
  const n = width * height;
  const stride = Math.ceil((width * SAMPLES_PER_PIXEL[colourType]! * bitDepth) / 8);
  if (colourType === RGB || colourType === RGBA) {
    return { width, height, channels: colourType === RGB ? 3 : 4, pixels: packed };
  }
  if (colourType === GREY_ALPHA) {
    const pixels = new Uint8Array(n * 4);
    for (let i = 0; i < n; i++) {
      const g = packed[2 * i]!;
      pixels.set([g, g, g, packed[2 * i + 1]!], 4 * i);
    }
    return { width, height, channels: 4, pixels };
  }
  // Grey or palette: one sample per pixel, possibly packed several to a byte, high bits first.
  const indices = new Uint8Array(n);
  const mask = (1 << bitDepth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * bitDepth;
      const byte = packed[y * stride + (bit >> 3)]!;
      indices[y * width + x] = (byte >> (8 - bitDepth - (bit & 7))) & mask;
    }
  }
  if (colourType === GREY) {
    if (bitDepth !== 8) for (let i = 0; i < n; i++) indices[i] = Math.round((indices[i]! * 255) / mask);
    return { width, height, channels: 1, pixels: indices };
  }
  const entries = palette!.length / 3;
  const channels = paletteAlpha !== null ? 4 : 3;
  const pixels = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) {
    const k = indices[i]!;
    if (k >= entries) throw new Error(`decodePng: pixel ${i} uses palette index ${k} but the palette has ${entries} entries; the file is corrupt`);
    pixels[channels * i] = palette![3 * k]!;
    pixels[channels * i + 1] = palette![3 * k + 1]!;
    pixels[channels * i + 2] = palette![3 * k + 2]!;
    if (channels === 4) pixels[4 * i + 3] = k < paletteAlpha!.length ? paletteAlpha![k]! : 255;
  }
  return { width, height, channels, pixels };
}
