/**
 * The one module that talks to onnxruntime. Everything else passes plain typed arrays.
 * Which onnxruntime is chosen in one place, at bundle time: ort-backend.ts (onnxruntime-node) in
 * Node, ort-backend.web.ts (onnxruntime-web) in the browser build (scripts/build-web.ts).
 */
import { backend, ort } from './ort-backend.js';

export type Device = 'cpu' | 'cuda';

export interface SessionOptions {
  device?: Device;
  /** Threads for one op (default: all cores). */
  threads?: number;
  /** Write an onnxruntime per-node profile (Chrome trace JSON) with this file prefix. */
  profile?: string;
  /**
   * Let onnxruntime's worker threads spin between ops (lower latency on an idle machine). Off by
   * default: on a busy machine spinning threads steal the cores from everything else, our own
   * JavaScript between runs included. GLUEGEN_ORT_SPIN=1 turns it on.
   */
  spin?: boolean;
  /** onnxruntime's CPU memory arena (default on). */
  memoryArena?: boolean;
  /** onnxruntime's memory pattern: one planned block per input shape after the first run (default on). */
  memoryPattern?: boolean;
}

export type HostArray = Float32Array | BigInt64Array | Int32Array | Uint16Array | Uint8Array | Float64Array;
export interface HostTensor {
  data: HostArray;
  dims: readonly number[];
  /** Element type when data alone is ambiguous (Uint16Array holds float16, Uint8Array bool or uint8). */
  type?: 'float32' | 'float16' | 'int64' | 'int32' | 'bool' | 'uint8' | 'float64';
}

export interface IOInfo {
  name: string;
  /** ONNX element type name as onnxruntime reports it ('float32', 'int64', 'float16', ...), or 'unknown'. */
  type: string;
  /** Static dims (numbers), symbolic (strings); null when the model does not say. */
  dims: (number | string)[] | null;
}

/** The onnxruntime this build runs on: 'onnxruntime-node', or 'onnxruntime-web (wasm)' / '(webgpu)'. */
export const RUNTIME_BACKEND: string = backend.name;

export class RuntimeError extends Error {
  override name = 'RuntimeError';
}

function typeOf(t: HostTensor): ort.Tensor.Type {
  if (t.type) return t.type as ort.Tensor.Type;
  if (t.data instanceof Float32Array) return 'float32';
  if (t.data instanceof BigInt64Array) return 'int64';
  if (t.data instanceof Int32Array) return 'int32';
  if (t.data instanceof Float64Array) return 'float64';
  if (t.data instanceof Uint16Array) return 'float16';
  return 'uint8';
}

export function toOrt(t: HostTensor): ort.Tensor {
  const type = typeOf(t);
  if (type === 'bool') return new ort.Tensor('bool', t.data as Uint8Array, t.dims);
  return new ort.Tensor(type as 'float32', t.data as Float32Array, t.dims);
}

const CUDA_INSTALL_HINT =
  "device 'cuda' is not available: onnxruntime-node's CUDA provider is not installed. Install it with " +
  '`ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install` (network, NVIDIA GPU, CUDA 12), or use --device cpu.';

/** An inference session over an ONNX model (bytes or a file path). */
export class Session {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly inputs: IOInfo[],
    readonly outputs: IOInfo[],
  ) {}

  static async create(model: Uint8Array | string, opts: SessionOptions = {}): Promise<Session> {
    const device = opts.device ?? 'cpu';
    if (device === 'cuda' && !backend.hasCuda()) {
      throw new RuntimeError(CUDA_INSTALL_HINT);
    }
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: backend.providers(device),
      graphOptimizationLevel: 'all',
      intraOpNumThreads: opts.threads ?? backend.defaultThreads(),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      ...(opts.memoryArena === undefined ? {} : { enableCpuMemArena: opts.memoryArena }),
      ...(opts.memoryPattern === undefined ? {} : { enableMemPattern: opts.memoryPattern }),
      ...(opts.profile ? { enableProfiling: true, profileFilePrefix: opts.profile } : {}),
      extra: { session: { intra_op: { allow_spinning: (opts.spin ?? backend.spinByDefault()) ? '1' : '0' } } },
    };
    let session: ort.InferenceSession;
    try {
      session = typeof model === 'string' ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
    } catch (e) {
      const where = typeof model === 'string' ? `'${model}'` : 'the model';
      // onnxruntime's messages may carry terminal colour codes and several lines; keep one clean line.
      const message = String((e as Error).message)
        .replace(/\u001b\[[0-9;]*m/g, '')
        .split('\n')[0]!
        .trim();
      if (device === 'cuda' && /shared library|providers_cuda|cuda/i.test(message)) {
        throw new RuntimeError(CUDA_INSTALL_HINT);
      }
      throw new RuntimeError(`onnxruntime could not load ${where}: ${message}`);
    }
    const meta = (names: readonly string[], list: readonly unknown[] | undefined): IOInfo[] =>
      names.map((name, i) => {
        const m = list?.[i] as { isTensor?: boolean; type?: string; shape?: (number | string)[] } | undefined;
        return { name, type: m && m.isTensor !== false && m.type ? m.type : 'unknown', dims: m?.shape ? [...m.shape] : null };
      });
    const s = session as unknown as { inputMetadata?: readonly unknown[]; outputMetadata?: readonly unknown[] };
    return new Session(session, meta(session.inputNames, s.inputMetadata), meta(session.outputNames, s.outputMetadata));
  }

  input(name: string): IOInfo | undefined {
    return this.inputs.find((i) => i.name === name);
  }

  /**
   * Runs the model. `into` binds outputs to preallocated arrays (onnxruntime writes in place, which
   * saves an allocation and a copy per step for large outputs); when given, only the outputs it
   * names are computed, and a null entry asks onnxruntime to allocate that one.
   */
  async run(feeds: Record<string, HostTensor>, into?: Record<string, HostTensor | null>): Promise<Record<string, HostTensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = toOrt(v);
    let result: ort.InferenceSession.ReturnType;
    try {
      if (into) {
        // With fetches, onnxruntime returns only the named outputs: null ones are allocated by it.
        const fetches: Record<string, ort.Tensor | null> = {};
        for (const [k, v] of Object.entries(into)) fetches[k] = v && backend.writesIntoOutputs ? toOrt(v) : null;
        result = await this.session.run(ortFeeds, fetches);
      } else {
        result = await this.session.run(ortFeeds);
      }
    } catch (e) {
      throw new RuntimeError(`onnxruntime failed: ${(e as Error).message}`);
    }
    const out: Record<string, HostTensor> = {};
    for (const [k, v] of Object.entries(result)) {
      const data = v.data as HostArray;
      const target = into?.[k];
      // Where the backend allocated the output itself, copy it into the caller's tensor (see writesIntoOutputs).
      if (target && !backend.writesIntoOutputs && target.data !== data) {
        if (target.data.length !== data.length)
          throw new RuntimeError(`internal: onnxruntime returned ${data.length} values for output '${k}', expected ${target.data.length}`);
        (target.data as Float32Array).set(data as Float32Array);
        out[k] = target;
      } else {
        out[k] = { data, dims: v.dims, type: v.type as HostTensor['type'] };
      }
    }
    return out;
  }

  /** Ends profiling (when enabled) and writes the trace file. */
  endProfiling(): void {
    this.session.endProfiling();
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
