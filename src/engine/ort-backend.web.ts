/**
 * The onnxruntime backend of the runtime seam in the browser: onnxruntime-web. The web build
 * (scripts/build-web.ts) resolves runtime.ts's import of ort-backend.js to this file.
 *
 * WebGPU when the browser has an adapter (the webgpu build, which also runs wasm kernels), else the
 * wasm build alone; each is its own chunk, so a page downloads one. `?backend=wasm` or
 * `?backend=webgpu` in the page URL forces the choice. Both fetch their .wasm file from next to the
 * bundle (the build copies it there): nothing is loaded from elsewhere.
 */
type OrtModule = typeof import('onnxruntime-web');

interface GpuNavigator {
  gpu?: { requestAdapter(): Promise<unknown> };
}

async function hasWebGpu(): Promise<boolean> {
  const gpu = (globalThis.navigator as GpuNavigator | undefined)?.gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}

function requested(): string | null {
  const search = (globalThis as { location?: { search?: string } }).location?.search ?? '';
  return new URLSearchParams(search).get('backend');
}

const wanted = requested();
if (wanted !== null && wanted !== 'wasm' && wanted !== 'webgpu') {
  throw new Error(`backend '${wanted}' in the page URL is not known; use ?backend=wasm or ?backend=webgpu, or leave it out to choose automatically`);
}
const useGpu = wanted === 'webgpu' || (wanted === null && (await hasWebGpu()));
const ort: OrtModule = useGpu ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm');

// The .wasm file sits next to the bundle's chunks (dist/web/): never a CDN. (Only the .wasm: the
// bundled builds carry their JavaScript glue, which a prefix string would fetch as well.)
ort.env.wasm.wasmPaths = { wasm: new URL(useGpu ? 'ort-wasm-simd-threaded.asyncify.wasm' : 'ort-wasm-simd-threaded.wasm', import.meta.url).href };
// Several threads need a cross-origin-isolated page (COOP/COEP headers); otherwise one.
ort.env.wasm.numThreads = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated
  ? Math.min(4, globalThis.navigator?.hardwareConcurrency ?? 1)
  : 1;

export { ort };

export const backend = {
  name: (useGpu ? 'onnxruntime-web (webgpu)' : 'onnxruntime-web (wasm)') as string,
  providers(device: 'cpu' | 'cuda'): string[] {
    if (device === 'cuda') throw new Error("device 'cuda' does not exist in the browser; leave the device unset (WebGPU is used when the browser has it)");
    return useGpu ? ['webgpu', 'wasm'] : ['wasm'];
  },
  hasCuda(): boolean {
    return false;
  },
  defaultThreads(): number {
    return ort.env.wasm.numThreads ?? 1;
  },
  spinByDefault(): boolean {
    return false;
  },
  /** onnxruntime-web (wasm) leaves caller-allocated CPU output tensors unwritten: the seam copies. */
  writesIntoOutputs: false,
};
