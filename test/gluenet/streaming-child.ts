// Child process of streaming.test.ts: trains one epoch from shard folders under a memory budget
// and prints the resident memory before and at the peak, so the parent can bound the growth.
// argv: <dir with x/ and c/> <memoryBytes> <tokens> <dim>

import { join } from 'node:path';
import { parseConfig } from '../../src/gluenet/config.js';
import { trainGlueNet } from '../../src/gluenet/train.js';

const [dir, memory, tokens, dim] = process.argv.slice(2) as [string, string, string, string];
const [T, D] = [Number(tokens), Number(dim)];
const config = parseConfig({
  arch: 'translator_noln',
  tokens_in: T,
  tokens_out: T,
  dim_in: D,
  dim_out: D,
  mult: 1,
  depth: 1,
  x_scale: 1,
  cond_norm: new Array(T).fill(2),
});
const batchSize = 512;

// Warm-up: a short run of the same shapes, so the runtime's own memory is in the baseline.
const warm = { x: join(dir, 'x', 'features-00000.safetensors'), cond: join(dir, 'c', 'features-00000.safetensors') };
await trainGlueNet({ ...warm, config, out: join(dir, 'warm'), steps: 20, batchSize, progress: null });
const baseline = process.memoryUsage().rss;
const r = await trainGlueNet({
  x: join(dir, 'x'),
  cond: join(dir, 'c'),
  config,
  out: join(dir, 'run'),
  epochs: 1,
  batchSize,
  memoryBytes: Number(memory),
  checkpointEvery: 1_000_000,
  progress: null,
});
const peak = process.resourceUsage().maxRSS * 1024;
process.stdout.write(`${JSON.stringify({ baseline, peak, steps: r.steps, lastLoss: r.history.at(-1)?.loss })}\n`);
