/**
 * The safetensors format (https://huggingface.co/docs/safetensors), read and written byte-compatibly
 * with the reference Rust/Python implementation:
 *
 *   [u64 little-endian N] [N bytes of UTF-8 JSON header, space-padded to a multiple of 8] [data]
 *
 * The header maps each tensor name to {dtype, shape, data_offsets: [begin, end]} (offsets relative to
 * the data section) plus an optional "__metadata__": {string: string}. Like the reference writer we
 * lay tensors out by descending dtype alignment, then by name, so every tensor starts aligned, and
 * write "__metadata__" first. Readers trust nothing: every offset and size is checked before any
 * allocation, and errors name the file.
 */
import { readSync } from 'node:fs';
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { withAtomicFile } from './atomic.js';
import { bfloat16ToFloat32, float16ToFloat32, float32ToBfloat16, float32ToFloat16 } from './half.js';

export type SafeDType = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'I8' | 'U8' | 'BOOL';

/** Element storage per dtype; F16/BF16 are raw bit patterns, BOOL is 0/1 bytes. */
export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Int8Array | Uint8Array | Uint16Array;

export interface NamedTensor {
  dtype: SafeDType;
  shape: number[];
  data: TensorData;
}

/** A tensor to write: F16/BF16 may also be given as Float32Array and are rounded (nearest-even) on write. */
export interface TensorToWrite {
  dtype: SafeDType;
  shape: readonly number[];
  data: TensorData;
}

export interface SafeTensorInfo {
  dtype: SafeDType;
  shape: number[];
  byteLength: number;
}

export interface SafetensorsContents {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
}

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

interface DTypeInfo {
  itemSize: number;
  /** Position in the reference `Dtype` enum, which is ordered by alignment; the writer sorts on it. */
  alignmentRank: number;
  /** The typed array that holds this dtype's elements. */
  make: (buffer: ArrayBuffer, byteOffset: number, length: number) => TensorData;
  accepts: (data: TensorData) => boolean;
}

const DTYPES: Record<SafeDType, DTypeInfo> = {
  BOOL: { itemSize: 1, alignmentRank: 0, make: (b, o, n) => new Uint8Array(b, o, n), accepts: (d) => d instanceof Uint8Array },
  U8: { itemSize: 1, alignmentRank: 1, make: (b, o, n) => new Uint8Array(b, o, n), accepts: (d) => d instanceof Uint8Array },
  I8: { itemSize: 1, alignmentRank: 2, make: (b, o, n) => new Int8Array(b, o, n), accepts: (d) => d instanceof Int8Array },
  F16: { itemSize: 2, alignmentRank: 7, make: (b, o, n) => new Uint16Array(b, o, n), accepts: (d) => d instanceof Uint16Array || d instanceof Float32Array },
  BF16: { itemSize: 2, alignmentRank: 8, make: (b, o, n) => new Uint16Array(b, o, n), accepts: (d) => d instanceof Uint16Array || d instanceof Float32Array },
  I32: { itemSize: 4, alignmentRank: 9, make: (b, o, n) => new Int32Array(b, o, n), accepts: (d) => d instanceof Int32Array },
  F32: { itemSize: 4, alignmentRank: 11, make: (b, o, n) => new Float32Array(b, o, n), accepts: (d) => d instanceof Float32Array },
  F64: { itemSize: 8, alignmentRank: 12, make: (b, o, n) => new Float64Array(b, o, n), accepts: (d) => d instanceof Float64Array },
  I64: { itemSize: 8, alignmentRank: 13, make: (b, o, n) => new BigInt64Array(b, o, n), accepts: (d) => d instanceof BigInt64Array },
};

/** The reference reader refuses headers above 100 MB; so do we, before allocating. */
export const MAX_HEADER_BYTES = 100_000_000;

export function isSafeDType(x: unknown): x is SafeDType {
  return typeof x === 'string' && Object.hasOwn(DTYPES, x);
}

export function dtypeItemSize(dtype: SafeDType): number {
  return DTYPES[dtype].itemSize;
}

/** Wraps `length` elements at `byteOffset` of `buffer` in the typed array for `dtype` (offset must be aligned). */
export function typedArrayFor(dtype: SafeDType, buffer: ArrayBuffer, byteOffset: number, length: number): TensorData {
  return DTYPES[dtype].make(buffer, byteOffset, length);
}

/** Number of elements of `shape`, or null when it is not a list of non-negative integers or overflows. */
export function elementCount(shape: unknown): number | null {
  if (!Array.isArray(shape)) return null;
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) return null;
    n *= d;
    if (!Number.isSafeInteger(n)) return null;
  }
  return n;
}

/** Converts a floating tensor (F32, F16, BF16, F64) to Float32Array; F32 data is returned as is. */
export function tensorToFloat32(tensor: NamedTensor, what = 'tensor'): Float32Array {
  const { dtype, data } = tensor;
  if (dtype === 'F32') return data as Float32Array;
  if (dtype === 'F16') return float16ToFloat32(data as Uint16Array);
  if (dtype === 'BF16') return bfloat16ToFloat32(data as Uint16Array);
  if (dtype === 'F64') return Float32Array.from(data as Float64Array);
  throw new SafetensorsError(`${what} has dtype ${dtype}, expected a floating dtype (F32, F16, BF16, F64); convert it explicitly`);
}

/** The bytes to store for one tensor (little-endian host assumed, as on every platform Node supports). */
function tensorBytes(name: string, t: TensorToWrite): Uint8Array {
  let data = t.data;
  if (data instanceof Float32Array && t.dtype === 'F16') data = float32ToFloat16(data);
  if (data instanceof Float32Array && t.dtype === 'BF16') data = float32ToBfloat16(data);
  if (t.dtype === 'BOOL' && (data as Uint8Array).some((v) => v > 1)) {
    throw new SafetensorsError(`tensor '${name}' has dtype BOOL but its data holds values other than 0 and 1`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function checkTensorToWrite(name: string, t: TensorToWrite): void {
  if (name === '__metadata__') throw new SafetensorsError(`tensor name '__metadata__' is reserved by the safetensors format; rename the tensor`);
  if (!isSafeDType(t.dtype))
    throw new SafetensorsError(`tensor '${name}' has unknown dtype ${JSON.stringify(t.dtype)}; expected one of ${Object.keys(DTYPES).join(', ')}`);
  const count = elementCount(t.shape);
  if (count === null) throw new SafetensorsError(`tensor '${name}' has shape ${JSON.stringify(t.shape)}; expected a list of non-negative integers`);
  if (!DTYPES[t.dtype].accepts(t.data)) {
    throw new SafetensorsError(
      `tensor '${name}' has dtype ${t.dtype} but data of type ${t.data.constructor.name}; see TensorData for the array type of each dtype`,
    );
  }
  if (t.data.length !== count) {
    throw new SafetensorsError(`tensor '${name}' has shape [${t.shape.join(', ')}] (${count} elements) but ${t.data.length} data elements`);
  }
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

interface PreparedFile {
  /** The 8-byte length prefix followed by the padded JSON header. */
  head: Uint8Array;
  /** Tensors in data order, converted to bytes only when written. */
  order: Array<{ name: string; tensor: TensorToWrite }>;
}

function prepare(tensors: Record<string, TensorToWrite> | Map<string, TensorToWrite>, metadata?: Record<string, string>): PreparedFile {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  for (const [name, t] of entries) checkTensorToWrite(name, t);
  // Reference order: descending dtype alignment, then name as UTF-8 bytes.
  entries.sort(([an, at], [bn, bt]) => DTYPES[bt.dtype].alignmentRank - DTYPES[at.dtype].alignmentRank || compareUtf8(an, bn));
  const parts: string[] = [];
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new SafetensorsError(`metadata '${k}' is ${typeof v}; safetensors metadata values must be strings (JSON-encode them)`);
    }
    parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  for (const [name, t] of entries) {
    const end = offset + t.data.length * DTYPES[t.dtype].itemSize;
    parts.push(`${JSON.stringify(name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  const head = new Uint8Array(8 + padded).fill(0x20, 8 + json.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);
  return { head, order: entries.map(([name, tensor]) => ({ name, tensor })) };
}

/** The complete file bytes for `tensors` (plus optional string metadata). */
export function encodeSafetensors(tensors: Record<string, TensorToWrite> | Map<string, TensorToWrite>, metadata?: Record<string, string>): Uint8Array {
  const { head, order } = prepare(tensors, metadata);
  const chunks = order.map(({ name, tensor }) => tensorBytes(name, tensor));
  const out = new Uint8Array(head.length + chunks.reduce((s, c) => s + c.length, 0));
  out.set(head, 0);
  let at = head.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Writes a safetensors file atomically, one tensor at a time (no whole-file buffer). */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, TensorToWrite> | Map<string, TensorToWrite>,
  metadata?: Record<string, string>,
): Promise<void> {
  const { head, order } = prepare(tensors, metadata);
  await withAtomicFile(path, async (handle) => {
    await handle.write(head);
    for (const { name, tensor } of order) await handle.write(tensorBytes(name, tensor));
  });
}

// ---------------------------------------------------------------------------------------------
// Reading

interface HeaderEntry {
  dtype: SafeDType;
  shape: number[];
  begin: number;
  end: number;
}

interface ParsedHeader {
  /** Entries in data order. */
  entries: Map<string, HeaderEntry>;
  metadata: Record<string, string>;
}

/**
 * Keys of the top-level object of already-validated JSON text, duplicates included (JSON.parse
 * silently keeps the last duplicate; a file naming one tensor twice is corrupt or malicious).
 */
function topLevelKeys(json: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      if (depth === 1) {
        let k = j + 1;
        while (/\s/.test(json[k]!)) k++;
        if (json[k] === ':') keys.push(JSON.parse(json.slice(i, j + 1)) as string);
      }
      i = j;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return keys;
}

function isNonNegativeInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/** Validates a header against a data section of `dataLength` bytes, as the reference reader does (and more). */
function parseHeader(headerBytes: Uint8Array, dataLength: number, source: string): ParsedHeader {
  const fail = (what: string): never => {
    throw new SafetensorsError(`invalid safetensors file '${source}': ${what}`);
  };
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    fail('the header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    fail(`the header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    fail(`the header must be a JSON object, got ${Array.isArray(header) ? 'an array' : typeof header}`);
  const keys = topLevelKeys(text);
  const seen = new Set<string>();
  for (const k of keys) {
    if (seen.has(k)) fail(`the header names '${k}' more than once`);
    seen.add(k);
  }
  const metadata: Array<[string, string]> = [];
  const list: Array<[string, HeaderEntry]> = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(`"__metadata__" must be an object of strings`);
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`"__metadata__" value '${k}' must be a string, got ${JSON.stringify(v)}`);
        metadata.push([k, v as string]);
      }
      continue;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(`entry '${name}' must be an object {dtype, shape, data_offsets}`);
    const e = raw as Record<string, unknown>;
    for (const field of ['dtype', 'shape', 'data_offsets']) if (!(field in e)) fail(`entry '${name}' is missing "${field}"`);
    if (!isSafeDType(e.dtype)) fail(`tensor '${name}' has unsupported dtype ${JSON.stringify(e.dtype)}; supported: ${Object.keys(DTYPES).join(', ')}`);
    const dtype = e.dtype as SafeDType;
    const count = elementCount(e.shape);
    if (count === null) fail(`tensor '${name}' has shape ${JSON.stringify(e.shape)}; expected a list of non-negative integers`);
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !isNonNegativeInt(offsets[0]) || !isNonNegativeInt(offsets[1])) {
      fail(`tensor '${name}' has data_offsets ${JSON.stringify(offsets)}; expected [begin, end] non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) fail(`tensor '${name}' has reversed data_offsets [${begin}, ${end}]`);
    if (end > dataLength) fail(`tensor '${name}' data_offsets [${begin}, ${end}] run past the ${dataLength}-byte data section (truncated file?)`);
    const expected = count! * DTYPES[dtype].itemSize;
    if (end - begin !== expected) {
      fail(
        `tensor '${name}' (${dtype}, shape [${(e.shape as number[]).join(', ')}]) needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
      );
    }
    list.push([name, { dtype, shape: [...(e.shape as number[])], begin, end }]);
  }
  // The data section must be tiled exactly: no overlaps (aliasing tricks) and no gaps (hidden bytes).
  list.sort(([, a], [, b]) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const [name, { begin, end }] of list) {
    if (begin < cursor) fail(`tensor '${name}' data_offsets [${begin}, ${end}] overlap the previous tensor (which ends at ${cursor})`);
    if (begin > cursor) fail(`tensor '${name}' starts at ${begin} leaving a gap after byte ${cursor} of the data section`);
    cursor = end;
  }
  if (cursor !== dataLength) fail(`the tensors cover ${cursor} bytes but the data section has ${dataLength} (trailing bytes)`);
  return { entries: new Map(list), metadata: Object.fromEntries(metadata) };
}

/** Reads the length prefix and checks it against the file size before anything is allocated. */
function headerLength(prefix: Uint8Array, fileSize: number, source: string): number {
  if (fileSize < 8) throw new SafetensorsError(`invalid safetensors file '${source}': ${fileSize} bytes is too short for the 8-byte header length`);
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES))
    throw new SafetensorsError(`invalid safetensors file '${source}': header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`);
  if (Number(n) + 8 > fileSize)
    throw new SafetensorsError(`invalid safetensors file '${source}': header length ${n} runs past the end of the ${fileSize}-byte file (truncated?)`);
  return Number(n);
}

/** Parses a whole safetensors file held in memory. Tensor data is copied into aligned arrays. */
export function decodeSafetensors(bytes: Uint8Array, source = '<buffer>'): SafetensorsContents {
  const n = headerLength(bytes, bytes.length, source);
  const { entries, metadata } = parseHeader(bytes.subarray(8, 8 + n), bytes.length - 8 - n, source);
  const tensors = new Map<string, NamedTensor>();
  for (const [name, e] of entries) {
    // Uint8Array.prototype.slice copies even for a Node Buffer (whose own .slice would alias).
    const copy = Uint8Array.prototype.slice.call(bytes, 8 + n + e.begin, 8 + n + e.end);
    tensors.set(name, { dtype: e.dtype, shape: e.shape, data: typedArrayFor(e.dtype, copy.buffer, 0, (e.end - e.begin) / DTYPES[e.dtype].itemSize) });
  }
  return { tensors, metadata };
}

/** Reads a whole safetensors file into memory (use {@link openSafetensors} for large files). */
export async function readSafetensors(path: string): Promise<SafetensorsContents> {
  return decodeSafetensors(await readFile(path), path);
}

/** Fills `out` from `position` of the file, in chunks below the 2 GiB per-call limit. */
async function readFully(handle: FileHandle, out: Uint8Array, position: number, source: string): Promise<void> {
  const CHUNK = 1 << 30;
  let done = 0;
  while (done < out.length) {
    const want = Math.min(CHUNK, out.length - done);
    const { bytesRead } = await handle.read(out, done, want, position + done);
    if (bytesRead === 0) throw new SafetensorsError(`unexpected end of file reading '${source}' at byte ${position + done} (file changed while open?)`);
    done += bytesRead;
  }
}

/** A safetensors file opened for lazy access: only the header is read up front. */
export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly dataStart: number,
    private readonly entries: Map<string, HeaderEntry>,
    readonly metadata: Record<string, string>,
  ) {}

  static async open(path: string): Promise<SafetensorsFile> {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const prefix = new Uint8Array(8);
      if (size >= 8) await readFully(handle, prefix, 0, path);
      const n = headerLength(prefix, size, path);
      const headerBytes = new Uint8Array(n);
      await readFully(handle, headerBytes, 8, path);
      const { entries, metadata } = parseHeader(headerBytes, size - 8 - n, path);
      return new SafetensorsFile(path, handle, 8 + n, entries, metadata);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** Tensor names in file (data) order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  info(name: string): SafeTensorInfo {
    const e = this.entry(name);
    return { dtype: e.dtype, shape: [...e.shape], byteLength: e.end - e.begin };
  }

  /** Reads one tensor's bytes (positional read; nothing else in the file is touched). */
  async read(name: string): Promise<NamedTensor> {
    const e = this.entry(name);
    const buffer = new ArrayBuffer(e.end - e.begin);
    await readFully(this.handle, new Uint8Array(buffer), this.dataStart + e.begin, this.path);
    return { dtype: e.dtype, shape: [...e.shape], data: typedArrayFor(e.dtype, buffer, 0, buffer.byteLength / DTYPES[e.dtype].itemSize) };
  }

  /** Reads one floating tensor as Float32Array (F16/BF16/F64 converted). */
  async readFloat32(name: string): Promise<Float32Array> {
    return tensorToFloat32(await this.read(name), `tensor '${name}' in '${this.path}'`);
  }

  /**
   * Reads rows (indices along axis 0) of a floating tensor as one Float32Array [rows.length, ...rest],
   * touching only those rows' bytes: random-access batches from feature files larger than memory.
   */
  async readRowsFloat32(name: string, rows: readonly number[]): Promise<Float32Array> {
    const e = this.entry(name);
    const n = e.shape[0];
    if (e.shape.length === 0 || n === undefined) throw new SafetensorsError(`tensor '${name}' in '${this.path}' is a scalar: it has no rows`);
    const rowElems = e.shape.slice(1).reduce((a, b) => a * b, 1);
    const item = DTYPES[e.dtype].itemSize;
    const out = new Float32Array(rows.length * rowElems);
    const bytes = new Uint8Array(rowElems * item);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      if (!(Number.isInteger(r) && r >= 0 && r < n)) throw new SafetensorsError(`row ${r} is out of range for '${name}' with ${n} rows in '${this.path}'`);
      await readFully(this.handle, bytes, this.dataStart + e.begin + r * rowElems * item, this.path);
      const buf = bytes.slice().buffer;
      out.set(tensorToFloat32({ dtype: e.dtype, shape: [rowElems], data: typedArrayFor(e.dtype, buf, 0, rowElems) }, `row ${r} of '${name}'`), i * rowElems);
    }
    return out;
  }

  /**
   * Reads `count` consecutive rows (indices along axis 0) of any tensor starting at row `first`,
   * as stored (no conversion): one positional read, for readers that walk a large tensor in runs.
   */
  async readRowRange(name: string, first: number, count: number): Promise<NamedTensor> {
    const e = this.entry(name);
    const n = e.shape[0];
    if (e.shape.length === 0 || n === undefined) throw new SafetensorsError(`tensor '${name}' in '${this.path}' is a scalar: it has no rows`);
    if (!(Number.isInteger(first) && Number.isInteger(count) && first >= 0 && count >= 0 && first + count <= n)) {
      throw new SafetensorsError(`rows [${first}, ${first + count}) are out of range for '${name}' with ${n} rows in '${this.path}'`);
    }
    const rowElems = e.shape.slice(1).reduce((a, b) => a * b, 1);
    const item = DTYPES[e.dtype].itemSize;
    const buffer = new ArrayBuffer(count * rowElems * item);
    await readFully(this.handle, new Uint8Array(buffer), this.dataStart + e.begin + first * rowElems * item, this.path);
    return { dtype: e.dtype, shape: [count, ...e.shape.slice(1)], data: typedArrayFor(e.dtype, buffer, 0, count * rowElems) };
  }

  /**
   * readRowRange's bytes, read synchronously into `into` (at least count rows long): for hot loops
   * of small reads (shuffled training rows), where a promise and a buffer per read cost more than
   * the read itself. Returns the tensor's dtype so the caller can decode the bytes.
   */
  readRowRangeInto(name: string, first: number, count: number, into: Uint8Array): SafeDType {
    const e = this.entry(name);
    const n = e.shape[0];
    if (e.shape.length === 0 || n === undefined) throw new SafetensorsError(`tensor '${name}' in '${this.path}' is a scalar: it has no rows`);
    if (!(Number.isInteger(first) && Number.isInteger(count) && first >= 0 && count >= 0 && first + count <= n)) {
      throw new SafetensorsError(`rows [${first}, ${first + count}) are out of range for '${name}' with ${n} rows in '${this.path}'`);
    }
    const rowBytes = e.shape.slice(1).reduce((a, b) => a * b, 1) * DTYPES[e.dtype].itemSize;
    const length = count * rowBytes;
    if (into.length < length) throw new SafetensorsError(`internal: a ${into.length}-byte buffer cannot hold ${length} bytes of '${name}'`);
    const position = this.dataStart + e.begin + first * rowBytes;
    for (let done = 0; done < length; ) {
      const got = readSync(this.handle.fd, into, done, Math.min(length - done, 1 << 30), position + done);
      if (got === 0) throw new SafetensorsError(`unexpected end of file reading '${this.path}' at byte ${position + done} (file changed while open?)`);
      done += got;
    }
    return e.dtype;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private entry(name: string): HeaderEntry {
    const e = this.entries.get(name);
    if (e === undefined) {
      const some = this.names().slice(0, 8).join(', ');
      throw new SafetensorsError(`no tensor named '${name}' in '${this.path}' (it has ${this.entries.size}: ${some}${this.entries.size > 8 ? ', ...' : ''})`);
    }
    return e;
  }
}

/** Opens a safetensors file lazily; call `.close()` when done. */
export function openSafetensors(path: string): Promise<SafetensorsFile> {
  return SafetensorsFile.open(path);
}
