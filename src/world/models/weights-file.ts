/**
 * The world models' weight files: fp16 safetensors on disk (half the bytes; the ONNX keeps fp32 for
 * exact inference), fp32 maps with their shapes in memory.
 */
import { readSafetensors, tensorToFloat32, writeSafetensors } from '../../io/safetensors.js';

export interface WeightsWithShapes {
  weights: Map<string, Float32Array>;
  shapes: Map<string, number[]>;
}

export async function readWeights(path: string): Promise<WeightsWithShapes> {
  const st = await readSafetensors(path);
  const weights = new Map<string, Float32Array>();
  const shapes = new Map<string, number[]>();
  for (const [k, t] of st.tensors) {
    weights.set(k, tensorToFloat32(t, k));
    shapes.set(k, t.shape);
  }
  return { weights, shapes };
}

/** Writes `weights` as fp16 safetensors, atomically. */
export async function writeWeights(path: string, weights: ReadonlyMap<string, Float32Array>, shapes: ReadonlyMap<string, number[]>): Promise<void> {
  const tensors = new Map([...weights].map(([k, v]) => [k, { dtype: 'F16' as const, shape: shapes.get(k) ?? [v.length], data: v }]));
  await writeSafetensors(path, tensors, { format: 'pt' });
}
