/**
 * A bounded load test on loopback: 50 requests from 5 concurrent clients against one worker and a
 * line of 2. Every request gets either its image (identical to the reference for its seed: no
 * cross-talk between jobs) or a clean 429 with Retry-After; nothing hangs; the heap stays flat.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ServerModels } from '../../src/server/models.js';
import { decodePng } from '../helpers/png-decode.js';
import { fixtureModels, type Running, startServer } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let models: ServerModels;
let srv: Running;
before(async () => {
  models = await fixtureModels();
  srv = await startServer(models, { queue: { workers: 1, maxQueued: 2, timeoutMs: 30_000 } });
});
after(async () => {
  await srv.close();
  await models.release();
});

const body = (seed: number): string => JSON.stringify({ prompt: 'a small blue square', encoder: 'native', size: '32x32', steps: 2, scheduler: 'ddim', seed });

async function heapMb(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed / 2 ** 20;
}

test('50 requests from 5 clients: each succeeds or gets a clean 429; memory stays flat', { timeout: 120_000 }, async () => {
  const post = (seed: number): Promise<Response> =>
    fetch(`${srv.url}/v1/generate`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body(seed), signal: AbortSignal.timeout(30_000) });
  const reference = [await post(0), await post(1)].map(async (r) => Buffer.from(await r.arrayBuffer()));
  const refs = await Promise.all(reference);
  assert.notDeepEqual(refs[0], refs[1]);
  assert.equal(decodePng(refs[0]!).width, 32);

  async function round(clients: number, perClient: number): Promise<{ ok: number; busy: number }> {
    const counts = { ok: 0, busy: 0 };
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        for (let i = 0; i < perClient; i++) {
          const seed = (c + i) % 2;
          const res = await post(seed);
          if (res.status === 200) {
            assert.deepEqual(Buffer.from(await res.arrayBuffer()), refs[seed], `client ${c} request ${i}: the image for seed ${seed}`);
            counts.ok++;
          } else {
            const err = (await res.json()) as { error: { code: string } };
            assert.equal(res.status, 429, JSON.stringify(err));
            assert.equal(err.error.code, 'queue_full');
            assert.match(res.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
            counts.busy++;
            await new Promise((r) => setTimeout(r, 5 + ((c * 7 + i * 3) % 11)));
          }
        }
      }),
    );
    return counts;
  }

  await round(5, 4); // warm-up: allocator pools and JIT settle
  const before = await heapMb();
  const t0 = Date.now();
  const { ok, busy } = await round(5, 10);
  const seconds = (Date.now() - t0) / 1000;
  const afterMb = await heapMb();
  assert.equal(ok + busy, 50);
  assert.ok(ok >= 5, `${ok} succeeded`);
  assert.ok(busy >= 1, `5 clients on 1 worker + 2 places must meet a 429 (got ${busy})`);
  assert.ok(afterMb - before < 8, `heap grew from ${before.toFixed(1)} to ${afterMb.toFixed(1)} MB`);
  const h = ((await (await fetch(`${srv.url}/healthz`)).json()) as { queue: { running: number; queued: number } }).queue;
  assert.deepEqual([h.running, h.queued], [0, 0]);
  console.log(
    `load: ${ok} ok, ${busy} x 429 in ${seconds.toFixed(1)} s; heap ${before.toFixed(1)} -> ${afterMb.toFixed(1)} MB; rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`,
  );
});
