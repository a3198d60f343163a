/**
 * A bounded job queue for CPU-bound work: at most `workers` jobs run at once, at most `maxQueued`
 * wait; beyond that submit() refuses at once with a 429 carrying a Retry-After estimate. Each job
 * has a deadline (waiting + running) and may be cancelled (client gone): a waiting job leaves the
 * queue, a running one sees its AbortSignal fire. A worker slot is freed only when the task has
 * really stopped, since an aborted generation still holds the CPU until its current step ends.
 */
import { HttpError } from './http-error.js';

export interface QueueOptions {
  /** Jobs run at the same time (one generation per worker). */
  workers: number; // 1
  /** Jobs that may wait for a worker; one more is refused with 429. */
  maxQueued: number; // 8
  /** Deadline of a job from submission, ms (waiting included). */
  timeoutMs: number; // 300_000
}

export interface JobHooks {
  /** Aborts the job (e.g. the client disconnected). */
  signal?: AbortSignal;
  /** The job's place in the line (1 = next) whenever it changes while waiting. */
  onPosition?: (position: number) => void;
  onStart?: () => void;
}

export interface QueueStats {
  workers: number;
  maxQueued: number;
  running: number;
  queued: number;
  completed: number;
  failed: number;
  cancelled: number;
  rejected: number;
  /** Mean duration of recent jobs, seconds (0 before the first). */
  meanSeconds: number;
}

interface Waiting {
  start(): void;
  hooks: JobHooks;
}

/** The error a job ends with when its deadline passes. */
export const timeoutError = (ms: number): HttpError =>
  new HttpError(503, 'timeout', `the generation did not finish within ${(ms / 1000).toFixed(0)} s; try fewer steps, fewer images or a smaller size`);

export const cancelledError = (): HttpError => new HttpError(499, 'cancelled', 'the request was cancelled by the client');

export class JobQueue {
  private running = 0;
  private readonly waiting: Waiting[] = [];
  private counts = { completed: 0, failed: 0, cancelled: 0, rejected: 0 };
  private meanMs = 0;

  constructor(readonly options: QueueOptions) {
    const { workers, maxQueued, timeoutMs } = options;
    if (!(Number.isInteger(workers) && workers >= 1)) throw new Error(`queue: workers ${workers} must be an integer >= 1`);
    if (!(Number.isInteger(maxQueued) && maxQueued >= 0)) throw new Error(`queue: max queued ${maxQueued} must be an integer >= 0`);
    if (!(timeoutMs > 0)) throw new Error(`queue: timeout ${timeoutMs} ms must be > 0`);
  }

  stats(): QueueStats {
    const { workers, maxQueued } = this.options;
    return { workers, maxQueued, running: this.running, queued: this.waiting.length, ...this.counts, meanSeconds: this.meanMs / 1000 };
  }

  /** Seconds until a slot is likely free: the mean job time x the jobs ahead per worker (at least 1). */
  retryAfterSeconds(): number {
    const ahead = this.running + this.waiting.length;
    const mean = this.meanMs > 0 ? this.meanMs : 1000;
    return Math.max(1, Math.ceil((mean * ahead) / this.options.workers / 1000));
  }

  /**
   * Runs `task` when a worker is free. Throws HttpError 429 at once (synchronously, so a caller can
   * still answer with a plain status) when the line is full; the promise rejects with 503 on the
   * deadline and 499 when hooks.signal aborts, and otherwise settles as the task does.
   */
  submit<T>(task: (signal: AbortSignal) => Promise<T>, hooks: JobHooks = {}): Promise<T> {
    if (hooks.signal?.aborted) throw cancelledError();
    const busy = this.running >= this.options.workers;
    if (busy && this.waiting.length >= this.options.maxQueued) {
      this.counts.rejected++;
      const retry = this.retryAfterSeconds();
      throw new HttpError(
        429,
        'queue_full',
        `the server is busy: ${this.running} generation(s) running and ${this.waiting.length} waiting (the most it queues); retry in about ${retry} s`,
        undefined,
        {
          'Retry-After': String(retry),
        },
      );
    }
    return new Promise<T>((resolve, reject) => {
      const controller = new AbortController();
      let settled = false;
      let entry: Waiting | null = null;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        hooks.signal?.removeEventListener('abort', onCancel);
        fn();
      };
      const stop = (e: HttpError): void => {
        if (settled) return;
        if (entry) {
          const i = this.waiting.indexOf(entry);
          if (i >= 0) {
            this.waiting.splice(i, 1);
            this.announcePositions();
          }
        }
        if (e.code === 'cancelled') this.counts.cancelled++;
        else this.counts.failed++;
        controller.abort(e);
        finish(() => reject(e));
      };
      const onCancel = (): void => stop(cancelledError());
      const timer = setTimeout(() => stop(timeoutError(this.options.timeoutMs)), this.options.timeoutMs);
      hooks.signal?.addEventListener('abort', onCancel, { once: true });

      const start = (): void => {
        entry = null;
        this.running++;
        const began = Date.now();
        hooks.onStart?.();
        let result: Promise<T>;
        try {
          result = task(controller.signal);
        } catch (e) {
          result = Promise.reject(e);
        }
        // The worker is free again before the job settles, so a caller that awaits it sees it free.
        result.then(
          (value) => {
            this.running--;
            this.meanMs = this.meanMs === 0 ? Date.now() - began : 0.8 * this.meanMs + 0.2 * (Date.now() - began);
            if (!settled) this.counts.completed++;
            finish(() => resolve(value));
            this.next();
          },
          (e: unknown) => {
            this.running--;
            if (!settled) this.counts.failed++;
            finish(() => reject(e));
            this.next();
          },
        );
      };
      if (!busy) {
        start();
      } else {
        entry = { start, hooks };
        this.waiting.push(entry);
        hooks.onPosition?.(this.waiting.length);
      }
    });
  }

  private next(): void {
    while (this.running < this.options.workers && this.waiting.length > 0) {
      this.waiting.shift()!.start();
      this.announcePositions();
    }
  }

  private announcePositions(): void {
    this.waiting.forEach((w, i) => w.hooks.onPosition?.(i + 1));
  }
}
