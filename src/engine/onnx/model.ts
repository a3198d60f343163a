/**
 * Plain-object ONNX models and their serialisation. emit.ts builds these; tools that patch existing
 * models (fp16 conversion, fixtures) read and write them too.
 */
import { ATTR_TYPE, ModelProto, ONNX_DTYPE } from './schema.js';

export type AttrValue = number | number[] | string | { float: number } | { floats: number[] } | TensorData;

export interface TensorData {
  name?: string;
  dtype: keyof typeof ONNX_DTYPE;
  dims: number[];
  /** Raw little-endian bytes. */
  raw: Uint8Array;
}

export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, AttrValue>;
  domain?: string;
  name?: string;
}

export interface ValueInfo {
  name: string;
  dtype: keyof typeof ONNX_DTYPE;
  /** number = static, string = named symbolic dim, null = unknown. */
  dims: (number | string | null)[] | null;
}

export interface OnnxModel {
  nodes: OnnxNode[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: TensorData[];
  opset: number;
  name?: string;
  metadata?: Record<string, string>;
}

/** Opset used by everything gluegen emits (LayerNormalization-era; ScatterND with reduction). */
export const OPSET = 17;
const IR_VERSION = 8;

function isTensorData(v: unknown): v is TensorData {
  return typeof v === 'object' && v !== null && 'raw' in v;
}

function tensorProto(t: TensorData): Record<string, unknown> {
  return { name: t.name ?? '', dims: t.dims, data_type: ONNX_DTYPE[t.dtype], raw_data: t.raw };
}

function attributeProto(name: string, v: AttrValue): Record<string, unknown> {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`internal: attribute ${name}=${v}: use {float: v} for floats`);
    return { name, type: ATTR_TYPE.INT, i: v };
  }
  if (typeof v === 'string') return { name, type: ATTR_TYPE.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: ATTR_TYPE.INTS, ints: v };
  if (isTensorData(v)) return { name, type: ATTR_TYPE.TENSOR, t: tensorProto(v) };
  if ('float' in v) return { name, type: ATTR_TYPE.FLOAT, f: v.float };
  return { name, type: ATTR_TYPE.FLOATS, floats: v.floats };
}

function valueInfoProto(v: ValueInfo): Record<string, unknown> {
  const tensorType: Record<string, unknown> = { elem_type: ONNX_DTYPE[v.dtype] };
  if (v.dims) {
    tensorType.shape = {
      dim: v.dims.map((d) => (typeof d === 'number' ? { dim_value: d } : typeof d === 'string' ? { dim_param: d } : {})),
    };
  }
  return { name: v.name, type: { tensor_type: tensorType } };
}

export function serializeModel(m: OnnxModel): Uint8Array {
  const msg = {
    ir_version: IR_VERSION,
    producer_name: 'gluegen',
    producer_version: '0.1.0',
    opset_import: [
      { domain: '', version: m.opset },
      // onnxruntime contrib ops (e.g. Gelu) live in this domain.
      ...(m.nodes.some((n) => n.domain === 'com.microsoft') ? [{ domain: 'com.microsoft', version: 1 }] : []),
    ],
    metadata_props: Object.entries(m.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: m.name ?? 'gluegen',
      node: m.nodes.map((n, i) => ({
        input: n.inputs,
        output: n.outputs,
        name: n.name ?? `${n.opType}_${i}`,
        op_type: n.opType,
        domain: n.domain ?? '',
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attributeProto(k, v)),
      })),
      initializer: m.initializers.map(tensorProto),
      input: m.inputs.map(valueInfoProto),
      output: m.outputs.map(valueInfoProto),
    },
  };
  const err = ModelProto.verify(msg);
  if (err) throw new Error(`internal: invalid ONNX model: ${err}`);
  return ModelProto.encode(ModelProto.fromObject(msg)).finish();
}

/** Decodes an ONNX file into protobufjs plain objects (longs as numbers, bytes as Uint8Array). */
// biome-ignore lint/suspicious/noExplicitAny: protobufjs plain objects are untyped; callers read known ONNX fields.
export function decodeModel(bytes: Uint8Array): Record<string, any> {
  const msg = ModelProto.decode(bytes);
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  return ModelProto.toObject(msg, { longs: Number, bytes: Uint8Array, defaults: false, arrays: true }) as Record<string, any>;
}

export function f32Tensor(name: string, dims: number[], data: Float32Array): TensorData {
  return { name, dtype: 'float32', dims, raw: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export function i64Tensor(name: string, dims: number[], data: BigInt64Array | number[]): TensorData {
  const arr = data instanceof BigInt64Array ? data : BigInt64Array.from(data.map((v) => BigInt(v)));
  return { name, dtype: 'int64', dims, raw: new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength) };
}
