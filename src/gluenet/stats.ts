/**
 * Statistics of a generator's condition features: the per-token mean L2 norm ("tensor_norm" in the
 * release), which sets GlueNet's working units (features / (norm / 2)).
 */
import { DataError, type FeatureSource } from './data.js';

/** Mean over rows of the L2 norm of each token vector: [T]. Streams in chunks of rows. */
export async function perTokenNorm(src: FeatureSource, chunk = 256): Promise<number[]> {
  // A header may declare [1e15, 0, 96]: zero values per row, so the size check passes, yet a loop over rows never ends.
  if (src.tokens === 0 || src.dim === 0) {
    throw new DataError(`'${src.path}': features [${src.rows}, ${src.tokens}, ${src.dim}] hold no values per row; expected [N, T, D] with T and D > 0`);
  }
  const sums = new Float64Array(src.tokens);
  for (let start = 0; start < src.rows; start += chunk) {
    const idx = Array.from({ length: Math.min(chunk, src.rows - start) }, (_, i) => start + i);
    const data = await src.batch(idx);
    for (let r = 0; r < idx.length; r++) {
      for (let t = 0; t < src.tokens; t++) {
        let s = 0;
        const o = (r * src.tokens + t) * src.dim;
        for (let d = 0; d < src.dim; d++) s += data[o + d]! * data[o + d]!;
        sums[t]! += Math.sqrt(s);
      }
    }
  }
  return Array.from(sums, (v) => Number((v / src.rows).toPrecision(6)));
}
