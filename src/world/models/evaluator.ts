/**
 * The world evaluator: a small CNN trained on real world images that predicts every attribute
 * (object, colour, size, position) and exposes its penultimate features for a Fréchet distance —
 * the world's analogue of an Inception network for FID and of CLIP for a CLIP score.
 *
 * No global pooling: the last 4x4 map is flattened, so the features keep where the object is.
 */
import type { Tensor } from '../../engine/ir.js';
import { Conv, Linear } from '../../nn/layers.js';
import { ATTRIBUTE_NAMES, type AttributeName, COUNTS } from '../data/attributes.js';

export interface EvaluatorConfig {
  imageSize: number; // 32
  widths: number[]; // conv widths; every second conv halves the resolution
  featureDim: number; // width of the penultimate features (the FD space)
}

export const DEFAULT_EVALUATOR: EvaluatorConfig = { imageSize: 32, widths: [32, 32, 64, 64, 128, 128], featureDim: 128 };

/** Heads in logit order: object (10), colour (8), size (2), position (9). */
export const HEADS: readonly { name: AttributeName; count: number; offset: number }[] = (() => {
  let offset = 0;
  return ATTRIBUTE_NAMES.map((name) => {
    const h = { name, count: COUNTS[name], offset };
    offset += COUNTS[name];
    return h;
  });
})();
export const NUM_LOGITS = HEADS.reduce((s, h) => s + h.count, 0);

/** pixels [B, 3, S, S] in [-1, 1] -> features [B, featureDim] (post-ReLU) and logits [B, 29]. */
export function evaluatorNet(pixels: Tensor, cfg: EvaluatorConfig): { features: Tensor; logits: Tensor } {
  let h = pixels;
  let c = 3;
  let side = cfg.imageSize;
  cfg.widths.forEach((w, i) => {
    const stride = i % 2 === 1 ? 2 : 1;
    h = new Conv(`convs.${i}`, c, w, 3, 2, { stride, padding: 1 }).forward(h).relu();
    c = w;
    side /= stride;
  });
  const flat = h.reshape([pixels.shape[0]!, c * side * side]);
  const features = new Linear('fc', c * side * side, cfg.featureDim).forward(flat).relu();
  const logits = new Linear('heads', cfg.featureDim, NUM_LOGITS).forward(features);
  return { features, logits };
}

/** Argmax per head of one row of logits [29] -> attributes. */
export function predictAttributes(logits: Float32Array, row: number): Record<AttributeName, number> {
  const out = {} as Record<AttributeName, number>;
  for (const h of HEADS) {
    let best = 0;
    for (let k = 1; k < h.count; k++) {
      if (logits[row * NUM_LOGITS + h.offset + k]! > logits[row * NUM_LOGITS + h.offset + best]!) best = k;
    }
    out[h.name] = best;
  }
  return out;
}
