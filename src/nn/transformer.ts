/**
 * Pre-LayerNorm transformer blocks (as GPT-2 / CLIP): x + attn(ln1 x), then x + mlp(ln2 x), with an
 * exact-GELU MLP of width mlpRatio * dim.
 */
import * as F from '../engine/functional.js';
import type { Tensor } from '../engine/ir.js';
import { MultiHeadAttention } from './attention.js';
import { join, LayerNorm, Linear } from './layers.js';

export interface TransformerConfig {
  dim: number; // token width
  heads: number; // attention heads per block
  layers: number; // number of blocks
  mlpRatio: number; // hidden width of the MLP / dim (4 in GPT-2 and CLIP)
}

/** Two-layer GELU MLP: dim -> hidden -> dim. */
export function mlp(name: string, x: Tensor, dim: number, hidden: number): Tensor {
  const h = F.gelu(new Linear(join(name, 'fc1'), dim, hidden).forward(x));
  return new Linear(join(name, 'fc2'), hidden, dim).forward(h);
}

/** One block; `bias` is passed to self-attention (e.g. a causal mask). */
export function transformerBlock(name: string, x: Tensor, cfg: TransformerConfig, bias?: Tensor): Tensor {
  const attn = new MultiHeadAttention(join(name, 'attn'), { dim: cfg.dim, heads: cfg.heads });
  const h = x.add(attn.forward(new LayerNorm(join(name, 'ln1'), cfg.dim).forward(x), undefined, bias));
  const m = mlp(join(name, 'mlp'), new LayerNorm(join(name, 'ln2'), cfg.dim).forward(h), cfg.dim, cfg.dim * cfg.mlpRatio);
  return h.add(m);
}

/** A stack of blocks `${name}.layers.${i}` over x [B, N, dim]. */
export function transformerStack(name: string, x: Tensor, cfg: TransformerConfig, bias?: Tensor): Tensor {
  let h = x;
  for (let i = 0; i < cfg.layers; i++) h = transformerBlock(join(name, `layers.${i}`), h, cfg, bias);
  return h;
}
