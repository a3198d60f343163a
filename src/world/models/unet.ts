/**
 * The world generator's denoiser: a small conditional U-Net over 32x32 RGB or, in the shipped latent
 * model, over the autoencoder's 8x8x4 latents (Ronneberger et al. 2015; Ho et al. 2020; Rombach et
 * al. 2022 for latents and the cross-attention to text tokens). It keeps Stable
 * Diffusion's UNet interface — (sample [B, 3, H, W], timestep [B], encoder_hidden_states [B, T, D])
 * -> out_sample — so the same sampling code drives it and a real SD UNet.
 *
 * Choices made for a 2-core CPU budget (see the build report): ResBlocks with GroupNorm and a
 * FiLM (scale, shift) of the timestep + pooled-text embedding, cross-attention to the text tokens at
 * the lower resolutions, skip connections, and two constant coordinate channels at the input so the
 * translation-equivariant convolutions can place an object where the text says.
 */
import * as F from '../../engine/functional.js';
import type { Graph, Tensor } from '../../engine/ir.js';
import type { UNetConfig } from '../../generators/world/config.js';
import { MultiHeadAttention } from '../../nn/attention.js';
import { Conv, GroupNorm, join, LayerNorm, Linear } from '../../nn/layers.js';

export type { UNetConfig };

export const DEFAULT_UNET: UNetConfig = {
  imageSize: 32,
  channels: 3,
  base: 32,
  mults: [1, 2, 3],
  attnLevels: [1, 2],
  contextTokens: 16,
  contextDim: 128,
  heads: 4,
  groups: 8,
  timeFreqs: 32,
};

export const silu = (x: Tensor): Tensor => x.mul(x.sigmoid());

/** Sinusoidal embedding of t [B] -> [B, 2 * freqs], cos first (diffusers' flip_sin_to_cos). */
export function timestepFeatures(t: Tensor, freqs: number, maxPeriod = 10000): Tensor {
  const f = new Float32Array(freqs);
  for (let i = 0; i < freqs; i++) f[i] = Math.exp((-Math.log(maxPeriod) * i) / freqs);
  const args = t.reshape([t.shape[0]!, 1]).mul(t.graph.constant(f, [1, freqs])); // [B, freqs]
  return F.concat([args.cos(), args.sin()], 1);
}

/** GroupNorm -> SiLU -> conv3x3, twice; the embedding modulates the second norm (scale, shift). */
function resBlock(name: string, x: Tensor, inC: number, outC: number, emb: Tensor, embDim: number, groups: number): Tensor {
  let h = new Conv(join(name, 'conv1'), inC, outC, 3, 2, { padding: 1 }).forward(silu(new GroupNorm(join(name, 'norm1'), groups, inC).forward(x)));
  const film = new Linear(join(name, 'emb_proj'), embDim, 2 * outC).forward(silu(emb)); // [B, 2C]
  const b = x.shape[0]!;
  const scale = film.slice(1, 0, outC).reshape([b, outC, 1, 1]);
  const shift = film.slice(1, outC, 2 * outC).reshape([b, outC, 1, 1]);
  h = new GroupNorm(join(name, 'norm2'), groups, outC).forward(h).mul(scale.add(1)).add(shift);
  h = new Conv(join(name, 'conv2'), outC, outC, 3, 2, { padding: 1 }).forward(silu(h));
  const skip = inC === outC ? x : new Conv(join(name, 'skip'), inC, outC, 1, 2).forward(x);
  return skip.add(h);
}

/** x + cross-attention of the pixels (as tokens) to the text tokens, then a per-pixel MLP. */
function crossAttnBlock(name: string, x: Tensor, c: number, side: number, context: Tensor, cfg: UNetConfig): Tensor {
  const b = x.shape[0]!;
  const n = side * side;
  const tokens = new GroupNorm(join(name, 'norm'), cfg.groups, c).forward(x).reshape([b, c, n]).transpose([0, 2, 1]); // [B, HW, C]
  const attn = new MultiHeadAttention(join(name, 'attn'), { dim: c, heads: cfg.heads, contextDim: cfg.contextDim });
  let h = tokens.add(attn.forward(new LayerNorm(join(name, 'ln_attn'), c).forward(tokens), context));
  const ff = new Linear(join(name, 'ff.fc2'), 2 * c, c).forward(
    F.gelu(new Linear(join(name, 'ff.fc1'), c, 2 * c).forward(new LayerNorm(join(name, 'ln_ff'), c).forward(h))),
  );
  h = h.add(ff);
  const out = new Linear(join(name, 'proj_out'), c, c).forward(h).transpose([0, 2, 1]).reshape([b, c, side, side]);
  return x.add(out);
}

/** Two constant channels: x and y in [-1, 1] at pixel centres, [1, 2, S, S]. */
function coordinateChannels(g: Graph, side: number): Tensor {
  const data = new Float32Array(2 * side * side);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      data[y * side + x] = ((x + 0.5) / side) * 2 - 1;
      data[side * side + y * side + x] = ((y + 0.5) / side) * 2 - 1;
    }
  }
  return g.constant(data, [1, 2, side, side]);
}

/** The denoiser: sample [B, C, S, S], timestep [B] (float), context [B, T, D] -> [B, C, S, S]. */
export function unet(sample: Tensor, timestep: Tensor, context: Tensor, cfg: UNetConfig): Tensor {
  const g = sample.graph;
  const b = sample.shape[0]!;
  const s = cfg.imageSize;
  const embDim = 4 * cfg.base;
  // Timestep embedding plus the mean text token (SDXL-style pooled conditioning, here from the tokens;
  // a linear probe reads the object back from the mean more often than from the BOS state).
  let emb = new Linear('time_embedding.linear_1', 2 * cfg.timeFreqs, embDim).forward(timestepFeatures(timestep, cfg.timeFreqs));
  emb = new Linear('time_embedding.linear_2', embDim, embDim).forward(silu(emb));
  const pooled = context.mean([1]); // [B, D]
  emb = emb.add(
    new Linear('text_embedding.linear_2', embDim, embDim).forward(silu(new Linear('text_embedding.linear_1', cfg.contextDim, embDim).forward(pooled))),
  );

  const coords = coordinateChannels(g, s).expand([b, 2, s, s]);
  let h = new Conv('conv_in', cfg.channels + 2, cfg.base, 3, 2, { padding: 1 }).forward(F.concat([sample, coords], 1));
  let ch = cfg.base;
  const skips: { t: Tensor; c: number }[] = [];
  const widths = cfg.mults.map((m) => m * cfg.base);
  let side = s;
  widths.forEach((w, i) => {
    h = resBlock(`down.${i}.res`, h, ch, w, emb, embDim, cfg.groups);
    ch = w;
    if (cfg.attnLevels.includes(i)) h = crossAttnBlock(`down.${i}.attn`, h, ch, side, context, cfg);
    skips.push({ t: h, c: ch });
    if (i < widths.length - 1) {
      h = new Conv(`down.${i}.downsample`, ch, ch, 3, 2, { stride: 2, padding: 1 }).forward(h);
      side /= 2;
    }
  });
  h = resBlock('mid.res1', h, ch, ch, emb, embDim, cfg.groups);
  h = crossAttnBlock('mid.attn', h, ch, side, context, cfg);
  h = resBlock('mid.res2', h, ch, ch, emb, embDim, cfg.groups);
  for (let i = widths.length - 1; i >= 0; i--) {
    const skip = skips[i]!;
    h = resBlock(`up.${i}.res`, F.concat([h, skip.t], 1), ch + skip.c, widths[i]!, emb, embDim, cfg.groups);
    ch = widths[i]!;
    if (cfg.attnLevels.includes(i)) h = crossAttnBlock(`up.${i}.attn`, h, ch, side, context, cfg);
    if (i > 0) {
      h = new Conv(`up.${i}.upsample`, ch, ch, 3, 2, { padding: 1 }).forward(F.upsampleNearest2d(h, 2));
      side *= 2;
    }
  }
  h = silu(new GroupNorm('norm_out', cfg.groups, ch).forward(h));
  return new Conv('conv_out', ch, cfg.channels, 3, 2, { padding: 1 }).forward(h);
}
