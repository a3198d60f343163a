/**
 * PLY point clouds: round trips in both formats, files as other tools write them (extra properties,
 * faces, float colours), and every malformed or hostile file refused with a message naming it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_PLY_POINTS, readPly, writePly } from '../../src/io/ply.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
};

const cloud = {
  positions: Float32Array.from([0, 0, 0, 1.5, -2.25, 3.1, -0.001, 1e-7, 12345.678]),
  colours: Float32Array.from([1, 0, 0, 0, 128 / 255, 1, 0.2, 0.4, 0.6]),
};

test('writePly -> readPly round trips positions exactly and colours to 1/255, in ascii and binary', () => {
  for (const format of ['ascii', 'binary_little_endian'] as const) {
    const back = readPly(writePly(cloud, format), `c.${format}.ply`);
    assert.deepEqual(back.positions, cloud.positions, format);
    assert.equal(back.source, `c.${format}.ply`);
    assert.ok(back.colours);
    for (let i = 0; i < 9; i++) assert.ok(Math.abs(back.colours[i]! - cloud.colours[i]!) <= 0.5 / 255, `${format} colour ${i}`);
    const plain = readPly(writePly({ positions: cloud.positions }, format));
    assert.deepEqual(plain.positions, cloud.positions);
    assert.equal(plain.colours, undefined, `${format}: no colours written, none read`);
  }
  // Binary: 15 bytes a point after the header.
  const bin = writePly(cloud, 'binary_little_endian');
  assert.equal(bin.length - new TextDecoder().decode(bin).indexOf('end_header\n') - 'end_header\n'.length, 3 * 15);
  assert.throws(() => writePly({ positions: Float32Array.from([0, NaN, 0]) }, 'ascii'), /position value 1 is NaN/);
});

test('an ascii file as other tools write it: comments, an element before the vertices, extra properties, faces after', () => {
  const file = [
    'ply',
    'format ascii 1.0',
    'comment made by hand',
    'obj_info scanner v2',
    'element camera 1',
    'property float fx',
    'property list uchar int tags',
    'element vertex 3',
    'property double x',
    'property float nx',
    'property float y',
    'property int z',
    'property uchar red',
    'property uchar green',
    'property uchar blue',
    'property uchar alpha',
    'element face 1',
    'property list uchar int vertex_indices',
    'end_header',
    '500 2 7 8',
    '0.5 0 1.25 -3 255 0 0 255',
    '  -1e-2   1 2.5e1 4 0 255 0 128  ',
    '3 0 0 0 0 0 51 0',
    '3 0 1 2',
    '',
  ].join('\r\n');
  const c = readPly(enc(file), 'hand.ply');
  assert.deepEqual(Array.from(c.positions), [0.5, 1.25, -3, -0.01, 25, 4, 3, 0, 0].map(Math.fround));
  assert.deepEqual(Array.from(c.colours!), [1, 0, 0, 0, 1, 0, 0, 0, 0.2].map(Math.fround));
});

test('colours: ushort divides by 65535, float is taken as 0..1, and float outside 0..1 is refused', () => {
  const head = (type: string): string =>
    `ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nproperty ${type} red\nproperty ${type} green\nproperty ${type} blue\nend_header\n`;
  assert.deepEqual(Array.from(readPly(enc(`${head('ushort')}0 0 0 65535 0 13107\n`)).colours!), [1, 0, 0.2].map(Math.fround));
  assert.deepEqual(Array.from(readPly(enc(`${head('float')}0 0 0 0.25 1 0\n`)).colours!), [0.25, 1, 0]);
  assert.throws(
    () => readPly(enc(`${head('float')}0 0 0 0.25 128 0\n`), 'f.ply'),
    /^Error: f\.ply: line 11 \(vertex 0\): green is 128, outside 0\.\.1; float colours/,
  );
  assert.throws(() => readPly(enc(`${head('uchar')}0 0 0 1 256 0\n`), 'u.ply'), /u\.ply: line 11 \(vertex 0\): green is 256, outside 0\.\.255/);
  assert.throws(() => readPly(enc(`${head('int')}0 0 0 1 2 0\n`)), /colours of type int32 are not understood; use uchar/);
});

/** A binary little-endian file of `rows` rows of x y z float (12 bytes each), declaring `count`. */
function binary(count: number, rows: number): Uint8Array {
  const head = enc(`ply\nformat binary_little_endian 1.0\nelement vertex ${count}\nproperty float x\nproperty float y\nproperty float z\nend_header\n`);
  const body = new Float32Array(rows * 3).map((_, i) => i);
  return cat(head, new Uint8Array(body.buffer));
}

test('hostile and malformed files are refused by name, fast, without allocating for what they declare', () => {
  // 2 million points declared in a 120-byte file: refused on the byte count, in well under a millisecond per MB.
  const started = performance.now();
  assert.throws(
    () => readPly(binary(MAX_PLY_POINTS, 1), 'huge.ply'),
    /huge\.ply: truncated: the header declares 2000000 vertices of 12 bytes, but the file holds only 1 complete rows/,
  );
  assert.throws(
    () =>
      readPly(
        enc(`ply\nformat ascii 1.0\nelement vertex ${MAX_PLY_POINTS}\nproperty float x\nproperty float y\nproperty float z\nend_header\n1 2 3\n`),
        'huge.txt.ply',
      ),
    /huge\.txt\.ply: truncated: the header declares 2000000 rows, but the body has only 1 lines/,
  );
  assert.throws(() => readPly(binary(MAX_PLY_POINTS + 1, 0), 'over.ply'), /declares 2000001 vertices, more than the 2000000 accepted; subsample/);
  assert.ok(performance.now() - started < 200, 'hostile counts fail at once');

  const cases: [Uint8Array, RegExp][] = [
    [
      binary(4, 3).subarray(0, binary(4, 3).length - 5),
      /t\.ply: truncated: the header declares 4 vertices of 12 bytes, but the file holds only 2 complete rows/,
    ],
    [enc(''), /t\.ply: the file is empty/],
    [enc('PK\u0003\u0004 not a ply'), /does not start with the line 'ply'.*not a PLY file/],
    [enc('ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\n'), /the header never ends \(no 'end_header' line\)/],
    [cat(enc('ply\nformat ascii 1.0\n'), enc(`comment ${'x'.repeat(70000)}\n`)), /no 'end_header' line in the first 65536 bytes/],
    [
      enc('ply\nformat binary_big_endian 1.0\nelement vertex 1\nproperty float x\nend_header\n'),
      /header line 2: binary_big_endian PLY is not supported; convert it to binary_little_endian or ascii/,
    ],
    [enc('ply\nformat ascii 2.0\nend_header\n'), /header line 2: format version '2\.0' is not 1\.0/],
    [enc('ply\nformat ascii 1.0\nelement vertex -4\nend_header\n'), /header line 3: expected 'element NAME COUNT' with a whole COUNT/],
    [enc('ply\nformat ascii 1.0\nelement vertex 1\nproperty float128 x\nend_header\n'), /header line 4: unknown property type 'float128'/],
    [
      enc('ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nend_header\n1 2\n'),
      /element vertex \(header line 3\): has no z property; points need x, y and z/,
    ],
    [
      enc('ply\nformat ascii 1.0\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n3 0 1 2\n'),
      /declares no 'element vertex N' \(elements: face\)/,
    ],
    [
      enc('ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nproperty list uchar int n\nend_header\n'),
      /property 'n' is a list; vertex properties must be single values/,
    ],
    [enc('ply\nformat ascii 1.0\nelement vertex 0\nproperty float x\nproperty float y\nproperty float z\nend_header\n'), /the vertex element has 0 points/],
    [
      enc('ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nproperty uchar red\nend_header\n0 0 0 1\n'),
      /has red but not all of red, green and blue/,
    ],
    [
      enc('ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\nproperty float z\nend_header\n1 2 3\n1 nan 3\n'),
      /t\.ply: line 9 \(vertex 1\): y is NaN; coordinates must be finite/,
    ],
    [
      enc('ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nend_header\n1 1e39 3\n'),
      /line 8 \(vertex 0\): y is 1e\+39 \(beyond float32\)/,
    ],
    [
      enc('ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nend_header\n1 0x10 3\n'),
      /line 8 \(vertex 0\): y is "0x10", not a number/,
    ],
    [
      enc('ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nproperty float nx\nend_header\n1 2 3 junk\n'),
      /line 9 \(vertex 0\): nx is "junk", not a number/,
    ],
    [
      enc('ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nend_header\n1 2\n'),
      /line 8 \(vertex 0\): expected 3 values \(x y z\), got 2/,
    ],
    [
      enc('ply\nformat ascii 1.0\nelement vertex 1\nproperty int x\nproperty float y\nproperty float z\nend_header\n1.5 2 3\n'),
      /x is "1\.5", not an integer \(int32\)/,
    ],
    [
      enc(
        'ply\nformat binary_little_endian 1.0\nelement face 1\nproperty list uchar int i\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nend_header\n',
      ),
      /element 'face' comes before the vertices and has the list property 'i'/,
    ],
    [
      enc('ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float x\nend_header\n'),
      /header line 5: property 'x' of element 'vertex' is declared twice/,
    ],
    [enc('ply\nformat ascii 1.0\nvertex 1\nend_header\n'), /header line 3: unknown header line "vertex 1"/],
  ];
  // A byte outside ASCII in an ascii body is junk in its token.
  cases.push([
    cat(enc('ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nend_header\n1 2 3'), Uint8Array.of(0xe9, 0x0a)),
    /line 8 \(vertex 0\): z is "3\uFFFD", not a number/,
  ]);
  for (const [bytes, re] of cases) assert.throws(() => readPly(bytes, 't.ply'), re, re.source);
  // NaN and Infinity in binary floats, named by row.
  const nan = binary(2, 2);
  new DataView(nan.buffer).setFloat32(nan.length - 8, Number.POSITIVE_INFINITY, true);
  assert.throws(() => readPly(nan, 'inf.ply'), /inf\.ply: vertex 1: y is Infinity; coordinates must be finite/);
});

test('the binary reader skips fixed-size elements before the vertices and reads typed properties', () => {
  const head = enc(
    'ply\nformat binary_little_endian 1.0\nelement meta 2\nproperty short a\nproperty double b\nelement vertex 2\nproperty uchar flag\nproperty double x\nproperty int16 y\nproperty float32 z\nproperty uint16 red\nproperty uint16 green\nproperty uint16 blue\nend_header\n',
  );
  const body = new Uint8Array(2 * 10 + 2 * 21);
  const v = new DataView(body.buffer);
  v.setInt16(0, 7, true); // the meta rows are junk to the reader: skipped by size
  const row = (at: number, x: number, y: number, z: number, rgb: number[]): void => {
    v.setUint8(at, 9);
    v.setFloat64(at + 1, x, true);
    v.setInt16(at + 9, y, true);
    v.setFloat32(at + 11, z, true);
    rgb.forEach((c, k) => v.setUint16(at + 15 + 2 * k, c, true));
  };
  row(20, -2.5, -300, 0.25, [65535, 0, 0]);
  row(41, 1e3, 7, -1, [0, 65535, 32768]);
  const c = readPly(cat(head, body), 'typed.ply');
  assert.deepEqual(Array.from(c.positions), [-2.5, -300, 0.25, 1000, 7, -1]);
  assert.deepEqual(Array.from(c.colours!), [1, 0, 0, 0, 1, 32768 / 65535].map(Math.fround));
});
