/**
 * The world's sound encoder (the AudioCLIP analogue): log-mel windows [nMels, frames] -> two
 * stride-2 1-D convolutions over time -> a pre-LN transformer over the remaining frames -> the mean
 * over time -> a linear pooled embedding (audio_embeds, e.g. 256 floats) -> class logits.
 *
 * Trained by our code alone to classify the event (the 10 world objects) on synthSound() clips,
 * whose pitch, duration, onset, loudness and noise are random per clip. A share of the training
 * clips is band-limited to 4 kHz (a trip through 8 kHz and back) so that telephone-rate input still
 * works, and SpecAugment-style masks (a band of mels, a stretch of frames) fight memorisation.
 */

import { resample } from '../../encoders/audio/resample.js';
import { frontEndFrames, type SoundFrontEnd, soundFeatures } from '../../encoders/world/sound.js';
import { compileInference } from '../../engine/compile.js';
import * as F from '../../engine/functional.js';
import { initWeights } from '../../engine/init.js';
import { Graph, type Tensor } from '../../engine/ir.js';
import { Trainer } from '../../engine/trainer.js';
import { Conv, LayerNorm, Linear } from '../../nn/layers.js';
import { type TransformerConfig, transformerStack } from '../../nn/transformer.js';
import { Rng } from '../../util/rng.js';
import { OBJECTS } from '../data/attributes.js';
import { exampleSeed, type Split } from '../data/dataset.js';
import { SAMPLE_RATE, synthSound } from '../data/sounds.js';
import { countParams, type LoopResult, trainLoop } from '../models/loop.js';

export interface SoundEncoderConfig extends TransformerConfig {
  nMels: number; // input channels (the front end's mel bands)
  frames: number; // input frames per window; the convolutions divide it by 4
  convWidth: number; // channels of the first convolution
  embedDim: number; // pooled embedding width (audio_embeds)
  classes: number; // event classes (logits)
}

export const DEFAULT_SOUND_ENCODER: Omit<SoundEncoderConfig, 'nMels' | 'frames'> = {
  convWidth: 96,
  dim: 128,
  heads: 4,
  layers: 2,
  mlpRatio: 2,
  embedDim: 256,
  classes: OBJECTS.length,
};

export interface SoundTraining {
  clips: number; // synthesised training clips (features computed once)
  steps: number;
  batch: number;
  lr: number;
  bandLimitShare: number; // share of training clips low-passed at 4 kHz
  maxMelMask: number; // SpecAugment: widest band of mels set to silence
  maxTimeMask: number; // SpecAugment: longest stretch of frames set to silence
}

export const DEFAULT_SOUND_TRAINING: SoundTraining = { clips: 2000, steps: 500, batch: 32, lr: 1e-3, bandLimitShare: 0.25, maxMelMask: 8, maxTimeMask: 25 };

/** features [B, nMels, frames] -> audio_embeds [B, embedDim] and logits [B, classes]. */
export function soundNet(features: Tensor, cfg: SoundEncoderConfig): { embeds: Tensor; logits: Tensor } {
  const b = features.shape[0]!;
  const tokens = cfg.frames / 4;
  if (!Number.isInteger(tokens)) throw new Error(`internal: sound encoder frames ${cfg.frames} not divisible by 4`);
  let h = F.gelu(new Conv('conv1', cfg.nMels, cfg.convWidth, 3, 1, { stride: 2, padding: 1 }).forward(features));
  h = F.gelu(new Conv('conv2', cfg.convWidth, cfg.dim, 3, 1, { stride: 2, padding: 1 }).forward(h)); // [B, dim, tokens]
  const pos = features.graph.param('positional_embedding', [tokens, cfg.dim], { kind: 'normal', std: 0.02 });
  const x = h.transpose([0, 2, 1]).add(pos); // [B, tokens, dim]
  const last = new LayerNorm('ln_post', cfg.dim).forward(transformerStack('encoder', x, cfg));
  const pooled = last.mean([1]).reshape([b, cfg.dim]);
  const embeds = new Linear('audio_projection', cfg.dim, cfg.embedDim).forward(pooled);
  return { embeds, logits: new Linear('classifier', cfg.embedDim, cfg.classes).forward(embeds) };
}

export function soundInferenceModel(cfg: SoundEncoderConfig, weights: ReadonlyMap<string, Float32Array>): Uint8Array {
  const g = new Graph(false);
  const x = g.input('input_features', ['batch', cfg.nMels, cfg.frames]);
  const { embeds, logits } = soundNet(x, cfg);
  return compileInference(g, { audio_embeds: embeds, logits }, weights, { name: 'world-sound-encoder' });
}

/** Synthesised clips of a split with their features: example i is seeded as the dataset's example i. */
export interface SoundPool {
  /** [N, nMels * frames]. */
  features: Float32Array;
  labels: number[];
}

/** 16 kHz clip i of `split`: class and audio from their own seed (so pools are reproducible). */
export function soundClip(split: Split, i: number, seed: number): { object: number; audio: Float32Array } {
  const rng = new Rng(exampleSeed(split, i, seed));
  const object = rng.int(OBJECTS.length);
  return { object, audio: synthSound(object, rng) };
}

export function synthPool(split: Split, n: number, seed: number, fe: SoundFrontEnd, bandLimitShare: number, onClip?: () => void): SoundPool {
  const size = fe.nMels * frontEndFrames(fe);
  const features = new Float32Array(n * size);
  const labels: number[] = [];
  const rng = new Rng(seed ^ 0x51f15e);
  const windowSamples = Math.round(fe.windowSeconds * fe.sampleRate);
  for (let i = 0; i < n; i++) {
    const { object, audio } = soundClip(split, i, seed);
    let clip = audio.subarray(0, windowSamples);
    if (rng.uniform() < bandLimitShare) clip = resample(resample(clip, SAMPLE_RATE, 8000), 8000, SAMPLE_RATE).subarray(0, windowSamples);
    features.set(soundFeatures(clip, fe), i * size);
    labels.push(object);
    onClip?.();
  }
  return { features, labels };
}

/** A batch copy of pool rows with one band of mels and one stretch of frames set to the row's minimum. */
function augmentedBatch(pool: SoundPool, idx: number[], cfg: SoundEncoderConfig, t: SoundTraining, rng: Rng): Float32Array {
  const size = cfg.nMels * cfg.frames;
  const out = new Float32Array(idx.length * size);
  idx.forEach((k, i) => {
    const row = out.subarray(i * size, (i + 1) * size);
    row.set(pool.features.subarray(k * size, (k + 1) * size));
    let floor = Infinity;
    for (const v of row) floor = Math.min(floor, v);
    const mw = rng.int(t.maxMelMask + 1);
    const m0 = rng.int(cfg.nMels - mw + 1);
    for (let m = m0; m < m0 + mw; m++) row.fill(floor, m * cfg.frames, (m + 1) * cfg.frames);
    const tw = rng.int(t.maxTimeMask + 1);
    const t0 = rng.int(cfg.frames - tw + 1);
    for (let m = 0; m < cfg.nMels; m++) row.fill(floor, m * cfg.frames + t0, m * cfg.frames + t0 + tw);
  });
  return out;
}

export interface TrainedSound {
  onnx: Uint8Array;
  weights: Map<string, Float32Array>;
  params: number;
  loop: LoopResult;
}

export async function trainSoundEncoder(cfg: SoundEncoderConfig, t: SoundTraining, pool: SoundPool, seed: number, progress: boolean): Promise<TrainedSound> {
  const B = t.batch;
  const C = cfg.classes;
  const g = new Graph(true);
  const x = g.input('input_features', [B, cfg.nMels, cfg.frames]);
  const target = g.input('target', [B, C]);
  const { logits } = soundNet(x, cfg);
  const loss = F.crossEntropy(logits, target);
  const trainer = await Trainer.create({ graph: g, loss, optimizer: { kind: 'adamw', weightDecay: 0.01 }, clipGradNorm: 1 }, initWeights(g, seed));
  const rng = new Rng(seed + 1);
  let order: number[] = [];
  try {
    const loop = await trainLoop(
      trainer,
      () => {
        if (order.length < B) order = order.concat(rng.permutation(pool.labels.length));
        const idx = order.splice(0, B);
        const onehot = new Float32Array(B * C);
        idx.forEach((k, i) => (onehot[i * C + pool.labels[k]!] = 1));
        return {
          input_features: { data: augmentedBatch(pool, idx, cfg, t, rng), dims: [B, cfg.nMels, cfg.frames] },
          target: { data: onehot, dims: [B, C] },
        };
      },
      { label: 'sound encoder', steps: t.steps, lr: t.lr, warmup: Math.ceil(t.steps / 10), progress },
    );
    const weights = new Map([...trainer.weights()].map(([k, v]) => [k, Float32Array.from(v)]));
    return { onnx: soundInferenceModel(cfg, weights), weights, params: countParams(weights), loop };
  } finally {
    await trainer.release();
  }
}
