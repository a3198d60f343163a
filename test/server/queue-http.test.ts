/**
 * The queue seen over HTTP, with a generator the test holds at a gate: 429 + Retry-After beyond the
 * line, 'queued' events for a waiting stream, cancellation when the client disconnects (waiting or
 * running), and the per-request deadline.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ServerModels } from '../../src/server/models.js';
import { fixtureModels, GatedGenerator, type Running, startServer, until } from './helpers.js';

let base: ServerModels;
before(async () => {
  base = await fixtureModels();
});
after(async () => {
  await base.release();
});

const BODY = JSON.stringify({ prompt: 'a cat', encoder: 'native', size: '32x32', steps: 2, scheduler: 'ddim', seed: 1 });
const post = (srv: Running, init: RequestInit = {}): Promise<Response> =>
  fetch(`${srv.url}/v1/generate`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(init.headers as Record<string, string>) },
    body: BODY,
    ...(init.signal ? { signal: init.signal } : {}),
  });
const health = async (srv: Running): Promise<{ running: number; queued: number; cancelled: number; rejected: number; completed: number }> =>
  ((await (await fetch(`${srv.url}/healthz`)).json()) as { queue: { running: number; queued: number; cancelled: number; rejected: number; completed: number } })
    .queue;

async function withGate(
  queue: { workers: number; maxQueued: number; timeoutMs: number },
  body: (srv: Running, gate: GatedGenerator) => Promise<void>,
): Promise<void> {
  const gate = new GatedGenerator(base.generator);
  const srv = await startServer({ ...base, generator: gate }, { queue });
  try {
    await body(srv, gate);
  } finally {
    gate.open();
    await srv.close();
  }
}

test('beyond the line: 429 with Retry-After; the accepted requests then succeed; a waiting stream hears its position', () =>
  withGate({ workers: 1, maxQueued: 1, timeoutMs: 20_000 }, async (srv, gate) => {
    const first = post(srv);
    await until(() => gate.started === 1, 5000, 'the first generation to start');
    const second = post(srv, { headers: { Accept: 'text/event-stream' } });
    await until(async () => (await health(srv)).queued === 1, 5000, 'the second request to wait');
    const third = await post(srv);
    assert.equal(third.status, 429);
    assert.ok(Number(third.headers.get('retry-after')) >= 1);
    assert.equal(((await third.json()) as { error: { code: string } }).error.code, 'queue_full');
    gate.open();
    const r1 = await first;
    assert.equal(r1.status, 200);
    assert.equal(r1.headers.get('content-type'), 'image/png');
    const events = (await (await second).text())
      .split('\n\n')
      .filter((b) => b.startsWith('event:'))
      .map((b) => b.split('\n')[0]!.slice(7));
    assert.deepEqual(events, ['queued', 'started', 'progress', 'progress', 'result']);
    const h = await health(srv);
    assert.deepEqual([h.completed, h.rejected, h.running, h.queued], [2, 1, 0, 0]);
  }));

test('a client that disconnects cancels its job: a waiting one never runs, a running one is aborted', () =>
  withGate({ workers: 1, maxQueued: 4, timeoutMs: 20_000 }, async (srv, gate) => {
    const running = new AbortController();
    const waiting = new AbortController();
    const r1 = post(srv, { signal: running.signal }).catch((e: Error) => e);
    await until(() => gate.started === 1, 5000, 'the first generation to start');
    const r2 = post(srv, { signal: waiting.signal }).catch((e: Error) => e);
    await until(async () => (await health(srv)).queued === 1, 5000, 'the second request to wait');
    waiting.abort();
    await until(async () => (await health(srv)).queued === 0, 5000, 'the waiting job to leave the line');
    running.abort();
    await until(() => gate.signals[0]!.aborted, 5000, "the running generation's signal to abort");
    gate.open();
    await until(async () => (await health(srv)).running === 0, 5000, 'the aborted generation to stop');
    assert.equal(gate.started, 1, 'the cancelled waiting job never reached the generator');
    assert.equal((await health(srv)).cancelled, 2);
    assert.equal(((await r1) as Error).name, 'AbortError');
    assert.equal(((await r2) as Error).name, 'AbortError');
    // And the server goes on serving.
    assert.equal((await post(srv)).status, 200);
  }));

test('a request past its deadline fails with 503 timeout', () =>
  withGate({ workers: 1, maxQueued: 1, timeoutMs: 150 }, async (srv, gate) => {
    const res = await post(srv);
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'timeout');
    assert.equal(gate.signals[0]!.aborted, true);
  }));
