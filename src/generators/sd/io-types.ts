/**
 * Converting between the float32 arrays the sampler works in and the element types an exported
 * model declares for each input and output: float32 or float16 for tensors, and for the timestep
 * int64, int32, float32, float16 or float64 (exports differ; diffusers' ORT pipeline also reads the
 * declared type at run time).
 */
import type { HostArray, HostTensor, IOInfo } from '../../engine/runtime.js';
import { float16ToFloat32, float32Bits, float32BitsToFloat16Bits, float32ToFloat16 } from '../../io/half.js';

export type FloatType = 'float32' | 'float16';
export type TimestepType = 'int64' | 'int32' | 'float32' | 'float16' | 'float64';

const TIMESTEP_TYPES: readonly string[] = ['int64', 'int32', 'float32', 'float16', 'float64'];

export function floatTypeOf(info: IOInfo, model: string): FloatType {
  if (info.type === 'float32' || info.type === 'float16') return info.type;
  throw new Error(
    `${model} ${info.name === '' ? 'tensor' : `'${info.name}'`} is declared ${info.type}; expected float32 or float16 (re-export the model with float weights)`,
  );
}

export function timestepTypeOf(info: IOInfo, model: string): TimestepType {
  if (TIMESTEP_TYPES.includes(info.type)) return info.type as TimestepType;
  throw new Error(`${model} input '${info.name}' is declared ${info.type}; expected one of ${TIMESTEP_TYPES.join(', ')}`);
}

/** A preallocated model tensor of a float type, filled from float32 values. */
export class FloatBuffer {
  readonly data: Float32Array | Uint16Array;
  readonly tensor: HostTensor;

  constructor(
    readonly type: FloatType,
    readonly dims: readonly number[],
  ) {
    const n = dims.reduce((a, b) => a * b, 1);
    this.data = type === 'float32' ? new Float32Array(n) : new Uint16Array(n);
    this.tensor = { data: this.data, dims, type };
  }

  /** Writes `src` at element `offset`, rounding to float16 when the model wants it. */
  write(src: Float32Array, offset: number): void {
    if (offset + src.length > this.data.length) throw new Error(`internal: write of ${src.length} at ${offset} past a buffer of ${this.data.length}`);
    if (this.data instanceof Float32Array) {
      this.data.set(src, offset);
      return;
    }
    const out = this.data;
    const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
    for (let i = 0; i < bits.length; i++) out[offset + i] = float32BitsToFloat16Bits(bits[i]!);
  }

  /** Copies values already in this buffer's element type (a staged row) to element `offset`. */
  copy(src: Float32Array | Uint16Array, offset: number): void {
    if (src.constructor !== this.data.constructor) throw new Error(`internal: copying ${src.constructor.name} into a ${this.type} buffer`);
    (this.data as Float32Array).set(src as Float32Array, offset);
  }

  /** Reads `length` values from element `offset` as float32 into `into` at `at`. */
  read(offset: number, length: number, into: Float32Array, at: number): void {
    if (this.data instanceof Float32Array) {
      into.set(this.data.subarray(offset, offset + length), at);
      return;
    }
    const table = halfTable();
    const src = this.data;
    for (let i = 0; i < length; i++) into[at + i] = table[src[offset + i]!]!;
  }
}

/** Values in a buffer's element type: float32 as is, float16 converted once (rows are then copied). */
export function stage(values: Float32Array, type: FloatType): Float32Array | Uint16Array {
  return type === 'float32' ? values : float32ToFloat16(values);
}

let HALF_TABLE: Float32Array | null = null;
/** float16 bits -> float32 value for all 65536 patterns (256 KiB, built on first use): reads per step stay cheap. */
function halfTable(): Float32Array {
  if (!HALF_TABLE) HALF_TABLE = float16ToFloat32(Uint16Array.from({ length: 65536 }, (_, i) => i));
  return HALF_TABLE;
}

/** A timestep tensor of the declared type, `count` copies of t. */
export class TimestepBuffer {
  readonly tensor: HostTensor;

  constructor(
    readonly type: TimestepType,
    readonly dims: readonly number[],
  ) {
    const n = dims.reduce((a, b) => a * b, 1);
    const data: HostArray =
      type === 'int64'
        ? new BigInt64Array(n)
        : type === 'int32'
          ? new Int32Array(n)
          : type === 'float32'
            ? new Float32Array(n)
            : type === 'float16'
              ? new Uint16Array(n)
              : new Float64Array(n);
    this.tensor = { data, dims, type };
  }

  /** Integer types take t truncated, as numpy's astype in diffusers' ORT pipeline (SD's timesteps are integers anyway). */
  set(t: number): void {
    const d = this.tensor.data;
    if (d instanceof BigInt64Array) d.fill(BigInt(Math.trunc(t)));
    else if (d instanceof Int32Array) d.fill(Math.trunc(t));
    else if (d instanceof Uint16Array) d.fill(float32BitsToFloat16Bits(float32Bits(t)));
    else (d as Float32Array | Float64Array).fill(t);
  }
}

/** A model output as float32 (converting float16; float32 arrays are returned as they are). */
export function outputToFloat32(t: HostTensor, what: string): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  if (t.type === 'float16' && t.data instanceof Uint16Array) return float16ToFloat32(t.data);
  if (t.data instanceof Float64Array) return Float32Array.from(t.data);
  throw new Error(`${what} has element type ${t.type ?? 'unknown'}; expected float32 or float16`);
}
