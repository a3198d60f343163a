/**
 * The onnxruntime backend of the runtime seam in Node: onnxruntime-node, native CPU (and CUDA when
 * installed with it). The web build swaps this module for ort-backend.web.ts (see
 * scripts/build-web.ts); nothing but runtime.ts imports either.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';

export { ort };

export const backend = {
  name: 'onnxruntime-node' as const,
  /** Providers for a device; cuda only when this install has it. */
  providers(device: 'cpu' | 'cuda'): string[] {
    return device === 'cuda' ? ['cuda', 'cpu'] : ['cpu'];
  },
  /**
   * Whether CUDA can be tried: the binding lists it AND its provider library is installed beside
   * the binding (it is not bundled; onnxruntime-node's install script downloads it on request).
   * Checked before trying, because a failed try makes onnxruntime print a coloured multi-line log.
   */
  hasCuda(): boolean {
    if (!cudaProviderInstalled()) return false;
    const fn = (ort as unknown as { listSupportedBackends?: () => { name: string }[] }).listSupportedBackends;
    try {
      return fn ? fn().some((b) => b.name === 'cuda') : false;
    } catch {
      return false;
    }
  },
  /** Threads for one op when the caller names none: all cores. */
  defaultThreads(): number {
    return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  },
  /** GLUEGEN_ORT_SPIN=1 lets worker threads spin between ops (see SessionOptions.spin). */
  spinByDefault(): boolean {
    return process.env.GLUEGEN_ORT_SPIN === '1';
  },
  /** onnxruntime-node writes outputs into caller-allocated tensors (no copy per run). */
  writesIntoOutputs: true,
};

/** Whether libonnxruntime_providers_cuda sits beside onnxruntime-node's binding. */
function cudaProviderInstalled(): boolean {
  try {
    const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
    const bin = join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
    const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    return existsSync(join(bin, lib));
  } catch {
    return true; // an unknown layout: let onnxruntime try and report
  }
}
