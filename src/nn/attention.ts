/**
 * Multi-head scaled dot-product attention (Vaswani et al. 2017), self or cross: queries from x,
 * keys and values from `context` (x itself when omitted). Parameter names follow PyTorch's
 * diffusers Attention block (`to_q`, `to_k`, `to_v`, `to_out`), so weights read like a UNet's.
 */
import type { Tensor } from '../engine/ir.js';
import { fmt, ShapeError } from '../engine/shape.js';
import { join, Linear } from './layers.js';

export interface AttentionConfig {
  /** Width of the queries' input and of the output. */
  dim: number;
  /** Number of heads; dim must split evenly into them. */
  heads: number;
  /** Width of the context (cross-attention); defaults to dim (self-attention). */
  contextDim?: number;
}

export class MultiHeadAttention {
  readonly headDim: number;

  constructor(
    readonly name: string,
    readonly config: AttentionConfig,
  ) {
    if (config.dim % config.heads !== 0) {
      throw new ShapeError(`attention '${name}': dim ${config.dim} does not split into ${config.heads} heads`);
    }
    this.headDim = config.dim / config.heads;
  }

  /**
   * x [B, N, dim], context [B, M, contextDim] -> [B, N, dim]. `bias`, broadcastable to
   * [B, heads, N, M], is added to the scores before the softmax (e.g. a causal mask of -1e9).
   */
  forward(x: Tensor, context?: Tensor, bias?: Tensor): Tensor {
    const { dim, heads } = this.config;
    const ctx = context ?? x;
    const kvDim = this.config.contextDim ?? dim;
    if (x.size(-1) !== dim) throw new ShapeError(`attention '${this.name}': input ${fmt(x.shape)} is not [B, N, ${dim}]`);
    if (ctx.size(-1) !== kvDim) throw new ShapeError(`attention '${this.name}': context ${fmt(ctx.shape)} is not [B, M, ${kvDim}]`);
    const b = x.shape[0]!;
    const n = x.size(1);
    const m = ctx.size(1);
    const d = this.headDim;
    // [B, L, dim] -> [B, heads, L, d]
    const split = (t: Tensor, len: number): Tensor => t.reshape([b, len, heads, d]).transpose([0, 2, 1, 3]);
    const q = split(new Linear(join(this.name, 'to_q'), dim, dim, false).forward(x), n);
    const k = split(new Linear(join(this.name, 'to_k'), kvDim, dim, false).forward(ctx), m);
    const v = split(new Linear(join(this.name, 'to_v'), kvDim, dim, false).forward(ctx), m);
    let scores = q.matmul(k.T).mul(1 / Math.sqrt(d)); // [B, heads, N, M]
    if (bias) scores = scores.add(bias);
    const mixed = scores.softmax(-1).matmul(v); // [B, heads, N, d]
    const merged = mixed.transpose([0, 2, 1, 3]).reshape([b, n, dim]);
    return new Linear(join(this.name, 'to_out'), dim, dim).forward(merged);
  }
}

/** Additive causal mask [N, N]: 0 on and below the diagonal, -1e9 above (token i sees tokens <= i). */
export function causalBias(x: Tensor, n: number): Tensor {
  const data = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) data[i * n + j] = -1e9;
  return x.graph.constant(data, [n, n]);
}
