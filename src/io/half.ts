/**
 * float32 <-> float16 (IEEE binary16) and float32 <-> bfloat16 conversions on raw bit patterns.
 *
 * Half and bfloat16 values are carried as Uint16Array bit patterns because JavaScript has no 16-bit
 * float array in Node 20. Narrowing rounds to nearest, ties to even (what PyTorch and numpy do), so
 * weights written here load bit-identical to `tensor.half()` / `tensor.bfloat16()` in PyTorch.
 */

// One scratch word to reinterpret a float32 as its bits and back.
const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** The bits of a float32 as an unsigned 32-bit integer. */
export function float32Bits(x: number): number {
  scratchF32[0] = x;
  return scratchU32[0]!;
}

/** The float32 whose bits are `bits`. */
export function float32FromBits(bits: number): number {
  scratchU32[0] = bits >>> 0;
  return scratchF32[0]!;
}

/** Shifts `m` right by `shift` (1..31) rounding to nearest, ties to even. */
function shiftRoundEven(m: number, shift: number): number {
  const q = m >>> shift;
  const rem = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rem > half || (rem === half && (q & 1) === 1) ? q + 1 : q;
}

/** float32 bits -> float16 bits. Overflow gives ±inf, NaN stays NaN (quiet), tiny values become subnormal or ±0. */
export function float32BitsToFloat16Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13);
  // Re-bias the exponent from 127 to 15.
  const e = exp - 112;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Result is subnormal (or rounds up to the smallest normal, whose encoding follows on naturally).
    // value = m·2^(exp-150) and a half subnormal unit is 2^-24, so the half mantissa is m·2^(e-14).
    if (e < -10) return sign; // below 2^-25: rounds to zero (exactly 2^-25 ties to the even zero)
    const m = mant | 0x800000;
    return sign | shiftRoundEven(m, 14 - e);
  }
  // Normal: keep 10 of the 23 mantissa bits; a carry out of the mantissa correctly bumps the exponent,
  // and a carry into exponent 31 correctly gives infinity.
  return sign | shiftRoundEven((e << 23) | mant, 13);
}

/** float16 bits -> float32 bits (exact: every half value is a float32). */
export function float16BitsToFloat32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp === 0) {
    if (mant === 0) return sign >>> 0;
    // Subnormal half: mant·2^-24 is a normal float32; normalise the mantissa.
    let e = 113; // float32 biased exponent of 2^-14, the subnormal scale
    let m = mant;
    while ((m & 0x400) === 0) {
      m <<= 1;
      e--;
    }
    return (sign | (e << 23) | ((m & 0x3ff) << 13)) >>> 0;
  }
  return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
}

/** float32 bits -> bfloat16 bits (the top 16 bits, rounded to nearest even; NaN stays NaN). */
export function float32BitsToBfloat16Bits(bits: number): number {
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) return ((bits >>> 16) | 0x40) & 0xffff;
  return shiftRoundEven(bits >>> 0, 16) & 0xffff;
}

/** bfloat16 bits -> float32 bits (exact). */
export function bfloat16BitsToFloat32Bits(b: number): number {
  return ((b & 0xffff) << 16) >>> 0;
}

/** A number rounded to float16 and back: what storing it as F16 keeps. */
export function roundToFloat16(x: number): number {
  return float32FromBits(float16BitsToFloat32Bits(float32BitsToFloat16Bits(float32Bits(x))));
}

/** A number rounded to bfloat16 and back. */
export function roundToBfloat16(x: number): number {
  return float32FromBits(bfloat16BitsToFloat32Bits(float32BitsToBfloat16Bits(float32Bits(x))));
}

function bitsOf(src: Float32Array): Uint32Array {
  return new Uint32Array(src.buffer, src.byteOffset, src.length);
}

export function float32ToFloat16(src: Float32Array): Uint16Array {
  const bits = bitsOf(src);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < bits.length; i++) out[i] = float32BitsToFloat16Bits(bits[i]!);
  return out;
}

export function float16ToFloat32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  const bits = bitsOf(out);
  for (let i = 0; i < src.length; i++) bits[i] = float16BitsToFloat32Bits(src[i]!);
  return out;
}

export function float32ToBfloat16(src: Float32Array): Uint16Array {
  const bits = bitsOf(src);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < bits.length; i++) out[i] = float32BitsToBfloat16Bits(bits[i]!);
  return out;
}

export function bfloat16ToFloat32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  const bits = bitsOf(out);
  for (let i = 0; i < src.length; i++) bits[i] = bfloat16BitsToFloat32Bits(src[i]!);
  return out;
}
