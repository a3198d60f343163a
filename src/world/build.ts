/**
 * `gluegen world build`: trains the bundled world's three models from scratch, seeded, in order —
 * the evaluator (needed to judge samples), the native text encoder (CLIP-style), the autoencoder
 * (latent presets), then the generator conditioned on the frozen text encoder — and writes one folder
 * per model plus a build report and a grid of samples. A 'tiny' preset runs the same code end to end
 * in seconds (tests).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Encoder } from '../encoders/types.js';
import { WorldNativeEncoder } from '../encoders/world/native.js';
import type { Generator } from '../generators/types.js';
import { WorldGenerator } from '../generators/world/generator.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { AttributeName } from './data/attributes.js';
import { DEFAULT_SAMPLING, evaluateGeneration, type GenerationEval, type Prompt, type SamplingOptions } from './eval.js';
import { type AutoencoderConfig, type AutoencoderTraining, DEFAULT_AUTOENCODER, trainAutoencoder } from './models/autoencoder.js';
import { buildWorldTokenizer, renderPool, tokenizerFromFiles } from './models/data.js';
import { worldSchedulerConfig } from './models/diffusion.js';
import { DEFAULT_EVALUATOR, type EvaluatorConfig, HEADS } from './models/evaluator.js';
import { WorldEvaluator } from './models/evaluator-session.js';
import { type BuildReport, samplesGrid, writeReport } from './models/report.js';
import { loadReusable } from './models/reuse.js';
import { DEFAULT_TEXT_ENCODER, type TextEncoderConfig } from './models/text-encoder.js';
import { type EvaluatorTraining, trainEvaluator } from './models/train-evaluator.js';
import { type GeneratorTraining, trainGenerator } from './models/train-generator.js';
import { type TextEncoderTraining, trainTextEncoder } from './models/train-text-encoder.js';
import { DEFAULT_UNET, type UNetConfig } from './models/unet.js';
import { writeWeights } from './models/weights-file.js';

export interface BuildPreset {
  trainImages: number;
  valImages: number;
  testPrompts: number;
  /** Prompts generated at each in-training check of the generator (DDIM 10 steps, guidance 3). */
  checkPrompts: number;
  evaluator: EvaluatorConfig;
  evaluatorTraining: EvaluatorTraining;
  textEncoder: Omit<TextEncoderConfig, 'vocabSize'>;
  textTraining: TextEncoderTraining;
  /** Latent diffusion: train this autoencoder and let the U-Net denoise its 8x8 latents. */
  autoencoder?: { config: AutoencoderConfig; training: AutoencoderTraining };
  /** imageSize/channels are the latent grid's when `autoencoder` is set. */
  unet: Omit<UNetConfig, 'contextTokens' | 'contextDim'>;
  generatorTraining: GeneratorTraining;
  sampling: Omit<SamplingOptions, 'seed'>;
}

/**
 * The shipped build: latent diffusion (autoencoder to 8x8x4, U-Net on latents), sized to ~40
 * minutes on the shared 2-core machine it was built on; LONG_PRESET trains the generator longer.
 */
export const FULL_PRESET: BuildPreset = {
  trainImages: 12000,
  valImages: 500,
  testPrompts: 100,
  checkPrompts: 24,
  evaluator: DEFAULT_EVALUATOR,
  evaluatorTraining: { steps: 1000, batch: 64, lr: 2e-3, noiseStd: 0.2, blur: 0.5 },
  textEncoder: DEFAULT_TEXT_ENCODER,
  textTraining: { steps: 1500, batch: 64, lr: 1e-3, temperature: 0.07, hardNegativeGroup: 4 },
  autoencoder: { config: DEFAULT_AUTOENCODER, training: { steps: 1200, batch: 64, lr: 2e-3, latentPenalty: 1e-5 } },
  unet: { ...DEFAULT_UNET, imageSize: 8, channels: 4, base: 48, mults: [1, 2], attnLevels: [0, 1] },
  generatorTraining: { steps: 2500, batch: 64, lr: 1e-3, captionDropout: 0.1, emaDecay: 0.995, checkEvery: 500 },
  sampling: DEFAULT_SAMPLING,
};

/** Pixel-space diffusion (no autoencoder): the first recipe tried, ~6x more expensive per image. */
export const PIXEL_PRESET: BuildPreset = {
  ...FULL_PRESET,
  autoencoder: undefined,
  unet: { ...DEFAULT_UNET },
  generatorTraining: { steps: 1500, batch: 16, lr: 1e-3, captionDropout: 0.1, emaDecay: 0.995, checkEvery: 300 },
};

/** A longer build (about 1.5 hours on 2 cores): the generator trains 6000 steps. */
export const LONG_PRESET: BuildPreset = {
  ...FULL_PRESET,
  testPrompts: 200,
  checkPrompts: 40,
  generatorTraining: { steps: 6000, batch: 64, lr: 1e-3, captionDropout: 0.1, emaDecay: 0.999, checkEvery: 1000 },
};

/** Seconds end to end: the same code on toy sizes. */
export const TINY_PRESET: BuildPreset = {
  trainImages: 96,
  valImages: 32,
  testPrompts: 8,
  checkPrompts: 4,
  evaluator: { imageSize: 32, widths: [8, 8, 8, 8, 8, 8], featureDim: 16 },
  evaluatorTraining: { steps: 25, batch: 16, lr: 3e-3, noiseStd: 0.2, blur: 0.5 },
  textEncoder: { maxTokens: 16, dim: 16, heads: 2, layers: 1, mlpRatio: 2, embedDim: 8 },
  textTraining: { steps: 20, batch: 16, lr: 3e-3, temperature: 0.1, hardNegativeGroup: 4 },
  autoencoder: { config: { latentChannels: 4, width: 8, shiftFactor: 0, scalingFactor: 1 }, training: { steps: 20, batch: 16, lr: 3e-3, latentPenalty: 1e-5 } },
  unet: { imageSize: 8, channels: 4, base: 8, mults: [1, 2], attnLevels: [1], heads: 2, groups: 4, timeFreqs: 8 },
  generatorTraining: { steps: 25, batch: 8, lr: 3e-3, captionDropout: 0.1, emaDecay: 0.9, checkEvery: 0 },
  sampling: { steps: 3, guidance: 3, scheduler: 'ddim', batch: 8 },
};

/** Real test images the generated ones are compared with for the Fréchet distance. */
export const FD_REAL_IMAGES = 1000;

/** A build's held-out evaluation: its first `n` test prompts, the FD against FD_REAL_IMAGES real test images. */
export async function evaluateHeldOut(
  generator: Generator,
  encoder: Encoder<'text'>,
  evaluator: WorldEvaluator,
  n: number,
  seed: number,
  sampling: SamplingOptions,
): Promise<{ prompts: Prompt[]; result: GenerationEval }> {
  const real = renderPool('test', Math.max(2 * n, FD_REAL_IMAGES), seed);
  const prompts: Prompt[] = real.captions.slice(0, n).map((c, i) => ({ ...c, attrs: real.attrs[i]! }));
  const result = await evaluateGeneration(generator, encoder, evaluator, prompts, sampling, { pixels: real.pixels, n: real.attrs.length });
  return { prompts, result };
}

/** The grid of the first 40 generated samples with their prompts. */
export async function writeSamples(path: string, result: GenerationEval, prompts: Prompt[]): Promise<void> {
  const shown = Math.min(prompts.length, 40);
  await writeFileAtomic(
    path,
    samplesGrid(
      result.images.slice(0, shown),
      prompts.slice(0, shown).map((q) => q.text),
    ),
  );
}

export interface BuildOptions {
  out: string;
  seed: number;
  preset: BuildPreset;
  presetName: string;
  progress: boolean;
  log: (line: string) => void;
  /** Take the evaluator and text encoder from this earlier build's folder (same seed and configs). */
  reuse?: string;
}

const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

export async function buildWorld(o: BuildOptions): Promise<BuildReport> {
  const p = o.preset;
  const t0 = Date.now();
  const phase: BuildReport['phases'] = [];
  const mark = (name: string, since: number): number => {
    const seconds = (Date.now() - since) / 1000;
    phase.push({ name, seconds });
    o.log(`${name}: ${seconds.toFixed(1)} s`);
    return Date.now();
  };
  let t = Date.now();
  const train = renderPool('train', p.trainImages, o.seed);
  const val = renderPool('val', p.valImages, o.seed);
  t = mark('data', t);

  const reused = o.reuse ? await loadReusable(o.reuse, o.seed, p.evaluator, p.textEncoder) : null;
  const markReused = (name: string): number => {
    const seconds = reused!.report.phases.find((q) => q.name === name)?.seconds ?? 0;
    phase.push({ name, seconds, reusedFrom: o.reuse });
    o.log(`${name}: reused from ${o.reuse} (trained there in ${seconds.toFixed(1)} s)`);
    return Date.now();
  };

  // 1. Evaluator.
  const ev = reused?.evaluator ?? (await trainEvaluator(p.evaluator, p.evaluatorTraining, train, val, o.seed + 100, o.progress));
  o.log(`evaluator val accuracy: ${HEADS.map((h) => `${h.name} ${(100 * ev.valAccuracy[h.name]).toFixed(1)}%`).join(', ')}`);
  t = reused ? markReused('evaluator') : mark('evaluator', t);
  const evaluator = await WorldEvaluator.fromModel(ev.onnx);

  // 2. Text encoder.
  const tokFiles = reused?.tokenizer ?? buildWorldTokenizer(o.seed + 200, p.textEncoder.maxTokens);
  const tokenizer = tokenizerFromFiles(tokFiles);
  const textCfg: TextEncoderConfig = { ...p.textEncoder, vocabSize: tokenizer.vocabSize };
  const te = reused?.textEncoder ?? (await trainTextEncoder(textCfg, p.textTraining, tokenizer, train, val, o.seed + 300, o.progress));
  o.log(`text encoder: caption->image retrieval ${(100 * te.retrievalAccuracy).toFixed(1)}% over ${te.retrievalPool} images`);
  t = reused ? markReused('text encoder') : mark('text encoder', t);
  const textConfig = { _class_name: 'WorldTextEncoder' as const, ...textCfg };
  const encoder = await WorldNativeEncoder.fromParts(tokenizer, te.onnx, textConfig);

  // 3. Optional autoencoder (latent diffusion), then the generator, checked during training by
  //    sampling held-out validation prompts.
  let ae: Awaited<ReturnType<typeof trainAutoencoder>> | null = null;
  let aeReadback: Record<AttributeName, number> | null = null;
  let genTrain = train;
  if (p.autoencoder) {
    ae = await trainAutoencoder(p.autoencoder.config, p.autoencoder.training, train, val, o.seed + 600, o.progress);
    o.log(
      `autoencoder: validation reconstruction MSE ${ae.valMse.toFixed(5)} (pixels in [-1, 1]); latent shift ${ae.config.shiftFactor.toFixed(4)}, scale ${ae.config.scalingFactor.toFixed(4)}`,
    );
    genTrain = { ...train, pixels: ae.latents };
    aeReadback = await evaluator.accuracy(ae.valReconstructions, val.attrs);
    o.log(
      `autoencoder: evaluator on validation reconstructions ${HEADS.map((h) => `${h.name} ${(100 * aeReadback![h.name]).toFixed(1)}%`).join(', ')} (the latent generator's ceiling)`,
    );
    t = mark('autoencoder', t);
  }
  const unetCfg: UNetConfig = { ...p.unet, contextTokens: textCfg.maxTokens, contextDim: textCfg.dim };
  const genConfig = { _class_name: 'WorldUNet' as const, unet: unetCfg, ...(ae ? { vae: { ...ae.config, imageSize: 32 } } : {}) };
  const schedulerConfig = worldSchedulerConfig(ae !== null);
  const parts = (model: Uint8Array) => ({ model, config: genConfig, schedulerConfig, ...(ae ? { decoder: ae.decoderOnnx } : {}) });
  const checkPrompts: Prompt[] = val.captions.slice(0, p.checkPrompts).map((c, i) => ({ ...c, attrs: val.attrs[i]! }));
  const check = async (onnx: Uint8Array, step: number): Promise<Record<string, number>> => {
    const gen = await WorldGenerator.fromParts(parts(onnx));
    const r = await evaluateGeneration(gen, encoder, evaluator, checkPrompts, {
      steps: 10,
      guidance: 3,
      scheduler: 'ddim',
      seed: o.seed + step,
      batch: p.checkPrompts,
    });
    await gen.release();
    const values = Object.fromEntries(HEADS.map((h) => [h.name, r.accuracy[h.name].accuracy]));
    o.log(`generator step ${step}: sampled accuracy ${HEADS.map((h) => `${h.name} ${(100 * values[h.name]!).toFixed(0)}%`).join(', ')}`);
    return values;
  };
  const gen = await trainGenerator(
    unetCfg,
    p.generatorTraining,
    { onnx: te.onnx, tokenizer, maxTokens: textCfg.maxTokens },
    genTrain,
    o.seed + 400,
    o.progress,
    p.checkPrompts > 0 ? check : undefined,
  );
  t = mark('generator', t);

  // 4. Held-out evaluation (the test split's prompts and images).
  const generator = await WorldGenerator.fromParts(parts(gen.onnx));
  const sampling: SamplingOptions = { ...p.sampling, seed: o.seed + 500 };
  const { prompts, result } = await evaluateHeldOut(generator, encoder, evaluator, p.testPrompts, o.seed, sampling);
  t = mark('evaluation', t);

  // 5. Write the folders.
  const dirs = { text: join(o.out, 'text-encoder'), gen: join(o.out, 'generator'), ev: join(o.out, 'evaluator') };
  for (const d of Object.values(dirs)) await mkdir(d, { recursive: true });
  await writeFileAtomic(join(dirs.text, 'model.onnx'), te.onnx);
  await writeFile(join(dirs.text, 'config.json'), json(textConfig));
  await writeFile(join(dirs.text, 'tokenizer.json'), json(tokFiles.tokenizerJson));
  await writeFile(join(dirs.text, 'tokenizer_config.json'), json(tokFiles.tokenizerConfig));
  await writeFile(join(dirs.text, 'special_tokens_map.json'), json(tokFiles.specialTokensMap));
  await writeWeights(join(dirs.text, 'model.safetensors'), te.weights, te.shapes);
  await writeFileAtomic(join(dirs.gen, 'model.onnx'), gen.onnx);
  await writeFile(join(dirs.gen, 'config.json'), json(genConfig));
  await writeFile(join(dirs.gen, 'scheduler_config.json'), json(schedulerConfig));
  await writeWeights(join(dirs.gen, 'model.safetensors'), gen.weights, gen.shapes);
  if (ae) {
    await writeFileAtomic(join(dirs.gen, 'vae_decoder.onnx'), ae.decoderOnnx);
    await writeWeights(join(dirs.gen, 'vae.safetensors'), ae.weights, ae.shapes);
  }
  await writeFileAtomic(join(dirs.ev, 'model.onnx'), ev.onnx);
  await writeFile(join(dirs.ev, 'config.json'), json({ _class_name: 'WorldEvaluator', ...p.evaluator, heads: HEADS }));
  await writeWeights(join(dirs.ev, 'model.safetensors'), ev.weights, ev.shapes);
  await writeSamples(join(o.out, 'samples.png'), result, prompts);

  const report: BuildReport = {
    preset: o.presetName,
    seed: o.seed,
    totalSeconds: (Date.now() - t0) / 1000,
    phases: phase,
    data: { trainImages: p.trainImages, valImages: p.valImages, testPrompts: p.testPrompts },
    evaluator: {
      params: ev.params,
      steps: p.evaluatorTraining.steps,
      loss: [ev.loop.firstLoss, ev.loop.lastLoss],
      valAccuracy: ev.valAccuracy,
      ...(ev.blurredValAccuracy ? { blurredValAccuracy: ev.blurredValAccuracy } : {}),
      config: p.evaluator,
    },
    textEncoder: {
      params: te.params,
      steps: p.textTraining.steps,
      loss: [te.loop.firstLoss, te.loop.lastLoss],
      retrievalAccuracy: te.retrievalAccuracy,
      vocabSize: tokenizer.vocabSize,
      config: textCfg,
    },
    autoencoder: ae
      ? {
          params: ae.params,
          steps: p.autoencoder!.training.steps,
          loss: [ae.loop.firstLoss, ae.loop.lastLoss],
          valMse: ae.valMse,
          config: ae.config,
          ...(aeReadback ? { reconstructionAccuracy: aeReadback } : {}),
        }
      : null,
    generator: {
      params: gen.params,
      steps: p.generatorTraining.steps,
      loss: [gen.loop.firstLoss, gen.loop.lastLoss],
      lossCurve: gen.loop.lossCurve,
      checks: gen.loop.checks,
      config: unetCfg,
      training: p.generatorTraining,
    },
    evaluation: { sampling, prompts: result.prompts, accuracy: result.accuracy, fd: result.fd, fdRealFloor: result.fdRealFloor, seconds: result.seconds },
  };
  await writeReport(o.out, report);
  await Promise.all([evaluator.release(), encoder.release(), generator.release()]);
  return report;
}
