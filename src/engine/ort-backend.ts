/**
 * The onnxruntime backend of the runtime seam in Node: onnxruntime-node, native CPU (and CUDA when
 * installed with it). The web build swaps this module for ort-backend.web.ts (see
 * scripts/build-web.ts); nothing but runtime.ts imports either.
 */
import os from 'node:os';
import * as ort from 'onnxruntime-node';

export { ort };

export const backend = {
  name: 'onnxruntime-node' as const,
  /** Providers for a device; cuda only when this install has it. */
  providers(device: 'cpu' | 'cuda'): string[] {
    return device === 'cuda' ? ['cuda', 'cpu'] : ['cpu'];
  },
  hasCuda(): boolean {
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
