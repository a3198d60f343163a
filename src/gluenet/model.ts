/**
 * GlueNet's three networks on the engine, with the GlueGen release's module structure and
 * PyTorch state-dict names (`aligner.blocks.0.net_sen.0.weight`, ...):
 *
 *   aligner        new-encoder features [B, Tn, Dn] -> generator space [B, Tg, Dg]
 *   decoder        generator space -> new-encoder space (training only: keeps information)
 *   discriminator  one token vector [Dg] -> log p(old encoder), log p(aligned)
 *
 * Building block: an MLP-Mixer-like "translator block" with a channel MLP (net_sen, on the last
 * axis) and a token MLP (net_tok, on the token axis after a transpose).
 */

import { gelu } from '../engine/functional.js';
import type { Tensor } from '../engine/ir.js';
import { BatchNorm, join, LayerNorm, Linear } from '../nn/layers.js';
import { decoderShape, type GlueNetConfig } from './config.js';

/**
 * Linear -> [LN] -> GELU -> Linear -> [LN] -> GELU -> Linear -> [LN | GELU], as an nn.Sequential:
 * with LayerNorm the Linear layers sit at indices 0, 3, 6 and the norms at 1, 4, 7; without, at 0, 2, 4.
 */
function mixerMlp(prefix: string, x: Tensor, dims: [number, number, number], out: number, norm: boolean, finalGelu = false): Tensor {
  const [inDim, hidden] = [dims[0], dims[1]];
  const step = norm ? 3 : 2;
  let h = new Linear(join(prefix, '0'), inDim, hidden).forward(x);
  if (norm) h = new LayerNorm(join(prefix, '1'), hidden).forward(h);
  h = gelu(h);
  h = new Linear(join(prefix, String(step)), hidden, hidden).forward(h);
  if (norm) h = new LayerNorm(join(prefix, '4'), hidden).forward(h);
  h = gelu(h);
  h = new Linear(join(prefix, String(2 * step)), hidden, out).forward(h);
  if (norm) h = new LayerNorm(join(prefix, '7'), out).forward(h);
  else if (finalGelu) h = gelu(h);
  return h;
}

const swapTokens = (x: Tensor): Tensor => x.transpose([0, 2, 1]); // [B, T, D] <-> [B, D, T]

/**
 * Channel MLP first, then token MLP ("translator_base" / "translator_base_noln"); residuals inside
 * when the width is kept. x: [B, T, D] -> [B, T, Dout].
 */
function blockChannelFirst(name: string, x: Tensor, t: number, d: number, dOut: number, mult: number, norm: boolean): Tensor {
  const sen = mixerMlp(join(name, 'net_sen'), x, [d, d * mult, d * mult], dOut, norm);
  const residual = d === dOut;
  let h = residual ? sen.add(x) : sen;
  h = swapTokens(h);
  const tok = mixerMlp(join(name, 'net_tok'), h, [t, t * mult, t * mult], t, norm);
  return swapTokens(residual ? tok.add(h) : tok);
}

/** Token MLP first, then channel MLP, both with residuals ("translator_base_v1"; width and tokens kept). */
function blockTokenFirst(name: string, x: Tensor, t: number, d: number, mult: number): Tensor {
  const xt = swapTokens(x);
  const h = swapTokens(mixerMlp(join(name, 'net_tok'), xt, [t, t * mult, t * mult], t, true).add(xt));
  return mixerMlp(join(name, 'net_sen'), h, [d, d * mult, d * mult], d, true).add(h);
}

/**
 * Changes tokens and width: token MLP tIn -> tIn*m -> tIn*m -> tOut, then channel MLP
 * dIn -> dIn*m -> dIn*m -> dOut ("translator_tok_dim_v1"); the LN-free variant ends its channel MLP with GELU.
 */
function blockTokensAndWidth(
  name: string,
  x: Tensor,
  tIn: number,
  tOut: number,
  dIn: number,
  dOut: number,
  mult: number,
  norm: boolean,
  finalGelu = !norm,
): Tensor {
  const h = swapTokens(mixerMlp(join(name, 'net_tok'), swapTokens(x), [tIn, tIn * mult, tIn * mult], tOut, norm));
  return mixerMlp(join(name, 'net_sen'), h, [dIn, dIn * mult, dIn * mult], dOut, norm, finalGelu);
}

export interface Shape4 {
  tokens_in: number;
  tokens_out: number;
  dim_in: number;
  dim_out: number;
}

/** One translator network of the configured family, under `prefix`. x: [B, tokens_in, dim_in]. */
export function translator(prefix: string, x: Tensor, arch: GlueNetConfig['arch'], s: Shape4, mult: number, depth: number, finalGelu = true): Tensor {
  const { tokens_in: tIn, tokens_out: tOut, dim_in: dIn, dim_out: dOut } = s;
  let h = x;
  if (arch === 'linear') {
    // y = W_tok x W_ch + b: each output token a linear mix of the input tokens, then one width map.
    const mixed = swapTokens(new Linear(join(prefix, 'tok'), tIn, tOut).forward(swapTokens(x)));
    return new Linear(join(prefix, 'sen'), dIn, dOut).forward(mixed);
  }
  if (arch === 'translator' || arch === 'translator_noln') {
    // x = gelu(block(x) + x) for each block, then the width-changing tail.
    for (let i = 0; i < depth; i++) h = gelu(blockChannelFirst(join(prefix, `blocks.${i}`), h, tIn, dIn, dIn, mult, true).add(h));
    return blockChannelFirst(join(prefix, 'tail'), h, tIn, dIn, dOut, mult, arch === 'translator');
  }
  for (let i = 0; i < 3; i++) h = gelu(blockTokenFirst(join(prefix, `in_blocks.${i}`), h, tIn, dIn, mult).add(h));
  h = blockTokensAndWidth(join(prefix, 'trans'), h, tIn, tOut, dIn, dOut, mult, true);
  for (let i = 0; i < depth - 3; i++) h = gelu(blockTokenFirst(join(prefix, `out_blocks.${i}`), h, tOut, dOut, mult).add(h));
  const t1 = blockTokensAndWidth(join(prefix, 'tail_1'), h, tOut, tOut, dOut, dOut, mult, false);
  return blockTokensAndWidth(join(prefix, 'tail_2'), gelu(t1.add(h)), tOut, tOut, dOut, dOut, mult, false, finalGelu);
}

export function aligner(cfg: GlueNetConfig, x: Tensor): Tensor {
  return translator('aligner', x, cfg.arch, cfg, cfg.mult, cfg.depth, cfg.final_gelu ?? true);
}

export function decoder(cfg: GlueNetConfig, y: Tensor): Tensor {
  return translator('decoder', y, cfg.arch, decoderShape(cfg), cfg.mult, cfg.depth, cfg.final_gelu ?? true);
}

/**
 * Token discriminator: Linear(Dg, h) -> BatchNorm1d(h) -> ReLU -> Linear(h, 2) -> LogSoftmax, on
 * token vectors [N, Dg]; the gradient reversal in front is the caller's (it belongs to the loss).
 */
export function discriminator(cfg: GlueNetConfig, tokens: Tensor): Tensor {
  const hidden = Math.floor(cfg.dim_out * cfg.disc_mult);
  let h = new Linear('discriminator.net.0', cfg.dim_out, hidden).forward(tokens);
  h = new BatchNorm('discriminator.net.1', hidden).forward(h).relu();
  return new Linear('discriminator.net.3', hidden, 2).forward(h).logSoftmax(-1);
}
