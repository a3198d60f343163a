import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { float32ToFloat16, roundToBfloat16, roundToFloat16 } from '../../src/io/half.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  openSafetensors,
  readSafetensors,
  SafetensorsError,
  type TensorToWrite,
  writeSafetensors,
} from '../../src/io/safetensors.js';
import { Rng } from '../../src/util/rng.js';

const ascii = (s: string): number[] => [...Buffer.from(s, 'utf8')];
const u64le = (n: number): number[] => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >> 24) & 0xff, 0, 0, 0, 0];

test('exact bytes of a one-tensor file, from the spec by hand (64-byte header needs no padding)', () => {
  const bytes = encodeSafetensors({ 'attn.0': { dtype: 'F32', shape: [1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) } });
  const json = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
  assert.equal(json.length, 64);
  // little-endian float32: 1 = 3f800000, 2 = 40000000, 3 = 40400000, 4 = 40800000, 5 = 40a00000
  const data = [0, 0, 0, 0, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40, 0, 0, 0xa0, 0x40];
  assert.deepEqual([...bytes], [...u64le(64), ...ascii(json), ...data]);
});

test('header is space-padded to a multiple of 8 and counted in the length prefix', () => {
  const bytes = encodeSafetensors({ attn0: { dtype: 'F32', shape: [1, 1, 2, 3], data: new Float32Array(6) } });
  const json = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}';
  assert.equal(json.length, 65);
  assert.deepEqual([...bytes.subarray(0, 8 + 72)], [...u64le(72), ...ascii(json), ...ascii('       ')]);
  assert.equal(bytes.length, 8 + 72 + 24);
  assert.deepEqual([...encodeSafetensors({})], [...u64le(8), ...ascii('{}      ')]);
});

test('tensors are laid out by descending dtype alignment then name; __metadata__ comes first', () => {
  const tensors: Record<string, TensorToWrite> = {
    b: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) },
    a: { dtype: 'F16', shape: [1], data: new Float32Array([1]) },
    c: { dtype: 'I64', shape: [1], data: new BigInt64Array([-1n]) },
    d: { dtype: 'F32', shape: [], data: new Float32Array([0.5]) },
    e: { dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) },
    Z: { dtype: 'BF16', shape: [1], data: new Uint16Array([0x3f80]) },
  };
  const json =
    '{"__metadata__":{"format":"pt"},' +
    '"c":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},' +
    '"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},' +
    '"d":{"dtype":"F32","shape":[],"data_offsets":[16,20]},' +
    '"Z":{"dtype":"BF16","shape":[1],"data_offsets":[20,22]},' +
    '"a":{"dtype":"F16","shape":[1],"data_offsets":[22,24]},' +
    '"e":{"dtype":"BOOL","shape":[2],"data_offsets":[24,26]}}';
  const pad = (8 - (json.length % 8)) % 8;
  const data = [...Array(8).fill(0xff), 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0, 0x3f, 0x80, 0x3f, 0x00, 0x3c, 1, 0];
  const bytes = encodeSafetensors(tensors, { format: 'pt' });
  assert.deepEqual([...bytes], [...u64le(json.length + pad), ...ascii(json), ...ascii(' '.repeat(pad)), ...data]);
  const back = decodeSafetensors(bytes);
  assert.deepEqual(back.metadata, { format: 'pt' });
  assert.deepEqual([...back.tensors.keys()], ['c', 'b', 'd', 'Z', 'a', 'e']);
  assert.deepEqual([...(back.tensors.get('a')!.data as Uint16Array)], [0x3c00]);
});

test('round trip of every dtype through a file, whole and lazily', async () => {
  const rng = new Rng(11);
  const normals = (n: number): Float32Array => rng.fillNormal(new Float32Array(n));
  const f32 = normals(12);
  const f16src = normals(6);
  const bf16src = normals(5);
  const tensors: Record<string, TensorToWrite> = {
    'enc.w': { dtype: 'F32', shape: [3, 4], data: f32 },
    'enc.h': { dtype: 'F16', shape: [2, 3], data: f16src },
    'enc.h_bits': { dtype: 'F16', shape: [2], data: new Uint16Array([0x3c00, 0xfc00]) },
    'enc.bf': { dtype: 'BF16', shape: [5], data: bf16src },
    'enc.d': { dtype: 'F64', shape: [2], data: new Float64Array([Math.PI, -1e300]) },
    'enc.i64': { dtype: 'I64', shape: [3], data: new BigInt64Array([0n, -(2n ** 62n), 2n ** 40n]) },
    'enc.i32': { dtype: 'I32', shape: [2], data: new Int32Array([-5, 2 ** 31 - 1]) },
    'enc.i8': { dtype: 'I8', shape: [2], data: new Int8Array([-128, 127]) },
    'enc.u8': { dtype: 'U8', shape: [2], data: new Uint8Array([0, 255]) },
    'enc.flag': { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
    'enc.empty': { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
    'unicodé ✓': { dtype: 'F32', shape: [1], data: new Float32Array([7]) },
  };
  const dir = await mkdtemp(path.join(tmpdir(), 'gluegen-st-'));
  try {
    const file = path.join(dir, 'sub', 'm.safetensors');
    await writeSafetensors(file, tensors, { note: 'hi' });
    assert.deepEqual(new Uint8Array(await readFile(file)), encodeSafetensors(tensors, { note: 'hi' }));
    const { tensors: back, metadata } = await readSafetensors(file);
    assert.deepEqual(metadata, { note: 'hi' });
    assert.equal(back.size, Object.keys(tensors).length);
    for (const [name, t] of Object.entries(tensors)) {
      const got = back.get(name)!;
      assert.equal(got.dtype, t.dtype, name);
      assert.deepEqual(got.shape, [...t.shape], name);
      if (t.data instanceof Float32Array && t.dtype === 'F16') assert.deepEqual([...got.data], [...float32ToFloat16(t.data)], name);
      else if (!(t.data instanceof Float32Array && t.dtype === 'BF16')) assert.deepEqual(got.data, t.data, name);
    }
    const lazy = await openSafetensors(file);
    try {
      assert.deepEqual(lazy.metadata, { note: 'hi' });
      assert.deepEqual(lazy.info('enc.w'), { dtype: 'F32', shape: [3, 4], byteLength: 48 });
      assert.deepEqual(await lazy.readFloat32('enc.w'), f32);
      assert.deepEqual([...(await lazy.readFloat32('enc.h'))], [...f16src].map(roundToFloat16));
      assert.deepEqual([...(await lazy.readFloat32('enc.bf'))], [...bf16src].map(roundToBfloat16));
      assert.deepEqual([...(await lazy.readFloat32('enc.d'))], [Math.fround(Math.PI), -Infinity]);
      assert.deepEqual((await lazy.read('enc.i64')).data, tensors['enc.i64']!.data);
      await assert.rejects(lazy.readFloat32('enc.i32'), /dtype I32.*floating/);
      await assert.rejects(
        lazy.read('missing'),
        (e: Error) => e instanceof SafetensorsError && e.message.includes(file) && /no tensor named 'missing'/.test(e.message),
      );
    } finally {
      await lazy.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** A file with the given header text (or bytes) and data section; `declared` overrides the length prefix. */
function craft(header: string | Uint8Array, dataBytes = 0, declared?: bigint): Uint8Array {
  const h = typeof header === 'string' ? Buffer.from(header, 'utf8') : header;
  const out = new Uint8Array(8 + h.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, declared ?? BigInt(h.length), true);
  out.set(h, 8);
  return out;
}

const entry = (dtype: string, shape: unknown, offsets: unknown): string => JSON.stringify({ dtype, shape, data_offsets: offsets });

test('crafted headers: the control case decodes', () => {
  const t = decodeSafetensors(craft(`{"x":${entry('F32', [2], [0, 8])}}`, 8), 'crafted.safetensors');
  assert.deepEqual([...t.tensors.get('x')!.data], [0, 0]);
});

test('crafted bad files are rejected with SafetensorsError naming the file and the problem', () => {
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['too short', new Uint8Array(5), /too short/],
    ['header length past the end', craft('{}', 0, 1000n), /runs past the end/],
    ['absurd header length', craft('{}', 0, 2n ** 40n), /exceeds the 100000000-byte limit/],
    ['invalid JSON', craft('{"x":'), /not valid JSON/],
    ['invalid UTF-8', craft(new Uint8Array([0x7b, 0xff, 0x7d])), /UTF-8/],
    ['header is an array', craft('[1,2]'), /must be a JSON object, got an array/],
    ['header is a number', craft('42'), /must be a JSON object/],
    ['entry not an object', craft('{"x":3}'), /entry 'x' must be an object/],
    ['missing field', craft(`{"x":{"dtype":"F32","shape":[2]}}`, 8), /missing "data_offsets"/],
    ['unknown dtype', craft(`{"x":${entry('F8_E4M3', [2], [0, 2])}}`, 2), /unsupported dtype "F8_E4M3"/],
    ['negative shape', craft(`{"x":${entry('F32', [-2], [0, 8])}}`, 8), /shape \[-2\]/],
    ['fractional shape', craft(`{"x":${entry('F32', [1.5], [0, 8])}}`, 8), /shape \[1.5\]/],
    ['string shape', craft(`{"x":${entry('F32', ['2'], [0, 8])}}`, 8), /shape \["2"\]/],
    ['overflowing shape', craft(`{"x":${entry('F32', [1e15, 1e15], [0, 8])}}`, 8), /shape/],
    ['non-integer offsets', craft(`{"x":${entry('F32', [2], [0, 8.5])}}`, 8), /data_offsets \[0,8.5\]/],
    ['offsets out of range', craft(`{"x":${entry('F32', [4], [0, 16])}}`, 8), /run past the 8-byte data section/],
    ['reversed offsets', craft(`{"x":${entry('F32', [2], [8, 0])}}`, 8), /reversed/],
    ['byte size mismatch', craft(`{"x":${entry('F32', [3], [0, 8])}}`, 8), /needs 12 bytes but data_offsets \[0, 8\] span 8/],
    ['overlap', craft(`{"x":${entry('F32', [2], [0, 8])},"y":${entry('F32', [2], [4, 12])}}`, 12), /overlap/],
    ['gap', craft(`{"x":${entry('F32', [2], [0, 8])},"y":${entry('F32', [2], [12, 20])}}`, 20), /gap after byte 8/],
    ['gap at start', craft(`{"x":${entry('F32', [2], [4, 12])}}`, 12), /gap after byte 0/],
    ['trailing bytes', craft(`{"x":${entry('F32', [2], [0, 8])}}`, 12), /trailing/],
    ['duplicate names', craft(`{"x":${entry('F32', [2], [0, 8])}, "x" :${entry('F32', [2], [0, 8])}}`, 8), /names 'x' more than once/],
    ['metadata not strings', craft('{"__metadata__":{"a":1}}'), /value 'a' must be a string/],
    ['metadata not an object', craft('{"__metadata__":"x"}'), /must be an object of strings/],
  ];
  for (const [label, bytes, pattern] of cases) {
    assert.throws(
      () => decodeSafetensors(bytes, 'crafted.safetensors'),
      (e: Error) => e instanceof SafetensorsError && e.message.includes("'crafted.safetensors'") && pattern.test(e.message),
      label,
    );
  }
  // Escaped quotes and nested braces inside names do not confuse the duplicate scan.
  const tricky = decodeSafetensors(craft(`{"a\\"}{":${entry('U8', [1], [0, 1])},"b":${entry('U8', [1], [1, 2])}}`, 2));
  assert.deepEqual([...tricky.tensors.keys()], ['a"}{', 'b']);
});

test('bad files on disk are rejected by readSafetensors and openSafetensors with the path', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'gluegen-st-'));
  try {
    const file = path.join(dir, 'bad.safetensors');
    await writeFile(file, craft(`{"x":${entry('F32', [4], [0, 16])}}`, 8));
    const named = (e: Error): boolean => e instanceof SafetensorsError && e.message.includes(file) && /run past/.test(e.message);
    await assert.rejects(readSafetensors(file), named);
    await assert.rejects(openSafetensors(file), named);
    await writeFile(file, craft('{}', 0, 2n ** 62n));
    await assert.rejects(openSafetensors(file), /exceeds/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('writing checks names, dtypes, data types, lengths and BOOL values', () => {
  const f = (t: TensorToWrite): Record<string, TensorToWrite> => ({ x: t });
  assert.throws(() => encodeSafetensors({ __metadata__: { dtype: 'F32', shape: [1], data: new Float32Array(1) } }), /reserved/);
  assert.throws(() => encodeSafetensors(f({ dtype: 'F32', shape: [3], data: new Float32Array(2) })), /3 elements\) but 2 data elements/);
  assert.throws(() => encodeSafetensors(f({ dtype: 'I64', shape: [1], data: new Int32Array(1) })), /dtype I64 but data of type Int32Array/);
  assert.throws(() => encodeSafetensors(f({ dtype: 'F8' as 'F32', shape: [1], data: new Float32Array(1) })), /unknown dtype "F8"/);
  assert.throws(() => encodeSafetensors(f({ dtype: 'F32', shape: [-1], data: new Float32Array(0) })), /non-negative integers/);
  assert.throws(() => encodeSafetensors(f({ dtype: 'BOOL', shape: [1], data: new Uint8Array([2]) })), /other than 0 and 1/);
  assert.throws(() => encodeSafetensors({}, { n: 3 as unknown as string }), /must be strings/);
});
