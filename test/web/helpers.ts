/** Shared by the web tests: reading a generated PNG back with the world evaluator. */
import { join } from 'node:path';
import { worldAssetsDir } from '../../src/world/assets.js';
import { type Attributes, COLOURS, OBJECTS } from '../../src/world/data/attributes.js';
import { bytesToPixels } from '../../src/world/models/data.js';
import { WorldEvaluator } from '../../src/world/models/evaluator-session.js';
import { decodePng } from '../helpers/png-decode.js';

/** The attributes the shipped evaluator reads in a 32 x 32 RGB PNG. */
export async function readWorldPng(png: Uint8Array): Promise<Record<keyof Attributes, number>> {
  const img = decodePng(png);
  if (img.width !== 32 || img.height !== 32) throw new Error(`expected a 32x32 image, got ${img.width}x${img.height}`);
  const rgb = new Uint8Array(32 * 32 * 3);
  for (let i = 0; i < 32 * 32; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = img.pixels[i * img.channels + c]!;
  const pixels = new Float32Array(3 * 32 * 32);
  bytesToPixels(rgb, pixels, 0);
  const evaluator = await WorldEvaluator.fromModel(join(worldAssetsDir(), 'evaluator', 'model.onnx'), 1);
  try {
    return (await evaluator.classify(pixels, 1)).attributes[0]!;
  } finally {
    await evaluator.release();
  }
}

export function describe(a: { object: number; colour: number }): string {
  return `${COLOURS[a.colour]!.name} ${OBJECTS[a.object]}`;
}
