/**
 * The world's native text encoder ("mini-CLIP text"): token + learned position embeddings, a
 * bidirectional pre-LN transformer and a final LayerNorm. Its last_hidden_state [B, T, D] conditions
 * the generator, as CLIP ViT-L's does for Stable Diffusion. The BOS token's state, projected,
 * is the pooled text embedding that CLIP-style contrastive training aligns with a small image
 * encoder (clipImageNet), trained jointly and discarded afterwards.
 */
import type { Tensor } from '../../engine/ir.js';
import { Conv, Embedding, LayerNorm, Linear } from '../../nn/layers.js';
import { type TransformerConfig, transformerStack } from '../../nn/transformer.js';

export interface TextEncoderConfig extends TransformerConfig {
  vocabSize: number; // word-level vocabulary incl. the 5 specials
  maxTokens: number; // T: every prompt is padded / truncated to this many tokens
  embedDim: number; // width of the joint text-image embedding (contrastive space)
}

export const DEFAULT_TEXT_ENCODER: Omit<TextEncoderConfig, 'vocabSize'> = {
  maxTokens: 16,
  dim: 128,
  heads: 4,
  layers: 3,
  mlpRatio: 4,
  embedDim: 64,
};

/** input_ids [B, T] int64 -> last_hidden_state [B, T, D] and text_embeds [B, embedDim] (not normalised). */
export function textEncoderNet(ids: Tensor, cfg: TextEncoderConfig): { lastHiddenState: Tensor; textEmbeds: Tensor } {
  const g = ids.graph;
  const tok = new Embedding('embeddings.token_embedding', cfg.vocabSize, cfg.dim, 0.02).forward(ids);
  const pos = g.param('embeddings.position_embedding.weight', [cfg.maxTokens, cfg.dim], { kind: 'normal', std: 0.01 });
  const x = tok.add(pos);
  const h = transformerStack('encoder', x, cfg);
  const last = new LayerNorm('final_layer_norm', cfg.dim).forward(h);
  const bos = last.slice(1, 0, 1).reshape([ids.shape[0]!, cfg.dim]);
  const textEmbeds = new Linear('text_projection', cfg.dim, cfg.embedDim, false).forward(bos);
  return { lastHiddenState: last, textEmbeds };
}

/**
 * The contrastive partner: pixels [B, 3, 32, 32] in [-1, 1] -> image embeds [B, embedDim]. Six
 * 3x3 convs (every second one halves the side) and a flattened 4x4 map: a tower too weak to tell the
 * object silhouettes apart (the first build's four stride-2 convs) leaves the text encoder nothing
 * to learn about object words, and the generator then cannot follow them.
 */
export function clipImageNet(pixels: Tensor, embedDim: number): Tensor {
  let h = pixels;
  const widths = [32, 32, 64, 64, 128, 128];
  let c = 3;
  let side = pixels.shape[2] as number;
  widths.forEach((w, i) => {
    const stride = i % 2 === 1 ? 2 : 1;
    h = new Conv(`vision.convs.${i}`, c, w, 3, 2, { stride, padding: 1 }).forward(h).relu();
    c = w;
    side /= stride;
  });
  const flat = h.reshape([pixels.shape[0]!, c * side * side]);
  const hidden = new Linear('vision.fc', c * side * side, 128).forward(flat).relu();
  return new Linear('visual_projection', 128, embedDim, false).forward(hidden);
}

/** Rows scaled to unit L2 norm. */
export function l2Normalize(x: Tensor): Tensor {
  return x.div(x.mul(x).sum([-1], true).add(1e-8).sqrt());
}
