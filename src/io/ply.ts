/**
 * PLY point clouds (Stanford polygon format, version 1.0) in and out: the vertex element's x y z
 * and optional red green blue. ASCII and binary little-endian are read; binary big-endian is refused
 * with the command that converts it. Other vertex properties (normals, alpha, ...) are skipped by
 * size, elements before the vertices are skipped, and those after them (faces) are ignored.
 *
 * Files come from users and uploads, so every count is checked against the bytes present before
 * anything is allocated, and every error names the file, the line or row and what is wrong.
 */
import type { PointCloud } from '../encoders/types.js';

/** Most points a file may declare (about 30 MB of float32 positions and colours). */
export const MAX_PLY_POINTS = 2_000_000;
/** Longest header: real headers are a few hundred bytes; this bounds the search for end_header. */
export const MAX_PLY_HEADER_BYTES = 64 * 1024;

type ScalarType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

/** Both spellings the PLY specification and common writers use, to one name. */
const TYPE_NAMES: Record<string, ScalarType> = {
  char: 'int8',
  int8: 'int8',
  uchar: 'uint8',
  uint8: 'uint8',
  short: 'int16',
  int16: 'int16',
  ushort: 'uint16',
  uint16: 'uint16',
  int: 'int32',
  int32: 'int32',
  uint: 'uint32',
  uint32: 'uint32',
  float: 'float32',
  float32: 'float32',
  double: 'float64',
  float64: 'float64',
};

const TYPE_SIZE: Record<ScalarType, number> = { int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4, float64: 8 };

interface Property {
  name: string;
  type: ScalarType;
  /** For list properties: the type of the leading count. */
  countType?: ScalarType;
}

interface Element {
  name: string;
  count: number;
  properties: Property[];
  /** Header line (1-based) that declared it, for messages. */
  line: number;
}

interface Header {
  format: 'ascii' | 'binary_little_endian';
  elements: Element[];
  /** Byte offset of the body (just after the end_header line). */
  bodyStart: number;
  /** Lines in the header, so ascii body rows can be named by file line. */
  lines: number;
}

const COLOURS = ['red', 'green', 'blue'] as const;

/** Reads a PLY file's vertices as a point cloud; `source` names the file in errors. */
export function readPly(bytes: Uint8Array, source = 'PLY'): PointCloud {
  if (!(bytes instanceof Uint8Array)) throw new Error(`${source}: expected the PLY file's bytes (Uint8Array), got ${bytes === null ? 'null' : typeof bytes}`);
  const fail = (message: string): never => {
    throw new Error(`${source}: ${message}`);
  };
  const header = parseHeader(bytes, fail);
  const at = header.elements.findIndex((e) => e.name === 'vertex');
  if (at < 0)
    fail(
      `the header declares no 'element vertex N' (elements: ${header.elements.map((e) => e.name).join(', ') || 'none'}); a point cloud's points are its vertices`,
    );
  const vertex = header.elements[at]!;
  const layout = vertexLayout(vertex, fail);
  if (vertex.count === 0) fail('the vertex element has 0 points; a point cloud needs at least one');
  if (vertex.count > MAX_PLY_POINTS) fail(`the header declares ${vertex.count} vertices, more than the ${MAX_PLY_POINTS} accepted; subsample the cloud first`);
  const before = header.elements.slice(0, at);
  return header.format === 'ascii'
    ? readAscii(bytes, header, before, vertex, layout, source, fail)
    : readBinary(bytes, header, before, vertex, layout, source, fail);
}

function parseHeader(bytes: Uint8Array, fail: (m: string) => never): Header {
  const head = latin1(bytes.subarray(0, Math.min(bytes.length, MAX_PLY_HEADER_BYTES)));
  if (!/^ply\r?\n/.test(head)) {
    fail(
      bytes.length === 0 ? 'the file is empty' : `does not start with the line 'ply' (starts with ${JSON.stringify(head.slice(0, 16))}); it is not a PLY file`,
    );
  }
  const end = /(^|\n)end_header[ \t]*\r?\n/.exec(head);
  if (!end) {
    fail(
      bytes.length > MAX_PLY_HEADER_BYTES
        ? `no 'end_header' line in the first ${MAX_PLY_HEADER_BYTES} bytes; the header is too long or the file is not a PLY file`
        : "the header never ends (no 'end_header' line); the file is truncated or not a PLY file",
    );
  }
  const match = end as RegExpExecArray;
  const bodyStart = match.index + match[0].length;
  const lines = head.slice(0, bodyStart).split('\n');
  lines.pop(); // the empty piece after the last newline
  let format: Header['format'] | null = null;
  const elements: Element[] = [];
  const names = new Set<string>();
  for (let i = 1; i < lines.length - 1; i++) {
    const lineNo = i + 1;
    const words = lines[i]!.trim().split(/\s+/);
    const where = `header line ${lineNo}`;
    switch (words[0]) {
      case '':
      case 'comment':
      case 'obj_info':
        break;
      case 'format': {
        if (format !== null) fail(`${where}: a second 'format' line`);
        const [, kind, version] = words;
        if (kind === 'binary_big_endian')
          fail(
            `${where}: binary_big_endian PLY is not supported; convert it to binary_little_endian or ascii first (e.g. save it again from MeshLab or CloudCompare, or in Python with plyfile: PlyData(PlyData.read(src).elements, byte_order='<').write(dst))`,
          );
        if (kind !== 'ascii' && kind !== 'binary_little_endian') fail(`${where}: unknown format '${kind ?? ''}'; expected ascii or binary_little_endian`);
        if (version !== '1.0') fail(`${where}: format version '${version ?? ''}' is not 1.0`);
        format = kind as Header['format'];
        break;
      }
      case 'element': {
        if (format === null) fail(`${where}: 'element' before the 'format' line`);
        const [, name, count] = words;
        if (!name || count === undefined || words.length !== 3 || !/^\d{1,15}$/.test(count))
          fail(`${where}: expected 'element NAME COUNT' with a whole COUNT, got ${JSON.stringify(lines[i]!.trim().slice(0, 80))}`);
        if (names.has(name!)) fail(`${where}: element '${name}' is declared twice`);
        names.add(name!);
        elements.push({ name: name!, count: Number(count), properties: [], line: lineNo });
        break;
      }
      case 'property': {
        const element = elements.at(-1);
        if (!element) fail(`${where}: 'property' before any 'element'`);
        const list = words[1] === 'list';
        const [typeName, countTypeName, name] = list ? [words[3], words[2], words[4]] : [words[1], undefined, words[2]];
        if (!name || words.length !== (list ? 5 : 3))
          fail(`${where}: expected 'property TYPE NAME' or 'property list COUNT_TYPE TYPE NAME', got ${JSON.stringify(lines[i]!.trim().slice(0, 80))}`);
        const type = TYPE_NAMES[typeName!];
        if (!type) fail(`${where}: unknown property type '${typeName}'; expected one of ${Object.keys(TYPE_NAMES).join(', ')}`);
        const countType = countTypeName === undefined ? undefined : TYPE_NAMES[countTypeName];
        if (list && (countType === undefined || countType.startsWith('float'))) fail(`${where}: list count type '${countTypeName}' must be an integer type`);
        if (element!.properties.some((p) => p.name === name)) fail(`${where}: property '${name}' of element '${element!.name}' is declared twice`);
        element!.properties.push({ name: name!, type: type!, ...(countType ? { countType } : {}) });
        break;
      }
      default:
        fail(`${where}: unknown header line ${JSON.stringify(lines[i]!.trim().slice(0, 80))}; expected format, element, property, comment or obj_info`);
    }
  }
  if (format === null) fail("the header has no 'format' line (format ascii 1.0 or format binary_little_endian 1.0)");
  return { format: format!, elements, bodyStart, lines: lines.length };
}

/** Where x y z and the colours sit in a vertex row, and how colours are scaled to [0, 1]. */
interface VertexLayout {
  xyz: [number, number, number];
  rgb: [number, number, number] | null;
  /** Divides stored colour values: 255 (uchar), 65535 (ushort) or 1 (float, already 0..1). */
  colourScale: number;
}

function vertexLayout(vertex: Element, fail: (m: string) => never): VertexLayout {
  const where = `element vertex (header line ${vertex.line})`;
  const list = vertex.properties.find((p) => p.countType !== undefined);
  if (list) fail(`${where}: property '${list.name}' is a list; vertex properties must be single values (x y z [red green blue] ...)`);
  const index = (name: string): number => vertex.properties.findIndex((p) => p.name === name);
  const xyz = (['x', 'y', 'z'] as const).map(index) as [number, number, number];
  const missing = ['x', 'y', 'z'].filter((_, k) => xyz[k]! < 0);
  if (missing.length) fail(`${where}: has no ${missing.join(', ')} propert${missing.length > 1 ? 'ies' : 'y'}; points need x, y and z`);
  const rgb = COLOURS.map(index) as [number, number, number];
  const present = COLOURS.filter((_, k) => rgb[k]! >= 0);
  if (present.length === 0) return { xyz, rgb: null, colourScale: 1 };
  if (present.length < 3) fail(`${where}: has ${present.join(', ')} but not all of red, green and blue; give all three or none`);
  const types = new Set(rgb.map((k) => vertex.properties[k]!.type));
  if (types.size !== 1) fail(`${where}: red, green and blue have different types (${[...types].join(', ')}); give them one type`);
  const type = [...types][0]!;
  const colourScale = type === 'uint8' ? 255 : type === 'uint16' ? 65535 : type.startsWith('float') ? 1 : 0;
  if (colourScale === 0) fail(`${where}: colours of type ${type} are not understood; use uchar (0..255), ushort (0..65535) or float (0..1)`);
  return { xyz, rgb, colourScale };
}

function readBinary(
  bytes: Uint8Array,
  header: Header,
  before: Element[],
  vertex: Element,
  layout: VertexLayout,
  source: string,
  fail: (m: string) => never,
): PointCloud {
  let offset = header.bodyStart;
  for (const e of before) {
    const list = e.properties.find((p) => p.countType !== undefined);
    if (list)
      fail(
        `element '${e.name}' comes before the vertices and has the list property '${list.name}', which binary files cannot skip without reading; write the vertex element first`,
      );
    const size = e.properties.reduce((s, p) => s + TYPE_SIZE[p.type], 0) * e.count;
    if (offset + size > bytes.length)
      fail(`truncated: element '${e.name}' needs ${size} bytes at byte ${offset}, but the file has ${bytes.length - offset} left`);
    offset += size;
  }
  const offsets: number[] = [];
  let rowSize = 0;
  for (const p of vertex.properties) {
    offsets.push(rowSize);
    rowSize += TYPE_SIZE[p.type];
  }
  // Checked before allocating: a tiny file cannot make us reserve memory for millions of points.
  if (offset + vertex.count * rowSize > bytes.length) {
    const rows = Math.floor((bytes.length - offset) / rowSize);
    fail(`truncated: the header declares ${vertex.count} vertices of ${rowSize} bytes, but the file holds only ${rows} complete rows after byte ${offset}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = (at: number, type: ScalarType): number => {
    switch (type) {
      case 'int8':
        return view.getInt8(at);
      case 'uint8':
        return view.getUint8(at);
      case 'int16':
        return view.getInt16(at, true);
      case 'uint16':
        return view.getUint16(at, true);
      case 'int32':
        return view.getInt32(at, true);
      case 'uint32':
        return view.getUint32(at, true);
      case 'float32':
        return view.getFloat32(at, true);
      case 'float64':
        return view.getFloat64(at, true);
    }
  };
  const n = vertex.count;
  const positions = new Float32Array(n * 3);
  const colours = layout.rgb ? new Float32Array(n * 3) : null;
  const props = vertex.properties;
  const where = (i: number): string => `vertex ${i}`;
  for (let i = 0; i < n; i++) {
    const row = offset + i * rowSize;
    storeVertex(i, (p) => read(row + offsets[p]!, props[p]!.type), layout, props, positions, colours, where, fail);
  }
  return { positions, ...(colours ? { colours } : {}), source };
}

function readAscii(
  bytes: Uint8Array,
  header: Header,
  before: Element[],
  vertex: Element,
  layout: VertexLayout,
  source: string,
  fail: (m: string) => never,
): PointCloud {
  // One row per line in ascii PLY, lists included: elements before the vertices skip by lines.
  const skip = before.reduce((s, e) => s + e.count, 0);
  const needed = skip + vertex.count;
  // Counted before allocating or decoding: a tiny file cannot declare millions of rows.
  let newlines = 0;
  for (let i = header.bodyStart; i < bytes.length && newlines < needed; i++) if (bytes[i] === 0x0a) newlines++;
  const lastLine = bytes.length > header.bodyStart && bytes[bytes.length - 1] !== 0x0a ? 1 : 0;
  if (newlines + lastLine < needed) {
    fail(`truncated: the header declares ${needed} rows${skip ? ` (${skip} before the vertices)` : ''}, but the body has only ${newlines + lastLine} lines`);
  }
  // UTF-8 decoding is several times faster than latin1 here; an ascii body is plain ASCII, and any
  // other byte only ever lands in a token that is then refused as junk.
  const text = new TextDecoder('utf-8').decode(bytes.subarray(header.bodyStart));
  const n = vertex.count;
  const positions = new Float32Array(n * 3);
  const colours = layout.rgb ? new Float32Array(n * 3) : null;
  const props = vertex.properties;
  const floats = props.map((p) => p.type.startsWith('float'));
  const values = new Float64Array(props.length);
  // Built only for a message: a string per row would cost more than parsing it.
  const where = (i: number): string => `line ${header.lines + skip + i + 1} (vertex ${i})`;
  let at = 0;
  for (let s = 0; s < skip; s++) at = text.indexOf('\n', at) + 1;
  for (let i = 0; i < n; i++) {
    const next = text.indexOf('\n', at);
    const line = text.slice(at, next < 0 ? text.length : next);
    at = next + 1;
    const words = line.trim().split(/\s+/);
    if (words.length !== props.length || words[0] === '')
      fail(`${where(i)}: expected ${props.length} values (${props.map((p) => p.name).join(' ')}), got ${words[0] === '' ? 0 : words.length}`);
    // Every value is checked, skipped ones too: a junk token anywhere means a broken row.
    for (let k = 0; k < words.length; k++) {
      const v = asciiValue(words[k]!, floats[k]!);
      if (v === null)
        fail(`${where(i)}: ${props[k]!.name} is ${JSON.stringify(words[k]!.slice(0, 40))}, not ${floats[k] ? 'a number' : `an integer (${props[k]!.type})`}`);
      values[k] = v!;
    }
    storeVertex(i, (p) => values[p]!, layout, props, positions, colours, where, fail);
  }
  return { positions, ...(colours ? { colours } : {}), source };
}

/** Vertex i's position (and colour) from its property values by index, each checked. */
function storeVertex(
  i: number,
  value: (property: number) => number,
  layout: VertexLayout,
  props: Property[],
  positions: Float32Array,
  colours: Float32Array | null,
  where: (i: number) => string,
  fail: (m: string) => never,
): void {
  for (let k = 0; k < 3; k++) {
    const p = layout.xyz[k]!;
    positions[i * 3 + k] = checkCoordinate(value(p), props[p]!.name, i, where, fail);
  }
  if (!colours) return;
  for (let k = 0; k < 3; k++) {
    const p = layout.rgb![k]!;
    colours[i * 3 + k] = checkColour(value(p), layout.colourScale, props[p]!.name, i, where, fail);
  }
}

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const SPECIAL = /^([+-]?)(nan|inf|infinity)$/i;

/** One ascii value (null: not a number of that kind); nan / inf parse, and are refused later where they matter. */
function asciiValue(word: string, float: boolean): number | null {
  if (!float) return INTEGER.test(word) ? Number(word) : null;
  if (DECIMAL.test(word)) return Number(word);
  const special = SPECIAL.exec(word);
  if (!special) return null;
  return special[2]!.toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
}

function checkCoordinate(v: number, name: string, i: number, where: (i: number) => string, fail: (m: string) => never): number {
  const f = Math.fround(v);
  if (!Number.isFinite(f)) fail(`${where(i)}: ${name} is ${v}${Number.isFinite(v) ? ' (beyond float32)' : ''}; coordinates must be finite numbers`);
  return f;
}

function checkColour(v: number, scale: number, name: string, i: number, where: (i: number) => string, fail: (m: string) => never): number {
  const max = scale === 1 ? 1 : scale;
  if (!(v >= 0 && v <= max)) {
    fail(
      `${where(i)}: ${name} is ${v}, outside 0..${max}${scale === 1 ? '; float colours are fractions of full intensity (divide 0..255 values by 255, or store them as uchar)' : ''}`,
    );
  }
  return v / scale;
}

/** Bytes as ISO-8859-1 text (every byte one character, so offsets in the text are offsets in the file). */
function latin1(bytes: Uint8Array): string {
  return new TextDecoder('latin1').decode(bytes);
}

/**
 * A point cloud as a PLY file: x y z as float, and red green blue as uchar (colours in [0, 1]
 * rounded to 0..255) when the cloud has colours.
 */
export function writePly(cloud: PointCloud, format: 'ascii' | 'binary_little_endian'): Uint8Array {
  const { positions, colours } = cloud;
  if (!(positions instanceof Float32Array) || positions.length % 3 !== 0)
    throw new Error(`writePly: positions must be a Float32Array of [N, 3] values, got ${positions?.length} values`);
  if (colours !== undefined && (!(colours instanceof Float32Array) || colours.length !== positions.length))
    throw new Error(`writePly: colours must be a Float32Array as long as positions (${positions.length}), got ${colours?.length}`);
  if (format !== 'ascii' && format !== 'binary_little_endian')
    throw new Error(`writePly: format '${String(format)}' is unknown; expected ascii or binary_little_endian`);
  const bad = positions.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new Error(`writePly: position value ${bad} is ${positions[bad]}; coordinates must be finite`);
  const n = positions.length / 3;
  const byte = (c: number): number => Math.round(Math.min(1, Math.max(0, c)) * 255);
  const header = [
    'ply',
    `format ${format} 1.0`,
    'comment written by gluegen',
    `element vertex ${n}`,
    'property float x',
    'property float y',
    'property float z',
    ...(colours ? ['property uchar red', 'property uchar green', 'property uchar blue'] : []),
    'end_header',
    '',
  ].join('\n');
  const head = new TextEncoder().encode(header);
  if (format === 'ascii') {
    const rows: string[] = [];
    for (let i = 0; i < n; i++) {
      const xyz = `${positions[i * 3]} ${positions[i * 3 + 1]} ${positions[i * 3 + 2]}`;
      rows.push(colours ? `${xyz} ${byte(colours[i * 3]!)} ${byte(colours[i * 3 + 1]!)} ${byte(colours[i * 3 + 2]!)}` : xyz);
    }
    const body = new TextEncoder().encode(rows.length ? `${rows.join('\n')}\n` : '');
    const out = new Uint8Array(head.length + body.length);
    out.set(head);
    out.set(body, head.length);
    return out;
  }
  const rowSize = colours ? 15 : 12;
  const out = new Uint8Array(head.length + n * rowSize);
  out.set(head);
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const row = head.length + i * rowSize;
    for (let k = 0; k < 3; k++) view.setFloat32(row + 4 * k, positions[i * 3 + k]!, true);
    if (colours) for (let k = 0; k < 3; k++) view.setUint8(row + 12 + k, byte(colours[i * 3 + k]!));
  }
  return out;
}
