/**
 * node:zlib in the web bundle: just enough for encodePng (src/io/png.ts) to run in the page.
 * deflateSync writes a valid zlib stream of stored (uncompressed) blocks — a 32 x 32 image is 3 KB
 * either way — and inflateSync, which the page never needs, says so.
 */

const MAX_STORED = 65535;

function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < bytes.length; i++) {
    a = (a + bytes[i]!) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** A zlib stream (RFC 1950) of stored deflate blocks (RFC 1951 section 3.2.4); options are ignored. */
export function deflateSync(data: Uint8Array, _options?: unknown): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / MAX_STORED));
  const out = new Uint8Array(2 + blocks * 5 + data.length + 4);
  out[0] = 0x78; // CM = 8 (deflate), 32 KiB window
  out[1] = 0x01; // no preset dictionary, FCHECK so that (0x78 << 8 | 0x01) % 31 === 0
  let at = 2;
  for (let k = 0; k < blocks; k++) {
    const start = k * MAX_STORED;
    const len = Math.min(MAX_STORED, data.length - start);
    out[at++] = k === blocks - 1 ? 1 : 0; // BFINAL, BTYPE = 00 (stored)
    out[at++] = len & 0xff;
    out[at++] = len >>> 8;
    out[at++] = ~len & 0xff;
    out[at++] = (~len >>> 8) & 0xff;
    out.set(data.subarray(start, start + len), at);
    at += len;
  }
  new DataView(out.buffer).setUint32(at, adler32(data));
  return out;
}

export function inflateSync(_data: Uint8Array): never {
  throw new Error('inflateSync is not available in the browser build (the page only writes PNGs)');
}
