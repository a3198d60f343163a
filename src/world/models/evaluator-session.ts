/**
 * The evaluator at inference: classifies [N, 3, 32, 32] pixels in [-1, 1] in batches and returns the
 * predicted attributes and the penultimate features (for the Fréchet distance).
 */
import { Session } from '../../engine/runtime.js';
import { ALL_NAMED, ATTRIBUTE_NAMES, type AttributeName, type Attributes, type NamedAttributes } from '../data/attributes.js';
import { IMAGE_SIDE } from './data.js';
import { NUM_LOGITS, predictAttributes } from './evaluator.js';

export interface Classified {
  attributes: Record<AttributeName, number>[];
  /** [N, featureDim] row-major. */
  features: Float32Array;
  featureDim: number;
}

export interface AttributeCount {
  correct: number;
  total: number;
}

/** Per attribute: of the images whose expectation names it, how many were read as expected. */
export function countAttributes(
  predicted: Record<AttributeName, number>[],
  expected: { attrs: Attributes; named: Partial<NamedAttributes> }[],
): Record<AttributeName, AttributeCount> {
  const out = {} as Record<AttributeName, AttributeCount>;
  for (const name of ATTRIBUTE_NAMES) {
    let correct = 0;
    let total = 0;
    expected.forEach((e, i) => {
      if (!e.named[name]) return;
      total++;
      if (predicted[i]![name] === e.attrs[name]) correct++;
    });
    out[name] = { correct, total };
  }
  return out;
}

export class WorldEvaluator {
  private constructor(private readonly session: Session) {}

  /** From ONNX bytes or a path to model.onnx. */
  static async fromModel(model: Uint8Array | string, threads?: number): Promise<WorldEvaluator> {
    return new WorldEvaluator(await Session.create(model, threads ? { threads } : {}));
  }

  async classify(pixels: Float32Array, n: number, batch = 256): Promise<Classified> {
    const per = 3 * IMAGE_SIDE * IMAGE_SIDE;
    if (pixels.length !== n * per) throw new Error(`evaluator: got ${pixels.length} values for ${n} images; expected ${n * per} ([N, 3, 32, 32])`);
    const attributes: Record<AttributeName, number>[] = [];
    const chunks: Float32Array[] = [];
    let featureDim = 0;
    for (let s = 0; s < n; s += batch) {
      const b = Math.min(batch, n - s);
      const out = await this.session.run({ pixel_values: { data: pixels.subarray(s * per, (s + b) * per), dims: [b, 3, IMAGE_SIDE, IMAGE_SIDE] } });
      const logits = out.logits!.data as Float32Array;
      if (logits.length !== b * NUM_LOGITS) throw new Error(`internal: evaluator returned ${logits.length} logits for ${b} images`);
      for (let i = 0; i < b; i++) attributes.push(predictAttributes(logits, i));
      const f = out.features!.data as Float32Array;
      featureDim = f.length / b;
      chunks.push(Float32Array.from(f));
    }
    const features = new Float32Array(n * featureDim);
    let at = 0;
    for (const c of chunks) {
      features.set(c, at);
      at += c.length;
    }
    return { attributes, features, featureDim };
  }

  /** Fraction of the images read with every attribute of `attrs` (e.g. real or reconstructed images). */
  async accuracy(pixels: Float32Array, attrs: Attributes[]): Promise<Record<AttributeName, number>> {
    const counts = countAttributes(
      (await this.classify(pixels, attrs.length)).attributes,
      attrs.map((a) => ({ attrs: a, named: ALL_NAMED })),
    );
    return Object.fromEntries(ATTRIBUTE_NAMES.map((n) => [n, counts[n].correct / counts[n].total])) as Record<AttributeName, number>;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
