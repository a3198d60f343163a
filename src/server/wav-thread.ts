/**
 * Decoding uploaded WAVs off the event loop: each upload is decoded in a worker thread, so a large
 * or crafted file never stalls /healthz, the queue or other requests, and a decode that overruns its
 * time is stopped by terminating the thread (a synchronous loop on the main thread cannot be).
 */
import { Worker } from 'node:worker_threads';

export interface MonoAudio {
  sampleRate: number;
  samples: Float32Array;
}

/** Decodes at once: more uploads wait their turn, so N hostile uploads cost 2 threads, not N. */
const MAX_CONCURRENT = 2;
let running = 0;
const waiting: Array<() => void> = [];

/** The decoded mono audio, or an Error whose message says why the bytes are not usable audio. */
export async function decodeWavOffThread(data: Uint8Array, timeoutMs = 10_000): Promise<MonoAudio | Error> {
  if (running < MAX_CONCURRENT) running++;
  else await new Promise<void>((r) => waiting.push(r)); // the finishing decode hands its slot over
  try {
    return await decodeInWorker(data, timeoutMs);
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

async function decodeInWorker(data: Uint8Array, timeoutMs: number): Promise<MonoAudio | Error> {
  const bytes = new Uint8Array(data); // a copy the worker owns
  const worker = new Worker(new URL('./audio-worker.js', import.meta.url), {
    workerData: bytes,
    transferList: [bytes.buffer],
    // The decoder allocates at most ~4x its input in typed arrays; the JS heap needs little.
    resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
  });
  try {
    return await new Promise<MonoAudio | Error>((resolve) => {
      const timer = setTimeout(() => resolve(new Error(`decoding took longer than ${timeoutMs / 1000} s and was stopped`)), timeoutMs);
      const finish = (r: MonoAudio | Error): void => {
        clearTimeout(timer);
        resolve(r);
      };
      worker.once('message', (m: { error: string } | MonoAudio) => finish('error' in m ? new Error(m.error) : m));
      worker.once('error', (e) => finish(new Error(`decoding failed: ${e.message}`)));
      worker.once('exit', (code) => finish(new Error(`decoding stopped unexpectedly (worker exit ${code})`)));
    });
  } finally {
    void worker.terminate();
  }
}
