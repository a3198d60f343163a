/**
 * A progress bar for long loops (training, sampling, dataset building):
 *
 *   train [#########...........] 45% 450/1000 12.3 it/s ETA 0:44 loss=0.123
 *
 * On a TTY the line is redrawn in place (`\r` + clear line), at most every `minRedrawMs` (default
 * 100 ms, ~10 per second). Elsewhere (CI logs, files) a plain line is printed each time progress
 * crosses a multiple of `everyPercent` (default 10%) or `everySeconds` (default 30 s) have passed
 * since the last line, so logs stay short. Writing never throws: once the stream is closed or
 * reports an error, the bar goes quiet.
 */

/** The part of a Writable stream the bar uses; process.stderr and fakes in tests satisfy it. */
export interface ProgressStream {
  write(chunk: string, callback?: (err?: Error | null) => void): boolean;
  isTTY?: boolean;
  /** Terminal width; lines are cut to fit. */
  columns?: number;
  writable?: boolean;
  destroyed?: boolean;
  writableEnded?: boolean;
  on?(event: 'error', listener: (err: Error) => void): unknown;
  off?(event: 'error', listener: (err: Error) => void): unknown;
}

export interface ProgressOptions {
  /** Number of steps to completion (>= 0). */
  total: number;
  /** Shown at the start of the line. */
  label?: string;
  /** Where to draw; default process.stderr. */
  stream?: ProgressStream;
  /** Characters inside the brackets; default 20. */
  barWidth?: number;
  /** TTY: least time between redraws, in ms; default 100. */
  minRedrawMs?: number;
  /** Non-TTY: print a line each time progress crosses a multiple of this percentage; default 10. */
  everyPercent?: number;
  /** Non-TTY: also print a line when this many seconds passed since the last one; default 30. */
  everySeconds?: number;
  /** Clock in milliseconds; default Date.now (tests pass a fake). */
  now?: () => number;
}

export type ProgressFields = Record<string, number | string>;

export class Progress {
  private readonly total: number;
  private readonly label: string;
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly barWidth: number;
  private readonly minRedrawMs: number;
  private readonly everyPercent: number;
  private readonly everySeconds: number;
  private readonly now: () => number;
  private readonly startMs: number;
  private count = 0;
  private fields: ProgressFields = {};
  private lastDrawMs = -Infinity;
  private lastPercentStep = 0;
  private lastLineCount = -1;
  private drewComplete = false;
  private finished = false;
  private dead = false;
  private readonly onError = (): void => {
    this.dead = true;
  };

  constructor(options: ProgressOptions) {
    const { total } = options;
    if (!Number.isFinite(total) || total < 0) {
      throw new Error(`Progress: total is ${total}; expected a finite number >= 0 (the number of steps)`);
    }
    this.total = total;
    this.label = options.label ?? '';
    this.stream = options.stream ?? process.stderr;
    this.tty = this.stream.isTTY === true;
    this.barWidth = options.barWidth ?? 20;
    this.minRedrawMs = options.minRedrawMs ?? 100;
    this.everyPercent = options.everyPercent ?? 10;
    this.everySeconds = options.everySeconds ?? 30;
    this.now = options.now ?? Date.now;
    this.startMs = this.now();
    this.lastDrawMs = this.startMs;
    // While the bar is alive it owns its stream's errors (e.g. EPIPE), so they do not crash the process.
    this.stream.on?.('error', this.onError);
  }

  /** Advance by `n` steps (default 1) and update the shown fields (merged with earlier ones). */
  tick(n = 1, fields?: ProgressFields): void {
    if (this.finished) return;
    this.count += n;
    if (fields) this.fields = { ...this.fields, ...fields };
    const now = this.now();
    if (this.tty) {
      // Always show reaching the total, once, even inside the throttle window.
      const justCompleted = this.count >= this.total && !this.drewComplete;
      if (now - this.lastDrawMs >= this.minRedrawMs || justCompleted) this.drawTty(now);
      return;
    }
    const percentStep = this.everyPercent > 0 ? Math.floor(this.percent() / this.everyPercent) : 0;
    if (percentStep > this.lastPercentStep || now - this.lastDrawMs >= this.everySeconds * 1000) {
      this.lastPercentStep = Math.max(this.lastPercentStep, percentStep);
      this.drawPlain(now);
    }
  }

  /** Finish: draw the final state (once) and end the line. Later ticks are ignored. */
  done(fields?: ProgressFields): void {
    if (this.finished) return;
    if (fields) this.fields = { ...this.fields, ...fields };
    const now = this.now();
    if (this.tty) {
      this.drawTty(now);
      this.write('\n');
    } else if (this.lastLineCount !== this.count) {
      this.drawPlain(now);
    }
    this.finished = true;
    this.stream.off?.('error', this.onError);
  }

  /** The status line as it would be drawn now (without `\r` or newline). */
  render(nowMs = this.now()): string {
    const percent = this.percent();
    const filled = Math.min(this.barWidth, Math.floor((percent / 100) * this.barWidth));
    const bar = '#'.repeat(filled) + '.'.repeat(this.barWidth - filled);
    const elapsed = (nowMs - this.startMs) / 1000;
    const rate = elapsed > 0 ? this.count / elapsed : 0;
    const left = Math.max(0, this.total - this.count);
    const eta = left === 0 ? '0:00' : rate > 0 ? formatDuration(left / rate) : '--:--';
    const parts = [
      ...(this.label ? [this.label] : []),
      `[${bar}]`,
      `${Math.floor(percent)}%`,
      `${this.count}/${this.total}`,
      `${formatRate(rate)} it/s`,
      `ETA ${eta}`,
      ...Object.entries(this.fields).map(([k, v]) => `${k}=${formatField(v)}`),
    ];
    return parts.join(' ');
  }

  private percent(): number {
    return this.total === 0 ? 100 : Math.min(100, (100 * this.count) / this.total);
  }

  private drawTty(now: number): void {
    this.lastDrawMs = now;
    if (this.count >= this.total) this.drewComplete = true;
    let line = this.render(now);
    const columns = this.stream.columns;
    if (columns !== undefined && columns > 1 && line.length > columns - 1) line = line.slice(0, columns - 1);
    this.write(`\r\x1b[2K${line}`);
  }

  private drawPlain(now: number): void {
    this.lastDrawMs = now;
    this.lastLineCount = this.count;
    this.write(`${this.render(now)}\n`);
  }

  private write(text: string): void {
    const s = this.stream;
    if (this.dead || s.destroyed === true || s.writableEnded === true || s.writable === false) {
      this.dead = true;
      return;
    }
    try {
      s.write(text, (err) => {
        if (err) this.dead = true;
      });
    } catch {
      this.dead = true;
    }
  }
}

/** Seconds as m:ss, or h:mm:ss from an hour up. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Iterations per second with three significant digits (no exponent below 1e6). */
export function formatRate(rate: number): string {
  if (!Number.isFinite(rate) || rate <= 0) return '0.00';
  if (rate >= 100) return String(Math.round(rate));
  return rate.toPrecision(3);
}

function formatField(value: number | string): string {
  if (typeof value === 'string') return value;
  if (Number.isInteger(value) || !Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(4)));
}
