/**
 * Opens a generator folder as what its files say it is: a config.json with _class_name "WorldUNet"
 * is a world generator folder, anything else a Stable Diffusion ONNX export (folder.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Device } from '../engine/runtime.js';
import { SdOnnxGenerator } from './sd/generator.js';
import type { Generator } from './types.js';
import { WorldGenerator } from './world/generator.js';

export interface OpenGeneratorOptions {
  device?: Device;
  threads?: number;
}

export function generatorClassOf(dir: string): 'WorldUNet' | 'sd-onnx' {
  try {
    const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { _class_name?: unknown };
    if (c._class_name === 'WorldUNet') return 'WorldUNet';
  } catch {
    // No readable config.json at the root: an SD folder (its configs live in unet/, scheduler/, ...).
  }
  return 'sd-onnx';
}

export async function openGenerator(dir: string, o: OpenGeneratorOptions = {}): Promise<Generator> {
  const threads = o.threads !== undefined ? { threads: o.threads } : {};
  if (generatorClassOf(dir) === 'WorldUNet') return WorldGenerator.load(dir, threads);
  return SdOnnxGenerator.load(dir, { device: o.device ?? 'cpu', ...threads });
}
