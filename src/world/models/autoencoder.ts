/**
 * A small convolutional autoencoder from 32x32 RGB to an 8x8 latent grid, so the diffusion model
 * works on 16x fewer positions — the latent-diffusion recipe of Stable Diffusion (Rombach et al.
 * 2022) in miniature. Latents are standardised with one shift and one scale measured on the
 * training images (SD 1.x's scaling_factor, SD3's shift_factor), so the diffusion sees unit variance.
 */

import { compileInference } from '../../engine/compile.js';
import * as F from '../../engine/functional.js';
import { initWeights } from '../../engine/init.js';
import type { Graph, Tensor } from '../../engine/ir.js';
import { Graph as G } from '../../engine/ir.js';
import { Session } from '../../engine/runtime.js';
import { Trainer } from '../../engine/trainer.js';
import type { AutoencoderConfig } from '../../generators/world/config.js';
import { Conv } from '../../nn/layers.js';
import { Rng } from '../../util/rng.js';
import { gatherPixels, IMAGE_SIDE, type ImagePool, IndexSampler } from './data.js';
import { countParams, type LoopResult, paramShapes, trainLoop } from './loop.js';
import { silu } from './unet.js';

export type { AutoencoderConfig };

export const DEFAULT_AUTOENCODER: AutoencoderConfig = { latentChannels: 4, width: 64, shiftFactor: 0, scalingFactor: 1 };

const conv = (name: string, x: Tensor, inC: number, outC: number, stride = 1): Tensor => new Conv(name, inC, outC, 3, 2, { stride, padding: 1 }).forward(x);

/** pixels [B, 3, 32, 32] -> raw latents [B, C, 8, 8]. */
export function encoderNet(x: Tensor, cfg: AutoencoderConfig): Tensor {
  const w = cfg.width;
  let h = silu(conv('encoder.conv_in', x, 3, w / 2));
  h = silu(conv('encoder.down.0', h, w / 2, w, 2)); // 16
  h = silu(conv('encoder.mid.0', h, w, w));
  h = silu(conv('encoder.down.1', h, w, w, 2)); // 8
  h = silu(conv('encoder.mid.1', h, w, w));
  return conv('encoder.conv_out', h, w, cfg.latentChannels);
}

/** raw latents [B, C, 8, 8] -> pixels [B, 3, 32, 32]. */
export function decoderNet(z: Tensor, cfg: AutoencoderConfig): Tensor {
  const w = cfg.width;
  let h = silu(conv('decoder.conv_in', z, cfg.latentChannels, w));
  h = silu(conv('decoder.mid.0', h, w, w));
  h = silu(conv('decoder.up.0', F.upsampleNearest2d(h, 2), w, w)); // 16
  h = silu(conv('decoder.mid.1', h, w, w));
  h = silu(conv('decoder.up.1', F.upsampleNearest2d(h, 2), w, w / 2)); // 32
  h = silu(conv('decoder.mid.2', h, w / 2, w / 2));
  return conv('decoder.conv_out', h, w / 2, 3);
}

/** Decoder ONNX taking standardised latents: latent_sample [B, C, 8, 8] -> sample [B, 3, 32, 32]. */
export function decoderInferenceModel(cfg: AutoencoderConfig, weights: ReadonlyMap<string, Float32Array>): Uint8Array {
  const g: Graph = new G(false);
  const z = g.input('latent_sample', ['batch', cfg.latentChannels, IMAGE_SIDE / 4, IMAGE_SIDE / 4]);
  const raw = z.mul(1 / cfg.scalingFactor).add(cfg.shiftFactor);
  const dec = new Map([...weights].filter(([k]) => k.startsWith('decoder.')));
  return compileInference(g, { sample: decoderNet(raw, cfg) }, dec, { name: 'world-vae-decoder' });
}

function encoderInferenceModel(cfg: AutoencoderConfig, weights: ReadonlyMap<string, Float32Array>): Uint8Array {
  const g: Graph = new G(false);
  const x = g.input('sample', ['batch', 3, IMAGE_SIDE, IMAGE_SIDE]);
  const enc = new Map([...weights].filter(([k]) => k.startsWith('encoder.')));
  return compileInference(g, { latent: encoderNet(x, cfg) }, enc, { name: 'world-vae-encoder' });
}

export interface AutoencoderTraining {
  steps: number;
  batch: number;
  lr: number;
  latentPenalty: number; // weight of mean(z^2): keeps the raw latents bounded (a light stand-in for SD's KL term)
}

export interface TrainedAutoencoder {
  config: AutoencoderConfig;
  decoderOnnx: Uint8Array;
  weights: Map<string, Float32Array>;
  shapes: Map<string, number[]>;
  params: number;
  loop: LoopResult;
  /** Standardised latents of the pool, [N, C, 8, 8]. */
  latents: Float32Array;
  /** Mean squared reconstruction error on the validation pool (pixels in [-1, 1]). */
  valMse: number;
  /** The validation pool's reconstructions [N, 3, 32, 32] (what the generator can at best draw). */
  valReconstructions: Float32Array;
}

export async function trainAutoencoder(
  base: AutoencoderConfig,
  t: AutoencoderTraining,
  train: ImagePool,
  val: ImagePool,
  seed: number,
  progress: boolean,
): Promise<TrainedAutoencoder> {
  const g = new G(true);
  const x = g.input('pixels', [t.batch, 3, IMAGE_SIDE, IMAGE_SIDE]);
  const z = encoderNet(x, base);
  // Squared error: an L1 loss (Stable Diffusion's choice, with LPIPS) was tried and, with the same
  // steps, reconstructed three times worse (MSE 0.026 vs 0.009).
  const loss = F.mse(decoderNet(z, base), x).add(F.meanAll(z.mul(z)).mul(t.latentPenalty));
  const trainer = await Trainer.create({ graph: g, loss, optimizer: { kind: 'adamw', weightDecay: 0 }, clipGradNorm: 1 }, initWeights(g, seed));
  const sampler = new IndexSampler(train.attrs.length, new Rng(seed + 1));
  const loop = await trainLoop(trainer, () => ({ pixels: { data: gatherPixels(train, sampler.next(t.batch)), dims: [t.batch, 3, IMAGE_SIDE, IMAGE_SIDE] } }), {
    label: 'autoencoder',
    steps: t.steps,
    lr: t.lr,
    warmup: Math.ceil(t.steps / 20),
    progress,
  });
  const weights = new Map([...trainer.weights()].map(([k, v]) => [k, Float32Array.from(v)]));
  await trainer.release();
  const raw = await encodePool(base, weights, train);
  let mean = 0;
  for (const v of raw) mean += v;
  mean /= raw.length;
  let variance = 0;
  for (const v of raw) variance += (v - mean) ** 2;
  const config: AutoencoderConfig = { ...base, shiftFactor: mean, scalingFactor: 1 / Math.sqrt(variance / raw.length) };
  const latents = raw.map((v) => (v - config.shiftFactor) * config.scalingFactor);
  const decoderOnnx = decoderInferenceModel(config, weights);
  const { reconstructions, mse } = await reconstructPool(config, decoderOnnx, await encodePool(config, weights, val), val);
  return {
    config,
    decoderOnnx,
    weights,
    shapes: paramShapes(g),
    params: countParams(weights),
    loop,
    latents,
    valMse: mse,
    valReconstructions: reconstructions,
  };
}

export interface DecoderFinetuning {
  steps: number;
  batch: number;
  lr: number;
}

export interface FinetunedDecoder {
  decoderOnnx: Uint8Array;
  /** Decoder weights only (decoder.*). */
  weights: Map<string, Float32Array>;
  loop: LoopResult;
  valMse: number;
  valReconstructions: Float32Array;
}

/** Raw encoder latents of a pool, [N, C, 8, 8]. */
export async function encodePool(cfg: AutoencoderConfig, weights: ReadonlyMap<string, Float32Array>, pool: ImagePool): Promise<Float32Array> {
  const enc = await Session.create(encoderInferenceModel(cfg, weights));
  const n = pool.attrs.length;
  const per = 3 * IMAGE_SIDE * IMAGE_SIDE;
  const all = new Float32Array(n * cfg.latentChannels * (IMAGE_SIDE / 4) ** 2);
  for (let s = 0, at = 0; s < n; s += 512) {
    const b = Math.min(512, n - s);
    const r = (await enc.run({ sample: { data: pool.pixels.subarray(s * per, (s + b) * per), dims: [b, 3, IMAGE_SIDE, IMAGE_SIDE] } })).latent!
      .data as Float32Array;
    all.set(r, at);
    at += r.length;
  }
  await enc.release();
  return all;
}

/** Decodes a pool's raw latents through the exported decoder; the mean squared error to its pixels. */
async function reconstructPool(
  cfg: AutoencoderConfig,
  decoderOnnx: Uint8Array,
  rawLatents: Float32Array,
  pool: ImagePool,
): Promise<{ reconstructions: Float32Array; mse: number }> {
  const side = IMAGE_SIDE / 4;
  const dec = await Session.create(decoderOnnx);
  const n = pool.attrs.length;
  const standardised = rawLatents.map((v) => (v - cfg.shiftFactor) * cfg.scalingFactor);
  const reconstructions = Float32Array.from(
    (await dec.run({ latent_sample: { data: standardised, dims: [n, cfg.latentChannels, side, side] } })).sample!.data as Float32Array,
  );
  await dec.release();
  let se = 0;
  for (let i = 0; i < reconstructions.length; i++) se += (reconstructions[i]! - pool.pixels[i]!) ** 2;
  return { reconstructions, mse: se / reconstructions.length };
}

/**
 * Decoder-only fine-tuning on the frozen encoder's latents — what Stability did for SD 1.x's
 * "ft-MSE" VAE: the latent space, and so the generator trained on it, stays valid, while the decoder
 * gets more steps than the joint training gave it.
 */
export async function finetuneDecoder(
  cfg: AutoencoderConfig,
  weights: ReadonlyMap<string, Float32Array>,
  t: DecoderFinetuning,
  train: ImagePool,
  val: ImagePool,
  seed: number,
  progress: boolean,
): Promise<FinetunedDecoder> {
  const side = IMAGE_SIDE / 4;
  const per = cfg.latentChannels * side * side;
  const trainLatents = await encodePool(cfg, weights, train);
  const valLatents = await encodePool(cfg, weights, val);
  const g = new G(true);
  const z = g.input('latents', [t.batch, cfg.latentChannels, side, side]);
  const x = g.input('pixels', [t.batch, 3, IMAGE_SIDE, IMAGE_SIDE]);
  const loss = F.mse(decoderNet(z, cfg), x);
  const init = new Map([...weights].filter(([k]) => k.startsWith('decoder.')));
  const trainer = await Trainer.create({ graph: g, loss, optimizer: { kind: 'adamw', weightDecay: 0 }, clipGradNorm: 1 }, init);
  const sampler = new IndexSampler(train.attrs.length, new Rng(seed));
  const latentPool: ImagePool = { ...train, pixels: trainLatents };
  const loop = await trainLoop(
    trainer,
    () => {
      const idx = sampler.next(t.batch);
      return {
        latents: { data: gatherPixels(latentPool, idx, per), dims: [t.batch, cfg.latentChannels, side, side] },
        pixels: { data: gatherPixels(train, idx), dims: [t.batch, 3, IMAGE_SIDE, IMAGE_SIDE] },
      };
    },
    { label: 'decoder fine-tune', steps: t.steps, lr: t.lr, warmup: Math.ceil(t.steps / 20), progress },
  );
  const tuned = new Map([...trainer.weights()].map(([k, v]) => [k, Float32Array.from(v)]));
  await trainer.release();
  const decoderOnnx = decoderInferenceModel(cfg, tuned);
  const { reconstructions, mse } = await reconstructPool(cfg, decoderOnnx, valLatents, val);
  return { decoderOnnx, weights: tuned, loop, valMse: mse, valReconstructions: reconstructions };
}
