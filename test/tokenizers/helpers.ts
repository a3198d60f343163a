// Shared helpers for the tokenizer tests: fixture paths, temp folders, and BigInt64Array -> number[].

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Compiled tests live in <outDir>/test/tokenizers/, three levels below the repository root.
export const FIXTURE_ROOT = fileURLToPath(new URL('../../../test/fixtures/tokenizers/', import.meta.url));

export function fixtureDir(family: string): string {
  return join(FIXTURE_ROOT, family);
}

export function numbers(values: ArrayLike<bigint | number>): number[] {
  return Array.from(values, Number);
}

/** Rows of a flat [B, T] array. */
export function rows(values: ArrayLike<bigint | number>, length: number): number[][] {
  const flat = numbers(values);
  const out: number[][] = [];
  for (let i = 0; i < flat.length; i += length) out.push(flat.slice(i, i + length));
  return out;
}

/** Runs `fn` with a fresh temporary folder holding `files` (name -> text), then removes it. */
export async function withTempFolder(files: Record<string, string>, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'gluegen-tok-'));
  try {
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
