/** The bounded job queue: order, refusal beyond the line, cancellation, deadlines, positions. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from '../../src/server/http-error.js';
import { JobQueue } from '../../src/server/queue.js';

/** A task the test finishes by hand. */
function manual(): { task: (signal: AbortSignal) => Promise<string>; finish: (v: string) => void; signal: () => AbortSignal | null } {
  let finish!: (v: string) => void;
  let seen: AbortSignal | null = null;
  const done = new Promise<string>((r) => (finish = r));
  return { task: (signal) => ((seen = signal), done), finish, signal: () => seen };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('one worker runs jobs in order; a full line is refused at once with 429 and Retry-After', async () => {
  const q = new JobQueue({ workers: 1, maxQueued: 2, timeoutMs: 10_000 });
  const jobs = [manual(), manual(), manual()];
  const order: string[] = [];
  const positions: number[][] = [[], [], []];
  const done = jobs.map((j, i) => q.submit(j.task, { onPosition: (p) => positions[i]!.push(p) }).then((v) => order.push(v)));
  assert.deepEqual([q.stats().running, q.stats().queued], [1, 2]);
  assert.throws(
    () => q.submit(manual().task),
    (e: unknown) => e instanceof HttpError && e.status === 429 && e.code === 'queue_full' && Number(e.headers['Retry-After']) >= 1,
  );
  jobs[0]!.finish('a');
  await tick();
  assert.deepEqual([q.stats().running, q.stats().queued], [1, 1]);
  assert.equal(jobs[2]!.signal(), null, 'the third job has not started');
  jobs[1]!.finish('b');
  jobs[2]!.finish('c');
  await Promise.all(done);
  assert.deepEqual(order, ['a', 'b', 'c']);
  assert.deepEqual(positions, [[], [1], [2, 1]]);
  const s = q.stats();
  assert.deepEqual([s.completed, s.rejected, s.running, s.queued], [3, 1, 0, 0]);
});

test('two workers run two jobs at once', async () => {
  const q = new JobQueue({ workers: 2, maxQueued: 0, timeoutMs: 10_000 });
  const a = manual();
  const b = manual();
  const pa = q.submit(a.task);
  const pb = q.submit(b.task);
  assert.equal(q.stats().running, 2);
  assert.throws(() => q.submit(manual().task), /busy/);
  a.finish('a');
  b.finish('b');
  assert.deepEqual(await Promise.all([pa, pb]), ['a', 'b']);
});

test('cancelling a waiting job removes it from the line; cancelling a running one aborts its signal but holds the worker until it stops', async () => {
  const q = new JobQueue({ workers: 1, maxQueued: 2, timeoutMs: 10_000 });
  const running = manual();
  const waiting = manual();
  const clientA = new AbortController();
  const clientB = new AbortController();
  const pa = q.submit(running.task, { signal: clientA.signal });
  const pb = q.submit(waiting.task, { signal: clientB.signal });
  clientB.abort();
  await assert.rejects(pb, (e: unknown) => e instanceof HttpError && e.status === 499);
  assert.equal(q.stats().queued, 0);
  clientA.abort();
  await assert.rejects(pa, (e: unknown) => e instanceof HttpError && e.code === 'cancelled');
  assert.equal(running.signal()?.aborted, true);
  assert.equal(q.stats().running, 1, 'the aborted task still holds its worker');
  const next = manual();
  const pn = q.submit(next.task);
  assert.equal(q.stats().queued, 1);
  running.finish('late');
  await tick();
  assert.equal(q.stats().running, 1);
  next.finish('n');
  assert.equal(await pn, 'n');
  assert.equal(waiting.signal(), null, 'the cancelled waiting job never ran');
  assert.equal(q.stats().cancelled, 2);
});

test('a job past its deadline fails with 503 and its signal aborts', async () => {
  const q = new JobQueue({ workers: 1, maxQueued: 1, timeoutMs: 50 });
  const slow = manual();
  const t0 = Date.now();
  await assert.rejects(q.submit(slow.task), (e: unknown) => e instanceof HttpError && e.status === 503 && e.code === 'timeout');
  assert.ok(Date.now() - t0 >= 45);
  assert.equal(slow.signal()?.aborted, true);
  slow.finish('x');
});

test('a task that throws rejects its job and frees the worker', async () => {
  const q = new JobQueue({ workers: 1, maxQueued: 0, timeoutMs: 1000 });
  await assert.rejects(
    q.submit(() => Promise.reject(new Error('boom'))),
    /boom/,
  );
  assert.equal(await q.submit(() => Promise.resolve(5)), 5);
  assert.deepEqual([q.stats().failed, q.stats().completed, q.stats().running], [1, 1, 0]);
});

test('bad options are refused', () => {
  assert.throws(() => new JobQueue({ workers: 0, maxQueued: 1, timeoutMs: 1 }), /workers 0/);
  assert.throws(() => new JobQueue({ workers: 1, maxQueued: -1, timeoutMs: 1 }), /max queued -1/);
});
