/**
 * Builds the large English text encoder (rich + canonical English, ~1.9M parameters) into
 * DIR/english-large-encoder/ and writes DIR/english-large-encoder-report.json (see
 * src/world/encoders/english-large.ts).
 * Usage: node dist/scripts/world-english-encoder.js [--out DIR (assets/world)] [--seed S (1)] [--tiny]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildLargeEnglishEncoder, LARGE_ENGLISH_FOLDER } from '../src/world/encoders/english-large.js';

function fail(message: string): never {
  console.error(`world-english-encoder: ${message}`);
  process.exit(1);
}

let values: { out?: string; seed?: string; tiny?: boolean };
try {
  ({ values } = parseArgs({ options: { out: { type: 'string' }, seed: { type: 'string' }, tiny: { type: 'boolean' } } }));
} catch (e) {
  fail(`${(e as Error).message}; usage: node dist/scripts/world-english-encoder.js [--out DIR] [--seed S] [--tiny]`);
}
const out = values.out ?? join('assets', 'world');
const seed = Number(values.seed ?? 1);
if (!Number.isInteger(seed)) fail(`--seed is ${JSON.stringify(values.seed)}; expected an integer`);
try {
  const r = await buildLargeEnglishEncoder({ outDir: out, seed, budget: values.tiny ? 'tiny' : 'full' });
  console.log(
    `wrote ${join(out, LARGE_ENGLISH_FOLDER)} (${r.params} parameters, ${r.ratioToNative === null ? '?' : r.ratioToNative.toFixed(2)}x the native encoder, ` +
      `${(r.onnxBytes / 2 ** 20).toFixed(2)} MiB model.onnx) in ${r.totalSeconds.toFixed(0)} s`,
  );
} catch (e) {
  fail((e as Error).message);
}
