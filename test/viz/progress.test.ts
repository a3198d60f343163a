import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { formatDuration, formatRate, Progress, type ProgressStream } from '../../src/util/progress.js';

/** A stream that records writes; `isTTY` and `columns` as given. */
function fakeStream(isTTY: boolean, columns?: number): ProgressStream & { writes: string[] } {
  const writes: string[] = [];
  const s: ProgressStream & { writes: string[] } = {
    writes,
    isTTY,
    write(chunk: string) {
      writes.push(chunk);
      return true;
    },
  };
  if (columns !== undefined) s.columns = columns;
  return s;
}
/** A clock the test moves by hand, in milliseconds. */
function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

test('formatDuration and formatRate', () => {
  assert.equal(formatDuration(0), '0:00');
  assert.equal(formatDuration(44), '0:44');
  assert.equal(formatDuration(59.6), '1:00');
  assert.equal(formatDuration(754), '12:34');
  assert.equal(formatDuration(3600), '1:00:00');
  assert.equal(formatDuration(3725), '1:02:05');
  assert.equal(formatDuration(NaN), '--:--');
  assert.equal(formatRate(12.2951), '12.3');
  assert.equal(formatRate(0.5), '0.500');
  assert.equal(formatRate(1234.5), '1235');
  assert.equal(formatRate(0), '0.00');
});

test('the status line shows bar, percent, count, rate, ETA and fields', () => {
  const clock = fakeClock();
  const p = new Progress({ total: 1000, label: 'train', stream: fakeStream(false), now: clock.now });
  clock.advance(36_600);
  p.tick(450, { loss: 0.12345, step: 'warmup' });
  // 450 in 36.6 s = 12.295 it/s; 550 left / 12.295 = 44.7 s -> 0:45. 45% of 20 = 9 '#'.
  assert.equal(p.render(), `train [${'#'.repeat(9)}${'.'.repeat(11)}] 45% 450/1000 12.3 it/s ETA 0:45 loss=0.1235 step=warmup`);
  p.tick(0, { loss: 0.1 });
  assert.match(p.render(), / loss=0\.1 step=warmup$/);
  const fresh = new Progress({ total: 10, stream: fakeStream(false), now: clock.now });
  assert.equal(fresh.render(), '[....................] 0% 0/10 0.00 it/s ETA --:--');
});

test('TTY: redraws in place at most every 100 ms, always shows completion, ends the line on done()', () => {
  const clock = fakeClock();
  const stream = fakeStream(true);
  const p = new Progress({ total: 1000, label: 'x', stream, now: clock.now });
  for (let i = 0; i < 1000; i++) {
    clock.advance(10); // 1000 ticks over 10 s
    p.tick();
  }
  // One redraw per 100 ms = 100 over 10 s (the last one shows 1000/1000).
  assert.equal(stream.writes.length, 100);
  assert.ok(stream.writes.every((w) => w.startsWith('\r\x1b[2K')));
  assert.match(stream.writes.at(-1)!, /100% 1000\/1000/);
  p.done();
  assert.equal(stream.writes.at(-1), '\n');
  p.tick();
  p.done();
  assert.equal(stream.writes.length, 102, 'nothing is drawn after done()');
  // Completion inside the throttle window is still shown.
  const quick = fakeStream(true);
  const q = new Progress({ total: 3, stream: quick, now: clock.now });
  q.tick(3);
  assert.equal(quick.writes.length, 1);
  assert.match(quick.writes[0]!, /100% 3\/3/);
});

test('TTY: lines are cut to the terminal width', () => {
  const clock = fakeClock();
  const stream = fakeStream(true, 30);
  const p = new Progress({ total: 10, label: 'a-long-label', stream, now: clock.now });
  clock.advance(1000);
  p.tick(5, { loss: 1.5 });
  assert.equal(stream.writes[0], `\r\x1b[2K${'a-long-label [##########......'.slice(0, 29)}`);
});

test('non-TTY: one plain line per 10% and per 30 s, no carriage returns, no duplicate line on done()', () => {
  const clock = fakeClock();
  const stream = fakeStream(false);
  const p = new Progress({ total: 1000, stream, now: clock.now });
  for (let i = 0; i < 1000; i++) {
    clock.advance(1);
    p.tick();
  }
  p.done();
  assert.equal(stream.writes.length, 10);
  assert.ok(stream.writes.every((w) => !w.includes('\r') && w.endsWith('\n')));
  assert.deepEqual(
    stream.writes.map((w) => w.match(/ (\d+)% /)![1]),
    ['10', '20', '30', '40', '50', '60', '70', '80', '90', '100'],
  );

  const slow = fakeStream(false);
  const s = new Progress({ total: 1000, stream: slow, now: clock.now });
  for (let i = 0; i < 7; i++) {
    clock.advance(10_000); // t = 10 s .. 70 s, 0.7% done: lines at 30 s and 60 s only
    s.tick();
  }
  assert.equal(slow.writes.length, 2);
  assert.match(slow.writes[0]!, / 3\/1000 /);
  s.done();
  assert.equal(slow.writes.length, 3);
  assert.match(slow.writes[2]!, / 7\/1000 /);
});

test('total 0 is complete at once; a bad total is a clear error', () => {
  const stream = fakeStream(false);
  new Progress({ total: 0, stream }).done();
  assert.match(stream.writes[0]!, /100% 0\/0 .* ETA 0:00/);
  assert.throws(() => new Progress({ total: NaN }), /Progress: total is NaN; expected a finite number >= 0/);
  assert.throws(() => new Progress({ total: -1 }), /total is -1/);
});

test('never throws when the stream is closed, destroyed, broken or throwing', async () => {
  const ended = new PassThrough();
  ended.end();
  const a = new Progress({ total: 2, stream: ended, minRedrawMs: 0, everyPercent: 1 });
  a.tick();
  a.done();

  const broken = new PassThrough();
  const b = new Progress({ total: 100, stream: broken, minRedrawMs: 0, everyPercent: 1 });
  b.tick();
  broken.destroy(new Error('EPIPE')); // would be an uncaught 'error' event without the bar's listener
  await new Promise((r) => setImmediate(r));
  b.tick();
  b.tick();
  b.done();

  const throwing: ProgressStream = {
    isTTY: true,
    write() {
      throw new Error('closed');
    },
  };
  const c = new Progress({ total: 5, stream: throwing, minRedrawMs: 0 });
  c.tick();
  c.done();
  await new Promise((r) => setImmediate(r));
});
