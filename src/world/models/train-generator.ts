/**
 * DDPM training of the world U-Net (Ho et al. 2020) on real world images conditioned on the frozen
 * native text encoder's last_hidden_state; 10% of captions are dropped to the empty prompt for
 * classifier-free guidance. The exported weights are an exponential moving average of the trained
 * ones (standard for diffusion models: samples from the EMA are cleaner early in training).
 */

import type { TextTokenizer } from '../../encoders/text/tokenizer.js';
import { compileInference } from '../../engine/compile.js';
import { initWeights } from '../../engine/init.js';
import { Graph } from '../../engine/ir.js';
import { Session } from '../../engine/runtime.js';
import { Trainer } from '../../engine/trainer.js';
import { Rng } from '../../util/rng.js';
import { freshCaptions, gatherPixels, type ImagePool, IndexSampler, tokenize } from './data.js';
import { diffusionTables } from './diffusion.js';
import { countParams, paramShapes, type TrainedModel, trainLoop } from './loop.js';
import { type UNetConfig, unet } from './unet.js';

export interface GeneratorTraining {
  steps: number;
  batch: number;
  lr: number;
  captionDropout: number; // 0.1: fraction of captions replaced by "" (the unconditional prompt)
  emaDecay: number; // 0.995
  checkEvery: number; // run `check` every this many steps (0: only at the end)
}

export type TrainedGenerator = TrainedModel;

/** The SD-UNet-shaped inference model: (sample, timestep, encoder_hidden_states) -> out_sample. */
export function unetInferenceModel(cfg: UNetConfig, weights: ReadonlyMap<string, Float32Array>): Uint8Array {
  const g = new Graph(false);
  const s = cfg.imageSize;
  const sample = g.input('sample', ['batch', cfg.channels, s, s]);
  const timestep = g.input('timestep', ['batch']);
  const ctx = g.input('encoder_hidden_states', ['batch', cfg.contextTokens, cfg.contextDim]);
  return compileInference(g, { out_sample: unet(sample, timestep, ctx, cfg) }, weights, { name: 'world-unet' });
}

export async function trainGenerator(
  cfg: UNetConfig,
  t: GeneratorTraining,
  textEncoder: { onnx: Uint8Array; tokenizer: TextTokenizer; maxTokens: number },
  train: ImagePool,
  seed: number,
  progress: boolean,
  check?: (onnx: Uint8Array, step: number) => Promise<Record<string, number>>,
): Promise<TrainedGenerator> {
  const B = t.batch;
  const s = cfg.imageSize;
  const g = new Graph(true);
  const x0 = g.input('x0', [B, cfg.channels, s, s]);
  const noise = g.input('noise', [B, cfg.channels, s, s]);
  const coefA = g.input('coef_a', [B, 1, 1, 1]);
  const coefB = g.input('coef_b', [B, 1, 1, 1]);
  const timestep = g.input('timestep', [B]);
  const ctx = g.input('context', [B, cfg.contextTokens, cfg.contextDim]);
  const weight = g.input('weight', [B]);
  const xt = x0.mul(coefA).add(noise.mul(coefB));
  const pred = unet(xt, timestep, ctx, cfg);
  const d = pred.sub(x0);
  const loss = d.mul(d).mean([1, 2, 3]).mul(weight).mean([0]);
  const init = initWeights(g, seed);
  const trainer = await Trainer.create({ graph: g, loss, optimizer: { kind: 'adamw', weightDecay: 0.01 }, clipGradNorm: 1 }, init);
  const ema = new Map([...init].map(([k, v]) => [k, Float32Array.from(v)]));
  const text = await Session.create(textEncoder.onnx);
  const tables = diffusionTables();
  const rng = new Rng(seed + 1);
  const sampler = new IndexSampler(train.attrs.length, rng);
  const T = textEncoder.maxTokens;
  const per = cfg.channels * s * s;
  let batch: Record<string, { data: Float32Array; dims: number[] }> = {};

  // Text features run on the frozen encoder between steps (a few ms per batch).
  const prepare = async (): Promise<void> => {
    const idx = sampler.next(B);
    const caps = freshCaptions(
      idx.map((k) => train.attrs[k]!),
      rng,
    ).map((c) => (rng.uniform() < t.captionDropout ? '' : c.text));
    const out = await text.run({ input_ids: { data: tokenize(textEncoder.tokenizer, caps, T), dims: [B, T] } });
    const ts = new Float32Array(B);
    const a = new Float32Array(B);
    const b = new Float32Array(B);
    const w = new Float32Array(B);
    for (let i = 0; i < B; i++) {
      const step = rng.int(tables.T);
      ts[i] = step;
      a[i] = tables.sqrtAlphaBar[step]!;
      b[i] = tables.sqrtOneMinusAlphaBar[step]!;
      w[i] = tables.lossWeight[step]!;
    }
    batch = {
      x0: { data: gatherPixels(train, idx, per), dims: [B, cfg.channels, s, s] },
      noise: { data: rng.fillNormal(new Float32Array(B * per)), dims: [B, cfg.channels, s, s] },
      coef_a: { data: a, dims: [B, 1, 1, 1] },
      coef_b: { data: b, dims: [B, 1, 1, 1] },
      timestep: { data: ts, dims: [B] },
      context: { data: Float32Array.from(out.last_hidden_state!.data as Float32Array), dims: [B, T, cfg.contextDim] },
      weight: { data: w, dims: [B] },
    };
  };
  let stepsDone = 0;
  const nextBatch = async (): Promise<typeof batch> => {
    await prepare();
    return batch;
  };
  const loop = await trainLoop(trainer, nextBatch, {
    label: 'generator',
    steps: t.steps,
    lr: t.lr,
    warmup: Math.ceil(t.steps / 20),
    progress,
    every: t.checkEvery,
    afterStep: (tr) => {
      stepsDone++;
      // EMA with a warm-up so early averages are not dominated by the random init.
      const decay = Math.min(t.emaDecay, (1 + stepsDone) / (10 + stepsDone));
      for (const [k, v] of tr.weights()) {
        const e = ema.get(k)!;
        for (let i = 0; i < v.length; i++) e[i] = decay * e[i]! + (1 - decay) * v[i]!;
      }
    },
    onCheckpoint: check ? async (step) => check(unetInferenceModel(cfg, ema), step) : undefined,
  });
  await trainer.release();
  await text.release();
  return { onnx: unetInferenceModel(cfg, ema), weights: ema, params: countParams(ema), shapes: paramShapes(g), loop };
}
