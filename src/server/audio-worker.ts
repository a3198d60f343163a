/**
 * Worker-thread body of decodeWavOffThread (wav-thread.ts): decodes one uploaded WAV and mixes it to
 * mono away from the server's event loop. Replies once with the samples (transferred) or the error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { decodeWav, toMono } from '../encoders/audio/index.js';

const bytes = workerData as Uint8Array;
try {
  const wav = decodeWav(bytes);
  const samples = toMono(wav.channels);
  parentPort!.postMessage({ sampleRate: wav.sampleRate, samples }, [samples.buffer as ArrayBuffer]);
} catch (e) {
  parentPort!.postMessage({ error: (e as Error).message });
}
