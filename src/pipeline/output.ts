/**
 * Where generated images go: `--out cat.png` writes cat.png for one image and cat-0.png, cat-1.png,
 * ... for a batch. Files are written atomically (a crash never leaves half a PNG).
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';

export function imageOutputPaths(out: string, count: number): string[] {
  if (!/\.png$/i.test(out)) throw new Error(`output '${out}' must be a .png file name`);
  if (count === 1) return [out];
  const stem = out.slice(0, -4);
  return Array.from({ length: count }, (_, i) => `${stem}-${i}${out.slice(-4)}`);
}

/** Writes each PNG (creating the folder); returns the paths written. */
export async function writeImages(out: string, pngs: Uint8Array[]): Promise<string[]> {
  const paths = imageOutputPaths(out, pngs.length);
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  for (let i = 0; i < pngs.length; i++) await writeFileAtomic(paths[i]!, pngs[i]!);
  return paths;
}
