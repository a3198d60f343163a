/**
 * Decoding uploaded files (WAV sounds, PLY point clouds) off the event loop: each upload is decoded
 * in a worker thread, so a large or crafted file never stalls /healthz, the queue or other requests,
 * and a decode that overruns its time is stopped by terminating the thread (a synchronous loop on
 * the main thread cannot be).
 */
import { Worker } from 'node:worker_threads';
import type { PointCloud } from '../encoders/types.js';

export interface MonoAudio {
  sampleRate: number;
  samples: Float32Array;
}

/** Decodes at once: more uploads wait their turn, so N hostile uploads cost 2 threads, not N. */
const MAX_CONCURRENT = 2;
let running = 0;
const waiting: Array<() => void> = [];

/** The decoded mono audio, or an Error whose message says why the bytes are not usable audio. */
export function decodeWavOffThread(data: Uint8Array, timeoutMs = 10_000): Promise<MonoAudio | Error> {
  return offThread<MonoAudio>(new URL('./audio-worker.js', import.meta.url), data, timeoutMs);
}

/** The point cloud of an uploaded PLY file, or an Error whose message says what is wrong with it. */
export function readPlyOffThread(data: Uint8Array, timeoutMs = 10_000): Promise<PointCloud | Error> {
  return offThread<PointCloud>(new URL('./ply-worker.js', import.meta.url), data, timeoutMs);
}

/** Runs a decoding worker script on a copy of `data`, at most MAX_CONCURRENT at a time. */
async function offThread<T extends object>(script: URL, data: Uint8Array, timeoutMs: number): Promise<T | Error> {
  if (running < MAX_CONCURRENT) running++;
  else await new Promise<void>((r) => waiting.push(r)); // the finishing decode hands its slot over
  try {
    return await decodeInWorker<T>(script, data, timeoutMs);
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

async function decodeInWorker<T extends object>(script: URL, data: Uint8Array, timeoutMs: number): Promise<T | Error> {
  const bytes = new Uint8Array(data); // a copy the worker owns
  const worker = new Worker(script, {
    workerData: bytes,
    transferList: [bytes.buffer],
    // The decoders allocate at most ~4x their input in typed arrays; the JS heap needs little.
    resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
  });
  try {
    return await new Promise<T | Error>((resolve) => {
      const timer = setTimeout(() => resolve(new Error(`decoding took longer than ${timeoutMs / 1000} s and was stopped`)), timeoutMs);
      const finish = (r: T | Error): void => {
        clearTimeout(timer);
        resolve(r);
      };
      worker.once('message', (m: { error: string } | T) => finish('error' in m ? new Error(m.error) : m));
      worker.once('error', (e) => finish(new Error(`decoding failed: ${e.message}`)));
      worker.once('exit', (code) => finish(new Error(`decoding stopped unexpectedly (worker exit ${code})`)));
    });
  } finally {
    void worker.terminate();
  }
}
