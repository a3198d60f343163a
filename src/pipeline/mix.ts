/**
 * Mixing two conditions of the same shape [B, T, D], as GlueGen's sound + text results do.
 *
 * Token splicing with split i (the release uses 3..7): each condition's first i tokens carry the
 * salient content, its tokens from 2i on the background, so
 *   salient    = concat(Cs[:, :i], Ct[:, :i])            (2i tokens, sound first)
 *   background = (Cs[:, 2i:] + Ct[:, 2i:]) / 2           (T - 2i tokens)
 *   condition  = concat(salient, background)             (T tokens again)
 * Weighted average: condition = w * Cs + (1 - w) * Ct.
 */

export interface ConditionShape {
  batch: number;
  tokens: number;
  dim: number;
}

export type MixSpec = { kind: 'splice'; split: number } | { kind: 'avg'; weight: number };

/** Splits the release explored; others work as long as 2i <= T. */
export const SPLICE_SPLITS = { min: 3, max: 7 } as const;

function checkPair(sound: Float32Array, text: Float32Array, shape: ConditionShape): void {
  const n = shape.batch * shape.tokens * shape.dim;
  if (!(shape.batch >= 1 && shape.tokens >= 1 && shape.dim >= 1)) {
    throw new Error(`mix: condition shape [${shape.batch}, ${shape.tokens}, ${shape.dim}] must have positive dims`);
  }
  if (sound.length !== n || text.length !== n) {
    throw new Error(
      `mix: both conditions must be [${shape.batch}, ${shape.tokens}, ${shape.dim}] (${n} values); ` +
        `got ${sound.length} values for the sound condition and ${text.length} for the text condition — align both to the generator's condition space first`,
    );
  }
}

/** Token splicing of a sound condition Cs and a text condition Ct (see the file comment). */
export function spliceMix(sound: Float32Array, text: Float32Array, shape: ConditionShape, split: number): Float32Array {
  checkPair(sound, text, shape);
  const { batch, tokens: T, dim: D } = shape;
  if (!Number.isInteger(split) || split < 1 || 2 * split > T) {
    throw new Error(
      `mix: splice split ${split} must be an integer with 1 <= split and 2 x split <= ${T} tokens (the release uses ${SPLICE_SPLITS.min}..${SPLICE_SPLITS.max})`,
    );
  }
  const out = new Float32Array(sound.length);
  const head = split * D;
  for (let b = 0; b < batch; b++) {
    const base = b * T * D;
    out.set(sound.subarray(base, base + head), base);
    out.set(text.subarray(base, base + head), base + head);
    for (let k = 2 * head; k < T * D; k++) out[base + k] = (sound[base + k]! + text[base + k]!) / 2;
  }
  return out;
}

/** w * Cs + (1 - w) * Ct, w in [0, 1]. */
export function averageMix(sound: Float32Array, text: Float32Array, shape: ConditionShape, weight: number): Float32Array {
  checkPair(sound, text, shape);
  if (!(Number.isFinite(weight) && weight >= 0 && weight <= 1))
    throw new Error(`mix: average weight ${weight} must be a number in [0, 1] (the sound condition's share)`);
  const out = new Float32Array(sound.length);
  for (let i = 0; i < out.length; i++) out[i] = weight * sound[i]! + (1 - weight) * text[i]!;
  return out;
}

export function mixConditions(sound: Float32Array, text: Float32Array, shape: ConditionShape, spec: MixSpec): Float32Array {
  return spec.kind === 'splice' ? spliceMix(sound, text, shape, spec.split) : averageMix(sound, text, shape, spec.weight);
}

/** Parses 'splice:I' or 'avg:W' (as the CLI's --mix takes it). */
export function parseMixSpec(text: string): MixSpec {
  const m = /^(splice|avg):(.+)$/.exec(text.trim());
  const v = m ? Number(m[2]) : NaN;
  if (m?.[1] === 'splice' && Number.isInteger(v) && v >= 1) return { kind: 'splice', split: v };
  if (m?.[1] === 'avg' && Number.isFinite(v) && v >= 0 && v <= 1) return { kind: 'avg', weight: v };
  throw new Error(
    `mix '${text}' is not understood; expected 'splice:I' with an integer split I (3..7 in the release) or 'avg:W' with the sound weight W in [0, 1]`,
  );
}
