/**
 * The batches a GlueNet training run draws: paired rows of X and C in an order that is a pure
 * function of (seed, epoch), so a resumed run continues with the very batches it would have drawn.
 *
 * Two orders:
 * - global (default): a permutation of all rows per epoch — the same batches whether the features
 *   sit in memory or stream from shard folders (one feature row is tens to hundreds of KB, so
 *   reading rows at random positions costs about what reading them in order does on local disks);
 * - buffered (`shuffleBuffer` rows): blocks of `blockRows` consecutive rows are permuted per epoch,
 *   then rows are shuffled within each run of blocks that fits the buffer — every batch then reads
 *   from a few shards only, for storage where random access is slow (network file systems).
 *
 * Reading is prefetched: while step s trains, the rows of step s + 1 are read, so at most two
 * batches are held at once whatever the size of the set.
 */
import { Rng } from '../util/rng.js';
import type { FeatureSource } from './data.js';

export interface BatchStreamOptions {
  batchSize: number;
  seed: number;
  /** false: rows in stored order every epoch. */
  shuffle: boolean;
  /** Buffered shuffle: rows shuffled together (default: none, a global permutation). */
  shuffleBuffer?: number;
  /** Buffered shuffle: rows per block kept together (default 4096, extract's shard size). */
  blockRows?: number;
}

export interface PairedBatch {
  rows: number;
  /** Which rows of the sources these are (a loss term may pair them with data of its own). */
  indices: readonly number[];
  /** [rows, tokens_in, dim_in] */
  x: Float32Array;
  /** [rows, tokens_out, dim_out] */
  cond: Float32Array;
}

/** The row order of one epoch. */
export function epochOrder(n: number, epoch: number, o: BatchStreamOptions): number[] {
  if (!o.shuffle) return Array.from({ length: n }, (_, i) => i);
  const rng = new Rng(o.seed * 1000003 + epoch + 1);
  if (o.shuffleBuffer === undefined || o.shuffleBuffer >= n) return rng.permutation(n);
  const block = o.blockRows ?? 4096;
  if (!(Number.isInteger(o.shuffleBuffer) && o.shuffleBuffer > 0)) throw new Error(`shuffle buffer must be a positive number of rows, got ${o.shuffleBuffer}`);
  if (!(Number.isInteger(block) && block > 0)) throw new Error(`block size must be a positive number of rows, got ${block}`);
  const blocks = rng.permutation(Math.ceil(n / block));
  const perBuffer = Math.max(1, Math.floor(o.shuffleBuffer / block));
  const order: number[] = [];
  for (let b = 0; b < blocks.length; b += perBuffer) {
    const rows: number[] = [];
    for (const k of blocks.slice(b, b + perBuffer)) for (let r = k * block; r < Math.min(n, (k + 1) * block); r++) rows.push(r);
    for (const i of rng.permutation(rows.length)) order.push(rows[i]!);
  }
  return order;
}

/** Paired batches by step number, with the next step's rows read ahead. */
export class BatchStream {
  readonly stepsPerEpoch: number;
  private orderEpoch = -1;
  private order: number[] = [];
  private ahead: { step: number; batch: Promise<PairedBatch> } | null = null;

  constructor(
    private readonly x: FeatureSource,
    private readonly cond: FeatureSource,
    private readonly options: BatchStreamOptions,
  ) {
    if (x.rows !== cond.rows) throw new Error(`internal: paired sources differ in rows (${x.rows} vs ${cond.rows})`);
    if (!(Number.isInteger(options.batchSize) && options.batchSize > 0)) throw new Error(`batch size must be a positive integer, got ${options.batchSize}`);
    this.stepsPerEpoch = Math.ceil(x.rows / options.batchSize);
  }

  /** Row indices of global step `step` (epoch = step / stepsPerEpoch). */
  indices(step: number): number[] {
    const epoch = Math.floor(step / this.stepsPerEpoch);
    if (epoch !== this.orderEpoch) {
      this.order = epochOrder(this.x.rows, epoch, this.options);
      this.orderEpoch = epoch;
    }
    const k = step % this.stepsPerEpoch;
    return this.order.slice(k * this.options.batchSize, (k + 1) * this.options.batchSize);
  }

  /** The batch of `step`; starts reading step + 1 before returning. */
  async get(step: number): Promise<PairedBatch> {
    const pending = this.ahead?.step === step ? this.ahead.batch : this.read(step);
    this.ahead = null;
    const batch = await pending;
    const next = this.read(step + 1);
    next.catch(() => undefined); // surfaced when that step is drawn
    this.ahead = { step: step + 1, batch: next };
    return batch;
  }

  /** Waits for a read in flight (call before closing the sources). */
  async settle(): Promise<void> {
    await this.ahead?.batch.catch(() => undefined);
    this.ahead = null;
  }

  private async read(step: number): Promise<PairedBatch> {
    const idx = this.indices(step);
    const [x, cond] = await Promise.all([this.x.batch(idx), this.cond.batch(idx)]);
    return { rows: idx.length, indices: idx, x, cond };
  }
}
