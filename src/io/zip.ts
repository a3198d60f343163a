/**
 * A minimal read-only ZIP reader (PKWARE APPNOTE 6.3): end of central directory (with ZIP64),
 * central directory, local headers; stored and deflated entries. It exists to read PyTorch
 * checkpoints, which are uncompressed zips, often over 4 GB (hence ZIP64), so entries are read
 * lazily from an open file and stored entries can be read in byte ranges.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';

export class ZipError extends Error {
  override name = 'ZipError';
}

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
  /** Offset of the entry's local header in the file. */
  localHeaderOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
/** A central directory above this is not something a checkpoint has; refuse before allocating. */
const MAX_CENTRAL_DIRECTORY = 1 << 28;

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) as used by ZIP. */
export function crc32(bytes: Uint8Array): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function u64(view: DataView, at: number, what: string, source: string): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError(`corrupt zip '${source}': ${what} ${v} is impossibly large`);
  return Number(v);
}

export class ZipReader {
  private readonly byName = new Map<string, ZipEntry>();

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly fileSize: number,
    readonly entries: readonly ZipEntry[],
  ) {
    for (const e of entries) this.byName.set(e.name, e);
  }

  static async open(path: string): Promise<ZipReader> {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const entries = await readCentralDirectory(handle, size, path);
      return new ZipReader(path, handle, size, entries);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  entry(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  /** Offset of an entry's data, read from its local header (whose extra field may differ from the central one). */
  async dataOffset(entry: ZipEntry): Promise<number> {
    const header = await this.readAt(entry.localHeaderOffset, 30, `local header of '${entry.name}'`);
    const view = new DataView(header.buffer, header.byteOffset, 30);
    if (view.getUint32(0, true) !== SIG_LOCAL)
      throw new ZipError(`corrupt zip '${this.path}': no local header for '${entry.name}' at byte ${entry.localHeaderOffset}`);
    const flags = view.getUint16(6, true);
    if (flags & 1) throw new ZipError(`zip '${this.path}': entry '${entry.name}' is encrypted, which is not supported`);
    const start = entry.localHeaderOffset + 30 + view.getUint16(26, true) + view.getUint16(28, true);
    if (start + entry.compressedSize > this.fileSize) {
      throw new ZipError(
        `truncated zip '${this.path}': entry '${entry.name}' needs bytes up to ${start + entry.compressedSize} but the file has ${this.fileSize}`,
      );
    }
    return start;
  }

  /**
   * The whole uncompressed content of an entry, CRC-checked. `maxBytes` guards against
   * decompression bombs and entries too large to hold in memory.
   */
  async read(entry: ZipEntry, maxBytes = 2 ** 31 - 1): Promise<Uint8Array> {
    if (entry.uncompressedSize > maxBytes) {
      throw new ZipError(`zip '${this.path}': entry '${entry.name}' is ${entry.uncompressedSize} bytes, above the ${maxBytes}-byte limit for a whole read`);
    }
    const raw = await this.readAt(await this.dataOffset(entry), entry.compressedSize, `data of '${entry.name}'`);
    let data: Uint8Array;
    if (entry.method === 0) data = raw;
    else if (entry.method === 8) {
      try {
        // Copied into a plain Uint8Array: a Buffer's .slice() would alias instead of copy.
        data = new Uint8Array(inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.uncompressedSize) }));
      } catch (err) {
        throw new ZipError(`corrupt zip '${this.path}': entry '${entry.name}' does not inflate (${(err as Error).message})`);
      }
    } else
      throw new ZipError(`zip '${this.path}': entry '${entry.name}' uses compression method ${entry.method}; only stored (0) and deflate (8) are supported`);
    if (data.length !== entry.uncompressedSize) {
      throw new ZipError(`corrupt zip '${this.path}': entry '${entry.name}' holds ${data.length} bytes, its header says ${entry.uncompressedSize}`);
    }
    if (crc32(data) !== entry.crc32) throw new ZipError(`corrupt zip '${this.path}': CRC mismatch in entry '${entry.name}'`);
    return data;
  }

  /**
   * `length` bytes from `start` of a stored entry's content, without reading the rest (no CRC
   * check: that needs the whole entry). Deflated entries are read whole and sliced.
   */
  async readRange(entry: ZipEntry, start: number, length: number): Promise<Uint8Array> {
    if (start < 0 || length < 0 || start + length > entry.uncompressedSize) {
      throw new ZipError(`zip '${this.path}': range [${start}, ${start + length}) is outside entry '${entry.name}' of ${entry.uncompressedSize} bytes`);
    }
    if (entry.method !== 0) return (await this.read(entry)).slice(start, start + length);
    if (entry.compressedSize !== entry.uncompressedSize) {
      throw new ZipError(
        `corrupt zip '${this.path}': stored entry '${entry.name}' has compressed size ${entry.compressedSize} != uncompressed size ${entry.uncompressedSize}`,
      );
    }
    return this.readAt((await this.dataOffset(entry)) + start, length, `data of '${entry.name}'`);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private async readAt(position: number, length: number, what: string): Promise<Uint8Array> {
    return readAt(this.handle, position, length, this.fileSize, this.path, what);
  }
}

/** Reads exactly `length` bytes at `position` into a fresh (aligned) buffer. */
async function readAt(handle: FileHandle, position: number, length: number, fileSize: number, source: string, what: string): Promise<Uint8Array> {
  if (position < 0 || position + length > fileSize)
    throw new ZipError(`truncated zip '${source}': ${what} would end at byte ${position + length} but the file has ${fileSize}`);
  const out = new Uint8Array(length);
  const CHUNK = 1 << 30;
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(out, done, Math.min(CHUNK, length - done), position + done);
    if (bytesRead === 0) throw new ZipError(`truncated zip '${source}': unexpected end of file reading ${what}`);
    done += bytesRead;
  }
  return out;
}

async function readCentralDirectory(handle: FileHandle, fileSize: number, source: string): Promise<ZipEntry[]> {
  if (fileSize < EOCD_SIZE) throw new ZipError(`'${source}' is not a zip file (${fileSize} bytes is too short)`);
  // The EOCD record sits at the end, followed by a comment of up to 64 KiB: scan backwards for it.
  const tailLength = Math.min(fileSize, EOCD_SIZE + MAX_COMMENT);
  const tailStart = fileSize - tailLength;
  const tail = await readAt(handle, tailStart, tailLength, fileSize, source, 'end of central directory');
  const tv = new DataView(tail.buffer);
  let eocd = -1;
  for (let i = tailLength - EOCD_SIZE; i >= 0; i--) {
    if (tv.getUint32(i, true) === SIG_EOCD && i + EOCD_SIZE + tv.getUint16(i + 20, true) <= tailLength) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError(`'${source}' is not a zip file (no end-of-central-directory record; truncated or another format)`);
  let count = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // ZIP64: a locator just before the EOCD points at the ZIP64 end record with 64-bit fields.
    const locatorAt = tailStart + eocd - 20;
    if (locatorAt < 0) throw new ZipError(`corrupt zip '${source}': ZIP64 sizes flagged but no ZIP64 locator`);
    const loc = await readAt(handle, locatorAt, 20, fileSize, source, 'ZIP64 locator');
    const lv = new DataView(loc.buffer);
    if (lv.getUint32(0, true) !== SIG_ZIP64_LOCATOR) throw new ZipError(`corrupt zip '${source}': ZIP64 sizes flagged but no ZIP64 locator`);
    const recordAt = u64(lv, 8, 'ZIP64 record offset', source);
    const rec = await readAt(handle, recordAt, 56, fileSize, source, 'ZIP64 end of central directory');
    const rv = new DataView(rec.buffer);
    if (rv.getUint32(0, true) !== SIG_ZIP64_EOCD) throw new ZipError(`corrupt zip '${source}': bad ZIP64 end-of-central-directory signature`);
    count = u64(rv, 32, 'entry count', source);
    cdSize = u64(rv, 40, 'central directory size', source);
    cdOffset = u64(rv, 48, 'central directory offset', source);
  }
  if (cdSize > MAX_CENTRAL_DIRECTORY || cdOffset + cdSize > fileSize || count * 46 > cdSize) {
    throw new ZipError(`corrupt zip '${source}': central directory (${count} entries, ${cdSize} bytes at ${cdOffset}) does not fit the ${fileSize}-byte file`);
  }
  const cd = await readAt(handle, cdOffset, cdSize, fileSize, source, 'central directory');
  return parseCentralDirectory(cd, count, source);
}

function parseCentralDirectory(cd: Uint8Array, count: number, source: string): ZipEntry[] {
  const view = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const decoder = new TextDecoder('utf-8');
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > cd.length || view.getUint32(at, true) !== SIG_CENTRAL) throw new ZipError(`corrupt zip '${source}': central directory entry ${i} is damaged`);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const end = at + 46 + nameLength + extraLength + commentLength;
    if (end > cd.length) throw new ZipError(`corrupt zip '${source}': central directory entry ${i} runs past the directory`);
    const name = decoder.decode(cd.subarray(at + 46, at + 46 + nameLength));
    let compressedSize = view.getUint32(at + 20, true);
    let uncompressedSize = view.getUint32(at + 24, true);
    let localHeaderOffset = view.getUint32(at + 42, true);
    // ZIP64 extra field (id 1) holds, in this order, only the fields saturated at 0xffffffff.
    let x = at + 46 + nameLength;
    const extraEnd = x + extraLength;
    while (x + 4 <= extraEnd) {
      const id = view.getUint16(x, true);
      const size = view.getUint16(x + 2, true);
      if (x + 4 + size > extraEnd) throw new ZipError(`corrupt zip '${source}': extra field of '${name}' runs past its entry`);
      if (id === 1) {
        let f = x + 4;
        const take = (what: string): number => {
          if (f + 8 > x + 4 + size) throw new ZipError(`corrupt zip '${source}': ZIP64 field of '${name}' lacks its ${what}`);
          const v = u64(view, f, what, source);
          f += 8;
          return v;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = take('uncompressed size');
        if (compressedSize === 0xffffffff) compressedSize = take('compressed size');
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take('local header offset');
      }
      x += 4 + size;
    }
    entries.push({ name, method: view.getUint16(at + 10, true), compressedSize, uncompressedSize, crc32: view.getUint32(at + 16, true), localHeaderOffset });
    at = end;
  }
  return entries;
}
