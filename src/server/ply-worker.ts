/**
 * Worker-thread body of readPlyOffThread (wav-thread.ts): reads one uploaded PLY file away from the
 * server's event loop. Replies once with the point cloud (its arrays transferred) or the error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readPly } from '../io/ply.js';

const bytes = workerData as Uint8Array;
try {
  const cloud = readPly(bytes, 'PLY');
  const transfer = [cloud.positions.buffer as ArrayBuffer, ...(cloud.colours ? [cloud.colours.buffer as ArrayBuffer] : [])];
  parentPort!.postMessage({ positions: cloud.positions, ...(cloud.colours ? { colours: cloud.colours } : {}) }, transfer);
} catch (e) {
  parentPort!.postMessage({ error: (e as Error).message });
}
