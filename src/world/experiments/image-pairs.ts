/**
 * Image-caption pairs of the world for the paper's finetuning step: rendered images, their latents in
 * the generator's units (the autoencoder's encoder, standardised as the U-Net was trained on them),
 * and a caption per image in the new encoder's language (drawn by the caller).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Attributes } from '../data/attributes.js';
import type { AutoencoderConfig } from '../models/autoencoder.js';
import { encodePool } from '../models/autoencoder.js';
import { renderPool } from '../models/data.js';
import { readWeights } from '../models/weights-file.js';

export interface ImageLatents {
  attrs: Attributes[];
  /** [N, C, 8, 8] standardised latents (what the U-Net denoises). */
  latents: Float32Array;
}

/**
 * n rendered images of the training split and their standardised latents. The training split is the
 * one the generator learned from, as LAION is for Stable Diffusion; what is new is only the caption
 * language the new encoder reads.
 */
export async function worldImageLatents(generatorDir: string, n: number, seed: number): Promise<ImageLatents> {
  const cfg = JSON.parse(readFileSync(join(generatorDir, 'config.json'), 'utf8')) as { vae?: AutoencoderConfig & { imageSize: number } };
  if (!cfg.vae) throw new Error(`image-text finetuning: ${generatorDir} is a pixel-space generator (no vae in config.json); latents are needed`);
  const { imageSize: _side, ...vae } = cfg.vae;
  const { weights } = await readWeights(join(generatorDir, 'vae.safetensors'));
  const pool = renderPool('train', n, seed);
  const raw = await encodePool(vae, weights, pool);
  const latents = raw.map((v) => (v - vae.shiftFactor) * vae.scalingFactor);
  return { attrs: pool.attrs, latents };
}
