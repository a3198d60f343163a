import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bfloat16ToFloat32,
  float16BitsToFloat32Bits,
  float16ToFloat32,
  float32Bits,
  float32BitsToBfloat16Bits,
  float32BitsToFloat16Bits,
  float32FromBits,
  float32ToBfloat16,
  float32ToFloat16,
  roundToBfloat16,
  roundToFloat16,
} from '../../src/io/half.js';
import { Rng } from '../../src/util/rng.js';

const toHalf = (x: number): number => float32BitsToFloat16Bits(float32Bits(x));
const fromHalf = (h: number): number => float32FromBits(float16BitsToFloat32Bits(h));
const toBf16 = (x: number): number => float32BitsToBfloat16Bits(float32Bits(x));

/** binary16 value from its fields, written straight from the IEEE 754 definition. */
function halfValueByDefinition(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0x1f) return m === 0 ? s * Infinity : NaN;
  if (e === 0) return s * 2 ** -14 * (m / 1024);
  return s * 2 ** (e - 15) * (1 + m / 1024);
}

test('float32 -> float16 bit patterns computed by hand', () => {
  const cases: Array<[number, number]> = [
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff], // largest half
    [65519, 0x7bff], // just below the halfway point to 65536
    [65520, 0x7c00], // halfway between 65504 and 65536: ties to even, i.e. infinity
    [1e6, 0x7c00],
    [-1e6, 0xfc00],
    [Math.fround(0.1), 0x2e66], // 0.0999755859375
    [Math.fround(1 / 3), 0x3555],
    [2 ** -14, 0x0400], // smallest normal
    [1023 * 2 ** -24, 0x03ff], // largest subnormal
    [2047 * 2 ** -25, 0x0400], // halfway between 0x03ff and 0x0400: even is 0x0400
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // halfway between 0 and 2^-24: ties to the even zero
    [1.5 * 2 ** -25, 0x0001],
    [3 * 2 ** -25, 0x0002], // 1.5 units: tie between 1 and 2 -> 2
    [5 * 2 ** -25, 0x0002], // 2.5 units: tie between 2 and 3 -> 2
    [1e-10, 0x0000],
    [-1e-10, 0x8000],
    [-0, 0x8000],
    [0, 0x0000],
    [1 + 2 ** -11, 0x3c00], // tie between 1 and 1+2^-10 -> even (1)
    [1 + 3 * 2 ** -11, 0x3c02], // tie between 0x3c01 and 0x3c02 -> even
    [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above the tie
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
  ];
  for (const [x, bits] of cases) assert.equal(toHalf(x), bits, `f16(${x}) = 0x${toHalf(x).toString(16)}, expected 0x${bits.toString(16)}`);
  const nan = toHalf(NaN);
  assert.equal(nan & 0x7c00, 0x7c00);
  assert.notEqual(nan & 0x3ff, 0);
  // A signalling NaN whose payload sits only in the low bits must not turn into infinity.
  const lowPayloadNan = float32BitsToFloat16Bits(0x7f800001);
  assert.equal(lowPayloadNan & 0x7c00, 0x7c00);
  assert.notEqual(lowPayloadNan & 0x3ff, 0);
});

test('every float16 bit pattern widens to its IEEE value and narrows back to itself', () => {
  for (let h = 0; h < 0x10000; h++) {
    const expected = halfValueByDefinition(h);
    const got = fromHalf(h);
    if (Number.isNaN(expected)) {
      assert.ok(Number.isNaN(got), `0x${h.toString(16)}`);
      continue;
    }
    assert.ok(Object.is(got, expected), `0x${h.toString(16)}: ${got} != ${expected}`);
    assert.equal(toHalf(got), h, `round trip of 0x${h.toString(16)}`);
  }
});

test('float32 -> float16 picks the nearest half, ties to even (random float32 values)', () => {
  const rng = new Rng(7);
  for (let i = 0; i < 20000; i++) {
    // Spread magnitudes over the whole half range, subnormals included.
    const x = Math.fround((rng.uniform() - 0.5) * 2 ** (rng.int(44) - 28));
    const h = toHalf(x);
    const v = fromHalf(h);
    if (!Number.isFinite(v)) {
      assert.ok(Math.abs(x) >= 65520, `${x} overflowed`);
      continue;
    }
    const err = Math.abs(v - x);
    const sign = h & 0x8000;
    const magnitude = h & 0x7fff;
    for (const m of [magnitude - 1, magnitude + 1]) {
      if (m < 0 || m >= 0x7c00) continue; // no neighbour across zero's sign or at infinity
      const nErr = Math.abs(fromHalf(sign | m) - x);
      assert.ok(err < nErr || (err === nErr && (h & 1) === 0), `${x}: got 0x${h.toString(16)} but 0x${(sign | m).toString(16)} is closer or the even tie`);
    }
  }
});

test('float32 <-> bfloat16 bit patterns computed by hand', () => {
  assert.equal(toBf16(1), 0x3f80);
  assert.equal(toBf16(-2), 0xc000);
  assert.equal(toBf16(3.140625), 0x4049);
  assert.equal(float32BitsToBfloat16Bits(0x3f808000), 0x3f80); // tie -> even
  assert.equal(float32BitsToBfloat16Bits(0x3f818000), 0x3f82); // tie -> even (up)
  assert.equal(float32BitsToBfloat16Bits(0x3f808001), 0x3f81); // above the tie
  assert.equal(float32BitsToBfloat16Bits(0x3f807fff), 0x3f80); // below the tie
  assert.equal(float32BitsToBfloat16Bits(0x7f7fffff), 0x7f80); // max float32 rounds to infinity
  assert.equal(float32BitsToBfloat16Bits(0x00000001), 0x0000); // tiny subnormal -> 0
  assert.equal(float32BitsToBfloat16Bits(0x00018000), 0x0002); // subnormal tie -> even
  assert.equal(toBf16(-0), 0x8000);
  assert.equal(toBf16(Infinity), 0x7f80);
  assert.equal(toBf16(-Infinity), 0xff80);
  assert.equal(float32BitsToBfloat16Bits(0x7f800001), 0x7fc0); // signalling NaN stays NaN
  assert.equal(float32BitsToBfloat16Bits(0xffc00000), 0xffc0);
  assert.equal(bfloat16ToFloat32(new Uint16Array([0x4049]))[0], 3.140625);
  assert.ok(Number.isNaN(bfloat16ToFloat32(new Uint16Array([0x7fc1]))[0]!));
  assert.equal(roundToBfloat16(1 + 2 ** -9), 1); // 8 significant bits: 1 + 2^-9 is below half an ulp
  assert.equal(roundToFloat16(1 + 2 ** -12), 1);
});

test('array conversions agree with the scalar ones and respect subarray offsets', () => {
  const backing = new Float32Array([99, 1, -2, 65504, 0.1, 2 ** -24, 99]);
  const src = backing.subarray(1, 6);
  const half = float32ToFloat16(src);
  assert.deepEqual([...half], [0x3c00, 0xc000, 0x7bff, 0x2e66, 0x0001]);
  assert.deepEqual([...float16ToFloat32(half)], [1, -2, 65504, 0.0999755859375, 2 ** -24]);
  const bf = float32ToBfloat16(src);
  assert.deepEqual([...bf], [...src].map(toBf16));
  assert.deepEqual([...bfloat16ToFloat32(bf)], [...src].map(roundToBfloat16));
});
