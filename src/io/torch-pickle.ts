/**
 * Loads PyTorch `torch.save` checkpoints (the zip format, torch >= 1.6) without Python and without
 * ever running code from the file.
 *
 * A checkpoint is a zip holding `<archive>/data.pkl` (a pickle of the state dict), one
 * `<archive>/data/<key>` member per tensor storage (raw little-endian elements) and, in newer
 * versions, `<archive>/byteorder`. Pickle is a small stack machine whose GLOBAL/REDUCE opcodes can
 * import and call anything (`os.system`), so this module interprets the pickle itself and only
 * knows the handful of names that state dicts use: OrderedDict, the tensor/parameter rebuild
 * functions and the storage types. Every other global, and any opcode not listed, is refused with
 * {@link UnsafePickleError} before anything happens. Tensor data is read lazily, one storage range
 * at a time, so multi-GB checkpoints need no more memory than the tensors you ask for.
 */
import { open } from 'node:fs/promises';
import { dtypeItemSize, elementCount, type NamedTensor, type SafeDType, type SafeTensorInfo, tensorToFloat32, typedArrayFor } from './safetensors.js';
import { type ZipEntry, ZipReader } from './zip.js';

/** The checkpoint asks for something other than tensors and containers: refused, never executed. */
export class UnsafePickleError extends Error {
  override name = 'UnsafePickleError';
}

/** The checkpoint is malformed or uses a feature this loader does not support. */
export class TorchCheckpointError extends Error {
  override name = 'TorchCheckpointError';
}

// ---------------------------------------------------------------------------------------------
// Values the restricted unpickler can produce

/** A Python dict or OrderedDict (insertion-ordered, like both). */
export class PickleDict {
  readonly items = new Map<PickleKey, PickleValue>();
}
export type PickleKey = string | number | bigint | boolean | null;
/** An allowed global, as an inert marker: REDUCE on it runs our own code for that name. */
export interface AllowedGlobal {
  readonly kind: 'global';
  readonly qualifiedName: string;
  /** Element dtype for storage types (torch.FloatStorage) and dtype objects (torch.float32). */
  readonly dtype?: SafeDType;
}
/** A tensor storage referenced through BINPERSID: the zip member `data/<key>`. */
export interface StorageRef {
  readonly kind: 'storage';
  readonly key: string;
  readonly dtype: SafeDType;
}
/** A tensor as torch rebuilds it: a strided view into a storage. */
export interface TensorRef {
  readonly kind: 'tensor';
  readonly storage: StorageRef;
  readonly offset: number;
  readonly shape: number[];
  readonly stride: number[];
}
export type PickleValue = null | boolean | number | bigint | string | Uint8Array | PickleValue[] | PickleDict | AllowedGlobal | StorageRef | TensorRef;

const STORAGE_DTYPES: Record<string, SafeDType> = {
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  DoubleStorage: 'F64',
  LongStorage: 'I64',
  IntStorage: 'I32',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};
const TORCH_DTYPES: Record<string, SafeDType> = {
  float32: 'F32',
  float: 'F32',
  float16: 'F16',
  half: 'F16',
  bfloat16: 'BF16',
  float64: 'F64',
  double: 'F64',
  int64: 'I64',
  long: 'I64',
  int32: 'I32',
  int: 'I32',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};
/**
 * The most `data.pkl` may inflate to. A state dict's pickle is names and shapes: about 100 bytes a
 * tensor (a 10k-tensor model needs ~1 MiB); the bound keeps a deflate bomb from costing gigabytes.
 */
export const MAX_PICKLE_BYTES = 32 * 2 ** 20;

const REBUILD_FUNCTIONS = ['_rebuild_tensor', '_rebuild_tensor_v2', '_rebuild_parameter', '_rebuild_parameter_with_state', '_rebuild_from_type_v2'];

/** The only globals a checkpoint may name. */
const ALLOWED_GLOBALS = new Map<string, AllowedGlobal>();
function allow(qualifiedName: string, dtype?: SafeDType): void {
  ALLOWED_GLOBALS.set(qualifiedName, dtype === undefined ? { kind: 'global', qualifiedName } : { kind: 'global', qualifiedName, dtype });
}
allow('collections.OrderedDict');
allow('torch.Size');
allow('torch.Tensor');
allow('torch.nn.parameter.Parameter');
for (const f of REBUILD_FUNCTIONS) allow(`torch._utils.${f}`);
for (const [name, dtype] of Object.entries(STORAGE_DTYPES)) allow(`torch.${name}`, dtype);
for (const [name, dtype] of Object.entries(TORCH_DTYPES)) allow(`torch.${name}`, dtype);

function isGlobal(v: PickleValue, qualifiedName?: string): v is AllowedGlobal {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    'kind' in v &&
    v.kind === 'global' &&
    (qualifiedName === undefined || v.qualifiedName === qualifiedName)
  );
}
function isTensor(v: PickleValue): v is TensorRef {
  return typeof v === 'object' && v !== null && 'kind' in v && v.kind === 'tensor';
}
function isStorage(v: PickleValue): v is StorageRef {
  return typeof v === 'object' && v !== null && 'kind' in v && v.kind === 'storage';
}
function isIntList(v: PickleValue): v is number[] {
  return Array.isArray(v) && v.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0);
}

// ---------------------------------------------------------------------------------------------
// The restricted unpickler

/**
 * Applies an allowed callable (REDUCE): the rebuild functions are reimplemented here, not imported.
 * Nested `_rebuild_from_type_v2` wrappers are unwrapped in a loop, so no input sets a recursion depth.
 */
function callGlobal(fn: PickleValue, args: PickleValue, fail: (m: string) => never): PickleValue {
  for (;;) {
    if (!isGlobal(fn) || !Array.isArray(args)) return fail(`REDUCE needs an allowed callable and an argument tuple`);
    if (fn.qualifiedName !== 'torch._utils._rebuild_from_type_v2') return callPlain(fn.qualifiedName, args, fail);
    // (func, new_type, args, state): a tensor subclass; we keep the plain tensor func(*args) builds.
    const [inner, newType, innerArgs] = args;
    if (!isGlobal(newType!, 'torch.Tensor') && !isGlobal(newType!, 'torch.nn.parameter.Parameter'))
      return fail(`_rebuild_from_type_v2 with an unsupported tensor type`);
    fn = inner!;
    args = innerArgs!;
  }
}

function callPlain(name: string, args: PickleValue[], fail: (m: string) => never): PickleValue {
  if (name === 'collections.OrderedDict') {
    const dict = new PickleDict();
    if (args.length > 0 && Array.isArray(args[0]))
      for (const pair of args[0]) if (Array.isArray(pair) && pair.length === 2) dict.items.set(asKey(pair[0]!, fail), pair[1]!);
    return dict;
  }
  if (name === 'torch.Size') return Array.isArray(args[0]) ? args[0].slice() : fail(`torch.Size expects a tuple`);
  if (name === 'torch._utils._rebuild_tensor_v2' || name === 'torch._utils._rebuild_tensor') {
    const [storage, offset, shape, stride] = args;
    if (
      !isStorage(storage!) ||
      typeof offset !== 'number' ||
      !Number.isSafeInteger(offset) ||
      offset < 0 ||
      !isIntList(shape!) ||
      !isIntList(stride!) ||
      shape.length !== stride.length
    ) {
      return fail(`${name} got malformed arguments (storage, offset, size, stride)`);
    }
    if (shape.length > 64) return fail(`${name} got a tensor of ${shape.length} dimensions (at most 64)`);
    return { kind: 'tensor', storage, offset, shape: [...shape], stride: [...stride] };
  }
  if (name === 'torch._utils._rebuild_parameter' || name === 'torch._utils._rebuild_parameter_with_state') {
    return isTensor(args[0]!) ? args[0] : fail(`${name} expects a tensor as its first argument`);
  }
  return fail(`'${name}' cannot be called`);
}

function asKey(k: PickleValue, fail: (m: string) => never): PickleKey {
  if (k === null || typeof k === 'string' || typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean') return k;
  return fail(`dict keys must be strings, numbers, booleans or None`);
}

/**
 * Interprets pickle `bytes` (protocols 2-5) allowing only container, scalar and string opcodes plus
 * the allowed globals. `persistentLoad` resolves BINPERSID ids (torch storages).
 */
export function unpickleRestricted(bytes: Uint8Array, source: string, persistentLoad: (pid: PickleValue) => PickleValue): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let pos = 0;
  let stack: PickleValue[] = [];
  const metastack: PickleValue[][] = [];
  const memo = new Map<number, PickleValue>();
  const fail = (m: string): never => {
    throw new TorchCheckpointError(`cannot load checkpoint '${source}': ${m} (pickle byte ${pos})`);
  };
  const need = (n: number): number => {
    if (n < 0 || pos + n > bytes.length) fail(`pickle data ends early (needs ${n} more bytes)`);
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = (): number => bytes[need(1)]!;
  const u16 = (): number => view.getUint16(need(2), true);
  const u32 = (): number => view.getUint32(need(4), true);
  const u64 = (): number => {
    const v = view.getBigUint64(need(8), true);
    return v > BigInt(bytes.length) ? fail(`length ${v} exceeds the pickle size`) : Number(v);
  };
  const text = (n: number): string => {
    const at = need(n);
    try {
      return utf8.decode(bytes.subarray(at, pos));
    } catch {
      return fail(`invalid UTF-8 string`);
    }
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail(`unterminated GLOBAL name`);
    return new TextDecoder('latin1').decode(bytes.subarray(need(end - pos + 1), end));
  };
  const pop = (): PickleValue => (stack.length > 0 ? stack.pop()! : fail(`pickle stack underflow`));
  const top = (): PickleValue => (stack.length > 0 ? stack[stack.length - 1]! : fail(`pickle stack underflow`));
  const popMark = (): PickleValue[] => {
    const items = stack;
    stack = metastack.pop() ?? fail(`pickle MARK missing`);
    return items;
  };
  const setItems = (dict: PickleValue, kv: PickleValue[]): void => {
    if (!(dict instanceof PickleDict)) fail(`SETITEM on something that is not a dict`);
    for (let i = 0; i + 1 < kv.length; i += 2) (dict as PickleDict).items.set(asKey(kv[i]!, fail), kv[i + 1]!);
  };
  const appendItems = (list: PickleValue, items: PickleValue[]): void => {
    if (!Array.isArray(list)) fail(`APPEND on something that is not a list`);
    // A loop, not push(...items): spreading 300k items would overflow the call stack.
    for (const item of items) (list as PickleValue[]).push(item);
  };
  const resolveGlobal = (module: string, name: string): AllowedGlobal => {
    const g = ALLOWED_GLOBALS.get(`${module}.${name}`);
    if (g === undefined)
      throw new UnsafePickleError(`refusing to load global '${module}.${name}' from checkpoint '${source}': only tensors and dicts are allowed`);
    return g;
  };
  const bigintLE = (n: number): number | bigint => {
    const at = need(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]!);
    if (n > 0 && bytes[at + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: {
        const p = u8();
        if (p < 2 || p > 5) fail(`unsupported pickle protocol ${p}`);
        break;
      } // PROTO
      case 0x95:
        u64();
        break; // FRAME: a length hint only
      case 0x2e:
        return pop(); // STOP
      case 0x28:
        metastack.push(stack);
        stack = [];
        break; // MARK
      case 0x7d:
        stack.push(new PickleDict());
        break; // EMPTY_DICT
      case 0x64: {
        const d = new PickleDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      } // DICT
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x6c:
      case 0x74: {
        const items = popMark();
        stack.push(items);
        break;
      } // LIST, TUPLE
      case 0x29:
        stack.push([]);
        break; // EMPTY_TUPLE
      case 0x85:
        stack.push([pop()]);
        break; // TUPLE1
      case 0x86: {
        const b = pop();
        stack.push([pop(), b]);
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      } // TUPLE3
      case 0x58:
        stack.push(text(u32()));
        break; // BINUNICODE
      case 0x8c:
        stack.push(text(u8()));
        break; // SHORT_BINUNICODE
      case 0x8d:
        stack.push(text(u64()));
        break; // BINUNICODE8
      case 0x54:
        stack.push(new TextDecoder('latin1').decode(bytes.subarray(need(view.getInt32(need(4), true)), pos)));
        break; // BINSTRING
      case 0x55:
        stack.push(new TextDecoder('latin1').decode(bytes.subarray(need(u8()), pos)));
        break; // SHORT_BINSTRING
      case 0x42:
        stack.push(bytes.slice(need(u32()), pos));
        break; // BINBYTES
      case 0x43:
        stack.push(bytes.slice(need(u8()), pos));
        break; // SHORT_BINBYTES
      case 0x8e:
        stack.push(bytes.slice(need(u64()), pos));
        break; // BINBYTES8
      case 0x4a:
        stack.push(view.getInt32(need(4), true));
        break; // BININT
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        stack.push(u16());
        break; // BININT2
      case 0x8a:
        stack.push(bigintLE(u8()));
        break; // LONG1
      case 0x8b:
        stack.push(bigintLE(u32()));
        break; // LONG4
      case 0x47:
        stack.push(view.getFloat64(need(8), false));
        break; // BINFLOAT (big-endian)
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x71:
        memo.set(u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(u32(), top());
        break; // LONG_BINPUT
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x68:
      case 0x6a: {
        // BINGET, LONG_BINGET
        const i = op === 0x68 ? u8() : u32();
        stack.push(memo.has(i) ? memo.get(i)! : fail(`memo entry ${i} is missing`));
        break;
      }
      case 0x73: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      } // SETITEM
      case 0x75: {
        const kv = popMark();
        setItems(top(), kv);
        break;
      } // SETITEMS
      case 0x61: {
        const v = pop();
        appendItems(top(), [v]);
        break;
      } // APPEND
      case 0x65: {
        const items = popMark();
        appendItems(top(), items);
        break;
      } // APPENDS
      case 0x63: {
        const module = line();
        stack.push(resolveGlobal(module, line()));
        break;
      } // GLOBAL
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail(`STACK_GLOBAL needs two strings`);
        stack.push(resolveGlobal(module as string, name as string));
        break;
      }
      case 0x52: {
        const args = pop();
        stack.push(callGlobal(pop(), args, fail));
        break;
      } // REDUCE
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args); only OrderedDict is constructible
        pop();
        const cls = pop();
        if (!isGlobal(cls, 'collections.OrderedDict')) fail(`NEWOBJ of ${isGlobal(cls) ? cls.qualifiedName : 'a non-class'}`);
        stack.push(new PickleDict());
        break;
      }
      case 0x62: {
        // BUILD: __setstate__; OrderedDict's state (e.g. state_dict()._metadata) is not needed
        pop();
        const obj = top();
        if (!(obj instanceof PickleDict) && !isTensor(obj)) fail(`BUILD on an object that is neither a dict nor a tensor`);
        break;
      }
      case 0x51:
        stack.push(persistentLoad(pop()));
        break; // BINPERSID
      case 0x30:
        if (stack.length > 0) stack.pop();
        else popMark();
        break; // POP
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        stack.push(top());
        break; // DUP
      default:
        throw new UnsafePickleError(
          `refusing to load checkpoint '${source}': pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${pos - 1} is not allowed by the restricted loader (only tensors and dicts are allowed)`,
        );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The torch layer: zip members, storages, strided views

/**
 * Names every tensor reachable through dicts and lists as a dotted path ("state_dict.fc.weight").
 * Each container is walked once, under the first name that reaches it: pickles share containers
 * through the memo, and a walk per path would take exponential time on a few hundred crafted bytes.
 */
function flattenTensors(root: PickleValue, source: string): Map<string, TensorRef> {
  const out = new Map<string, TensorRef>();
  const seen = new Set<object>();
  const walk = (v: PickleValue, name: string, depth: number): void => {
    if (depth > 200) throw new TorchCheckpointError(`cannot load checkpoint '${source}': containers nested more than 200 deep at '${name}'`);
    if (isTensor(v)) {
      if (out.has(name)) throw new TorchCheckpointError(`cannot load checkpoint '${source}': two tensors flatten to the name '${name}'`);
      out.set(name, v);
      return;
    }
    if (!(v instanceof PickleDict) && !Array.isArray(v)) return; // numbers, strings, ...: not tensors
    if (seen.has(v)) return; // shared, or self-referencing
    seen.add(v);
    const children: Array<[unknown, PickleValue]> = v instanceof PickleDict ? [...v.items] : v.map((x, i) => [i, x]);
    for (const [k, child] of children) walk(child, name === '' ? String(k) : `${name}.${String(k)}`, depth + 1);
  };
  walk(root, '', 0);
  return out;
}

/** Copies a strided view into a fresh contiguous array, moving raw element bits (NaN payloads kept). */
function gatherStrided(src: Uint8Array, itemSize: number, shape: number[], stride: number[], count: number): ArrayBuffer {
  const lane = Math.min(itemSize, 4);
  const lanesPerItem = itemSize / lane;
  const make = (b: ArrayBuffer): Uint8Array | Uint16Array | Uint32Array =>
    lane === 1 ? new Uint8Array(b) : lane === 2 ? new Uint16Array(b) : new Uint32Array(b);
  const from = make(src.buffer.slice(src.byteOffset, src.byteOffset + src.byteLength) as ArrayBuffer);
  const outBuffer = new ArrayBuffer(count * itemSize);
  const to = make(outBuffer);
  const index = new Array<number>(shape.length).fill(0);
  let srcElement = 0;
  for (let i = 0; i < count; i++) {
    for (let l = 0; l < lanesPerItem; l++) to[i * lanesPerItem + l] = from[srcElement * lanesPerItem + l]!;
    // Odometer step over the index, last dimension fastest.
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) {
        srcElement += stride[d]!;
        break;
      }
      srcElement -= (shape[d]! - 1) * stride[d]!;
      index[d] = 0;
    }
  }
  return outBuffer;
}

function isContiguous(shape: number[], stride: number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d]!;
  }
  return true;
}

/**
 * A compressed storage may inflate to no more than its tensors reach: torch.save stores storages
 * uncompressed, so a deflated one that expands past its tensors is a decompression bomb, refused
 * before any byte is inflated. (Stored entries cannot expand: their bytes are in the file.)
 */
function checkStorageSizes(zip: ZipReader, prefix: string, tensors: Map<string, TensorRef>, path: string): void {
  const reach = new Map<string, number>();
  for (const t of tensors.values()) {
    if (t.shape.some((n) => n === 0)) continue;
    const last = t.shape.reduce((s, n, d) => s + (n - 1) * t.stride[d]!, t.offset);
    const bytes = (last + 1) * dtypeItemSize(t.storage.dtype);
    reach.set(t.storage.key, Math.max(reach.get(t.storage.key) ?? 0, bytes));
  }
  for (const e of zip.entries) {
    if (e.method === 0 || !e.name.startsWith(`${prefix}data/`)) continue;
    const used = reach.get(e.name.slice(`${prefix}data/`.length)) ?? 0;
    if (e.uncompressedSize > used) {
      throw new TorchCheckpointError(
        `cannot load checkpoint '${path}': compressed storage '${e.name}' inflates to ${e.uncompressedSize} bytes but its tensors use ${used}; ` +
          `torch.save never compresses storages (a decompression bomb?) — re-save the checkpoint with torch.save`,
      );
    }
  }
}

/** An opened checkpoint: names and shapes are known, tensor bytes are read on demand. */
export class TorchCheckpoint {
  private constructor(
    readonly path: string,
    private readonly zip: ZipReader,
    private readonly prefix: string,
    private readonly tensors: Map<string, TensorRef>,
  ) {}

  static async open(path: string): Promise<TorchCheckpoint> {
    await checkIsZipCheckpoint(path);
    const zip = await ZipReader.open(path);
    try {
      const pickles = zip.entries.filter((e) => /^[^/]+\/data\.pkl$/.test(e.name));
      if (pickles.length !== 1) {
        throw new TorchCheckpointError(
          `'${path}' is a zip but not a torch.save checkpoint: expected one '<archive>/data.pkl', found ${pickles.length} (TorchScript archives are not supported)`,
        );
      }
      const prefix = pickles[0]!.name.slice(0, -'data.pkl'.length);
      const byteorder = zip.entry(`${prefix}byteorder`);
      if (byteorder !== undefined) {
        const order = new TextDecoder().decode(await zip.read(byteorder, 64)).trim();
        if (order !== 'little')
          throw new TorchCheckpointError(
            `checkpoint '${path}' stores tensors in '${order}' byte order; only little-endian is supported (re-save it on a little-endian machine)`,
          );
      }
      const storages = new Map<string, StorageRef>();
      const persistentLoad = (pid: PickleValue): PickleValue => {
        const [tag, type, key] = Array.isArray(pid) ? pid : [];
        if (tag !== 'storage' || !isGlobal(type!) || type.dtype === undefined || typeof key !== 'string') {
          throw new TorchCheckpointError(
            `cannot load checkpoint '${path}': unsupported persistent id (expected ('storage', <StorageType>, key, location, numel))`,
          );
        }
        const known = storages.get(key);
        if (known !== undefined && known.dtype !== type.dtype)
          throw new TorchCheckpointError(`cannot load checkpoint '${path}': storage '${key}' is used as both ${known.dtype} and ${type.dtype}`);
        if (zip.entry(`${prefix}data/${key}`) === undefined)
          throw new TorchCheckpointError(`cannot load checkpoint '${path}': storage member '${prefix}data/${key}' is missing (truncated file?)`);
        const ref: StorageRef = known ?? { kind: 'storage', key, dtype: type.dtype };
        storages.set(key, ref);
        return ref;
      };
      const pickle = pickles[0]!;
      if (pickle.uncompressedSize > MAX_PICKLE_BYTES) {
        throw new TorchCheckpointError(
          `cannot load checkpoint '${path}': '${pickle.name}' is ${pickle.uncompressedSize} bytes uncompressed, above the ${MAX_PICKLE_BYTES / 2 ** 20} MiB a state dict's pickle needs (a decompression bomb?)`,
        );
      }
      const root = unpickleRestricted(await zip.read(pickle, MAX_PICKLE_BYTES), path, persistentLoad);
      const tensors = flattenTensors(root, path);
      checkStorageSizes(zip, prefix, tensors, path);
      return new TorchCheckpoint(path, zip, prefix, tensors);
    } catch (err) {
      await zip.close();
      throw err;
    }
  }

  /** Flattened tensor names ("state_dict.fc.weight") in pickle order. */
  names(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): SafeTensorInfo {
    const t = this.ref(name);
    return { dtype: t.storage.dtype, shape: [...t.shape], byteLength: elementCount(t.shape)! * dtypeItemSize(t.storage.dtype) };
  }

  /** Reads one tensor, contiguous (row-major) whatever its strides in the checkpoint. */
  async read(name: string): Promise<NamedTensor> {
    const t = this.ref(name);
    const { dtype } = t.storage;
    const itemSize = dtypeItemSize(dtype);
    const count = elementCount(t.shape);
    if (count === null) throw new TorchCheckpointError(`tensor '${name}' in '${this.path}' has an impossible shape [${t.shape.join(', ')}]`);
    if (count === 0) return { dtype, shape: [...t.shape], data: typedArrayFor(dtype, new ArrayBuffer(0), 0, 0) };
    const entry = this.zip.entry(`${this.prefix}data/${t.storage.key}`) as ZipEntry;
    if (entry.uncompressedSize % itemSize !== 0)
      throw new TorchCheckpointError(
        `storage '${t.storage.key}' in '${this.path}' is ${entry.uncompressedSize} bytes, not a whole number of ${dtype} elements`,
      );
    const storageElements = entry.uncompressedSize / itemSize;
    const last = t.shape.reduce((s, n, d) => s + (n - 1) * t.stride[d]!, t.offset);
    if (last >= storageElements) {
      throw new TorchCheckpointError(
        `tensor '${name}' in '${this.path}' reaches element ${last} of storage '${t.storage.key}', which holds ${storageElements} (corrupt checkpoint)`,
      );
    }
    const span = await this.zip.readRange(entry, t.offset * itemSize, (last - t.offset + 1) * itemSize);
    const buffer = isContiguous(t.shape, t.stride) ? (span.buffer as ArrayBuffer) : gatherStrided(span, itemSize, t.shape, t.stride, count);
    return { dtype, shape: [...t.shape], data: typedArrayFor(dtype, buffer, 0, count) };
  }

  /** Reads one floating tensor as Float32Array (F16/BF16/F64 converted). */
  async readFloat32(name: string): Promise<Float32Array> {
    return tensorToFloat32(await this.read(name), `tensor '${name}' in '${this.path}'`);
  }

  async close(): Promise<void> {
    await this.zip.close();
  }

  private ref(name: string): TensorRef {
    const t = this.tensors.get(name);
    if (t === undefined) {
      const some = this.names().slice(0, 8).join(', ');
      throw new TorchCheckpointError(
        `no tensor named '${name}' in checkpoint '${this.path}' (it has ${this.tensors.size}: ${some}${this.tensors.size > 8 ? ', ...' : ''})`,
      );
    }
    return t;
  }
}

/** Tells legacy (pre-1.6, non-zip) checkpoints and non-checkpoints apart from zips, by magic bytes. */
async function checkIsZipCheckpoint(path: string): Promise<void> {
  const handle = await open(path, 'r');
  const head = new Uint8Array(512);
  let n = 0;
  try {
    n = (await handle.read(head, 0, 512, 0)).bytesRead;
  } finally {
    await handle.close();
  }
  if (n >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5)) return; // "PK"
  const isTar = n >= 262 && new TextDecoder('latin1').decode(head.subarray(257, 262)) === 'ustar';
  if ((n >= 2 && head[0] === 0x80 && head[1] <= 5) || isTar) {
    throw new TorchCheckpointError(
      `'${path}' is a legacy (pre-zip) torch.save checkpoint, which cannot be loaded safely here; re-save it in the zip format with a recent PyTorch: torch.save(torch.load(path), path)`,
    );
  }
  throw new TorchCheckpointError(`'${path}' is not a PyTorch checkpoint (expected a torch.save zip file)`);
}

/** Opens a checkpoint lazily; call `.close()` when done. */
export function openTorchCheckpoint(path: string): Promise<TorchCheckpoint> {
  return TorchCheckpoint.open(path);
}

/** Reads every tensor of a checkpoint, keyed by flattened name. */
export async function loadTorchCheckpoint(path: string): Promise<Map<string, NamedTensor>> {
  const ckpt = await TorchCheckpoint.open(path);
  try {
    const out = new Map<string, NamedTensor>();
    for (const name of ckpt.names()) out.set(name, await ckpt.read(name));
    return out;
  } finally {
    await ckpt.close();
  }
}
