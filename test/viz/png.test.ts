import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as zlib from 'node:zlib';
import { crc32, encodePng, type PngChannels } from '../../src/io/png.js';
import { Rng } from '../../src/util/rng.js';
import { decodePng } from '../helpers/png-decode.js';

// PNGs written by an independent Python writer (zlib.compress + a Python filter implementation;
// each row uses filter type y % 5 so all five filters are read). Pixel value formula below.
const FIXTURES = {
  grey_paeth16x16:
    'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAAAAAA6mKC9AAAARklEQVR4nM3NUQrAMAwC0Gjd7n/etGlWCskZ9vUEQWWDsNxR6AnzExuBS3RrFJnmRKPbLaLQcHs3yEJpmGcLheb9Q/OX2w++3GES4u+ycwAAAABJRU5ErkJggg==',
  rgba_noise12x10:
    'iVBORw0KGgoAAAANSUhEUgAAAAwAAAAKCAYAAACALL/6AAAB80lEQVR4nGNgMJjnZRJzKM0z83iybehqeyGlnB/HzglMiY6eKnj++M9cFRGrdQEWaYdyfZOPRxr6z2Y0Y+OIWbNkzZS5U2tbc1JyQmJDLS1NZEx0WHlZ/375c+XM07MHd26Zs2VNa29rbUlNiA+T2bUsrm1uv2apHauSWhb2qgvIF1rn9wlBb8vSmgaUd3sGlDfj6mL2cTlserJ3dbffrAKLjaXKk90+hW0LNFW+7sRnI2D59/f8X9+Uos52rq/3EkuxWVs5v58lbJuXVpZayC7VZ7P+XjG7kvX0bdejK3lyfc65rbVT5oSsStX10kpSW7br8LNZ+8+YcS1heBd3oWXXpxwN9fSXazf/dhVUENiXJVLzyC3T87mzbGm3vBGTz41n7wy2VFdvNXz//KYvI4uJVF/OE52Qu6F/WXWW6FyZK7rz4Bqg5yGBAAwMYCB8iTF543qW9e8WmylnmMqmZTHt6zOalXZsl9C6eYu8zK5pnfrm9uuWGltV1DNgIHwTA3qeb1PXt2taQNroFHOx9JtNopHy0nFeB978VbyubLZo2b2TZ1+vzps1wWLj1MfBap/Mpk0UVRZX8rMxqLwrPZ/lmlnXp3N6PlnXSmtbz7UIvZpr2pWlFRPyxm3ZrF9TzKZkqa4FBsKduKpUaWAg7BPJAgC2FOjKsJ4g+AAAAABJRU5ErkJggg==',
  rgb7x5_split_text:
    'iVBORw0KGgoAAAANSUhEUgAAAAcAAAAFCAIAAAAG+GGPAAAAFnRFWHRDb21tZW50AHB5dGhvbiBmaXh0dXJl4D3yGwAAAC9JREFUeJxjYDDNUo3q96rfkr/k5pST/3a+U74n7MEYPeGoDgZgio6OTkpKyszMLCgoKC/KtbSXAAAAMElEQVQvr6ura21tZd52Mfucn19QUFBoaGhk5M2YOzEPEhJYgGodoaDAsdyxDswCAP+TKMwyqjFhAAAAAElFTkSuQmCC',
  rgba4x5:
    'iVBORw0KGgoAAAANSUhEUgAAAAQAAAAFCAYAAABirU3bAAAAR0lEQVR4nGNgMM2arxrVf8SrfsvL/CU3+RijJxz9pYMEmKKBIAkIMoGgAAiYt13Mbjvn5+cXBAShoaFXWUAqHCEg09GxwBEASwkeqNhOStkAAAAASUVORK5CYII=',
  grey6x5: 'iVBORw0KGgoAAAANSUhEUgAAAAYAAAAFCAAAAABDM8I6AAAAJ0lEQVR4nGNgUPXKn7KTMVoHBJiikzILyuuYt50LCo2MYYl2BII6ALKeCrW6fCyrAAAAAElFTkSuQmCC',
  greyalpha3x5: 'iVBORw0KGgoAAAANSUhEUgAAAAMAAAAFCAQAAAAqeJ4pAAAAKElEQVR4nGNgMFWN8qpnjJ6gAwRM0dFJSZmZzNsunvMLCmKJjnYEAgCpSQpwf35v1gAAAABJRU5ErkJggg==',
  palette2bit5x3_trns:
    'iVBORw0KGgoAAAANSUhEUgAAAAUAAAADAgMAAAAmWC1rAAAADFBMVEX/AAAA/wAAAP8KFB4iiCkEAAAAAnRSTlMAgJsrThgAAAARSURBVHicY5BmYMy5wuTqAAAHIwHkKKX6awAAAABJRU5ErkJggg==',
  grey1bit10x2: 'iVBORw0KGgoAAAANSUhEUgAAAAoAAAACAQAAAABJGnB9AAAADklEQVR4nGMIdWBcdQ0ABNwCF8uWstwAAAAASUVORK5CYII=',
};
const fixture = (name: keyof typeof FIXTURES): Uint8Array => new Uint8Array(Buffer.from(FIXTURES[name], 'base64'));
const formula = (x: number, y: number, c: number): number => (x * 37 + y * 91 + c * 53 + x * y * 7) % 256;
function expectedDirect(w: number, h: number, ch: number): Uint8Array {
  const out = new Uint8Array(w * h * ch);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < ch; c++) out[(y * w + x) * ch + c] = formula(x, y, c);
  return out;
}

test('crc32 matches the standard check value and node:zlib', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  const data = new Uint8Array(1000).map((_, i) => (i * 31) & 255);
  const zlibCrc = (zlib as unknown as { crc32?: (d: Uint8Array) => number }).crc32;
  if (zlibCrc) assert.equal(crc32(data), zlibCrc(data));
  assert.equal(crc32(data.subarray(500), crc32(data.subarray(0, 500))), crc32(data));
});

test('decodes independently written 8-bit grey, RGB, RGBA fixtures (all filter types, split IDAT, tEXt)', () => {
  const rgb = decodePng(fixture('rgb7x5_split_text'));
  assert.deepEqual([rgb.width, rgb.height, rgb.channels], [7, 5, 3]);
  assert.deepEqual(rgb.pixels, expectedDirect(7, 5, 3));
  // A small Buffer from Node's pool starts at a non-zero byteOffset inside a shared ArrayBuffer.
  const pooled = Buffer.from(FIXTURES.rgb7x5_split_text, 'base64');
  assert.deepEqual(decodePng(pooled).pixels, expectedDirect(7, 5, 3));
  const rgba = decodePng(fixture('rgba4x5'));
  assert.deepEqual([rgba.width, rgba.height, rgba.channels], [4, 5, 4]);
  assert.deepEqual(rgba.pixels, expectedDirect(4, 5, 4));
  // Erratic values exercise the filters' edge cases (Paeth ties, byte wrap-around).
  const noise = decodePng(fixture('rgba_noise12x10'));
  const erratic = (i: number): number => ((i * i * 31 + i * 17) ^ (i >> 3)) & 255;
  assert.deepEqual(
    noise.pixels,
    new Uint8Array(12 * 10 * 4).map((_, i) => erratic(i)),
  );
  // Every row Paeth-filtered, small values: predictor ties (10 with b != c), which must break as the spec says.
  const paeth = decodePng(fixture('grey_paeth16x16'));
  assert.deepEqual(
    paeth.pixels,
    new Uint8Array(256).map((_, i) => {
      const [x, y] = [i % 16, i >> 4];
      return (x * x * 3 + y * y * 5 + x * y) % 7;
    }),
  );
  const grey = decodePng(fixture('grey6x5'));
  assert.deepEqual([grey.width, grey.height, grey.channels], [6, 5, 1]);
  assert.deepEqual(grey.pixels, expectedDirect(6, 5, 1));
});

test('decodes grey+alpha as RGBA', () => {
  const img = decodePng(fixture('greyalpha3x5'));
  assert.equal(img.channels, 4);
  const ga = expectedDirect(3, 5, 2);
  for (let i = 0; i < 15; i++) {
    assert.deepEqual([...img.pixels.subarray(4 * i, 4 * i + 4)], [ga[2 * i], ga[2 * i], ga[2 * i], ga[2 * i + 1]]);
  }
});

test('decodes a 2-bit palette with tRNS as RGBA and 1-bit grey as 0/255', () => {
  const pal = [
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
    [10, 20, 30],
  ];
  const alpha = [0, 128, 255, 255];
  const img = decodePng(fixture('palette2bit5x3_trns'));
  assert.deepEqual([img.width, img.height, img.channels], [5, 3, 4]);
  for (let y = 0; y < 3; y++) {
    for (let x = 0; x < 5; x++) {
      const k = (x + y) % 4;
      const i = (y * 5 + x) * 4;
      assert.deepEqual([...img.pixels.subarray(i, i + 4)], [...pal[k]!, alpha[k]], `pixel ${x},${y}`);
    }
  }
  const bits = decodePng(fixture('grey1bit10x2'));
  assert.deepEqual([bits.width, bits.height, bits.channels], [10, 2, 1]);
  for (let y = 0; y < 2; y++) for (let x = 0; x < 10; x++) assert.equal(bits.pixels[y * 10 + x], (x + y) % 2 ? 255 : 0);
});

test('encode/decode round trip for 1, 3 and 4 channels, odd sizes, random and smooth content', () => {
  const rng = new Rng(7);
  for (const channels of [1, 3, 4] as PngChannels[]) {
    for (const [w, h] of [
      [1, 1],
      [3, 7],
      [33, 5],
      [64, 48],
    ] as const) {
      const noise = new Uint8Array(w * h * channels).map(() => rng.int(256));
      const smooth = new Uint8Array(w * h * channels).map((_, i) => (Math.floor(i / channels) % w) * 3 + Math.floor(i / (w * channels)));
      for (const pixels of [noise, smooth]) {
        const out = decodePng(encodePng(pixels, w, h, channels));
        assert.deepEqual([out.width, out.height, out.channels], [w, h, channels]);
        assert.deepEqual(out.pixels, pixels);
      }
    }
  }
});

test('encoder output is a well-formed PNG readable without our decoder (IHDR fields, chunk CRCs, inflated size)', () => {
  const w = 20,
    h = 10;
  const bytes = encodePng(new Uint8Array(w * h * 3).fill(200), w, h, 3);
  assert.deepEqual([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  const buf = Buffer.from(bytes);
  assert.equal(buf.toString('latin1', 12, 16), 'IHDR');
  assert.deepEqual([buf.readUInt32BE(16), buf.readUInt32BE(20), buf[24], buf[25], buf[28]], [w, h, 8, 2, 0]);
  const idatLen = buf.readUInt32BE(33);
  assert.equal(buf.toString('latin1', 37, 41), 'IDAT');
  const raw = zlib.inflateSync(buf.subarray(41, 41 + idatLen));
  assert.equal(raw.length, h * (w * 3 + 1));
  // A flat image is best predicted from above (filter 2) or left (1): rows after the first are all zeros.
  for (let y = 1; y < h; y++) assert.ok(raw.subarray(y * (w * 3 + 1) + 1, (y + 1) * (w * 3 + 1)).every((v) => v === 0));
  assert.equal(buf.toString('latin1', buf.length - 8, buf.length - 4), 'IEND');
  assert.ok(bytes.length < 100, `flat 20x10 image compresses (got ${bytes.length} bytes)`);
});

test('encodePng rejects bad arguments with clear errors', () => {
  assert.throws(() => encodePng(new Uint8Array(11), 2, 2, 3), /pixels has 11 bytes; expected .* = 12/);
  assert.throws(() => encodePng(new Uint8Array(0), 0, 2, 3), /width is 0/);
  assert.throws(() => encodePng(new Uint8Array(8), 2, 2, 2 as PngChannels), /channels is 2/);
});

/** Rewrite the IHDR byte at `offset` (0-based inside IHDR data) and fix its CRC. */
function patchHeader(png: Uint8Array, offset: number, value: number): Uint8Array {
  const out = png.slice();
  out[16 + offset] = value;
  new DataView(out.buffer).setUint32(29, crc32(out.subarray(12, 29)));
  return out;
}

test('decodePng reports corrupt and unsupported files clearly', () => {
  const good = encodePng(new Uint8Array(4 * 4 * 3).fill(9), 4, 4, 3);
  assert.throws(() => decodePng(new TextEncoder().encode('GIF89a......')), /not a PNG file/);
  const flipped = good.slice();
  flipped[45] = flipped[45]! ^ 0xff; // inside IDAT data
  assert.throws(() => decodePng(flipped), /CRC mismatch in chunk "IDAT"/);
  for (const cut of [good.length - 1, good.length - 12, 40, 20, 9]) {
    assert.throws(() => decodePng(good.subarray(0, cut)), /truncated/, `cut at ${cut}`);
  }
  assert.throws(() => decodePng(patchHeader(good, 12, 1)), /interlaced \(Adam7\) PNGs are not supported/);
  assert.throws(() => decodePng(patchHeader(good, 8, 16)), /bit depth 16 .* not supported/);
  assert.throws(() => decodePng(patchHeader(good, 9, 5)), /colour type 5 is not a PNG colour type/);
});

test("decodePng: IDAT that inflates past what the header's image needs (a PNG bomb) is refused without inflating it", () => {
  const chunk = (type: string, data: Uint8Array): Buffer => {
    const b = Buffer.alloc(12 + data.length);
    b.writeUInt32BE(data.length, 0);
    b.write(type, 4, 'latin1');
    Buffer.from(data).copy(b, 8);
    b.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'latin1'), Buffer.from(data)])), 8 + data.length);
    return b;
  };
  const png = (w: number, h: number, idat: Uint8Array): Uint8Array => {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(w, 0);
    ihdr.writeUInt32BE(h, 4);
    ihdr[8] = 8; // 8-bit grey
    return new Uint8Array(
      Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))]),
    );
  };
  for (const [w, h] of [
    [1, 1],
    [64, 64],
  ] as const) {
    const bomb = png(w, h, zlib.deflateSync(Buffer.alloc(64 * 2 ** 20))); // ~65 KB that inflates to 64 MiB
    const before = process.memoryUsage().arrayBuffers;
    assert.throws(() => decodePng(bomb), new RegExp(`inflates past the ${h * (w + 1)} bytes a ${w}x${h} image needs`));
    assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 2 ** 20);
  }
  assert.deepEqual([...decodePng(png(1, 1, zlib.deflateSync(Buffer.from([0, 77])))).pixels], [77]);
});
