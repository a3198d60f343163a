/**
 * The world generator's U-Net as a DifferentiableDenoiser (src/pipeline/denoiser-terms.ts): its
 * graph is built by our engine from the folder's config and weights, so a GlueNet loss can be
 * differentiated through it while it stays frozen.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorldGeneratorConfig } from '../../generators/world/config.js';
import type { DifferentiableDenoiser } from '../../pipeline/denoiser-terms.js';
import { diffusionTables } from '../models/diffusion.js';
import { unet } from '../models/unet.js';
import { readWeights } from '../models/weights-file.js';

export async function worldDenoiser(generatorDir: string): Promise<DifferentiableDenoiser> {
  const cfg = JSON.parse(readFileSync(join(generatorDir, 'config.json'), 'utf8')) as WorldGeneratorConfig;
  const { weights } = await readWeights(join(generatorDir, 'model.safetensors'));
  const tables = diffusionTables();
  const u = cfg.unet;
  return {
    name: `world-unet ${u.imageSize}x${u.imageSize}x${u.channels}`,
    build: (sample, timestep, context) => unet(sample, timestep, context, u),
    weights,
    sampleShape: [u.channels, u.imageSize, u.imageSize],
    sqrtAlphaBar: tables.sqrtAlphaBar,
    sqrtOneMinusAlphaBar: tables.sqrtOneMinusAlphaBar,
    // The world U-Net predicts the clean latent, trained with min-SNR-style weights (train-generator.ts).
    prediction: 'sample',
    lossWeight: tables.lossWeight,
  };
}
