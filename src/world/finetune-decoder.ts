/**
 * `gluegen world finetune-decoder`: decoder-only fine-tuning of a built world's autoencoder (see
 * finetuneDecoder). The generator's latent space is untouched, so only generator/vae_decoder.onnx and
 * the decoder half of generator/vae.safetensors change; the build report records the step and the
 * evaluator's reading of the reconstructions before and after.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { loadWorldModels } from './assets.js';
import { evaluateHeldOut, writeSamples } from './build.js';
import type { AttributeName } from './data/attributes.js';
import { type AutoencoderConfig, type DecoderFinetuning, finetuneDecoder } from './models/autoencoder.js';
import { renderPool } from './models/data.js';
import { type BuildReport, writeReport } from './models/report.js';
import { readWeights, writeWeights } from './models/weights-file.js';

export const DECODER_FINETUNING: DecoderFinetuning = { steps: 800, batch: 64, lr: 5e-4 };

export interface DecoderFinetuneResult {
  seconds: number;
  before: Record<AttributeName, number> | null;
  after: Record<AttributeName, number>;
  valMse: [number, number];
}

async function readJson<T>(path: string, what: string): Promise<T> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (e) {
    throw new Error(`world finetune-decoder: cannot read ${what} ${path} (${(e as Error).message}); pass --models a folder written by \`gluegen world build\``);
  }
}

export async function finetuneWorldDecoder(
  dir: string,
  t: DecoderFinetuning,
  seed: number,
  progress: boolean,
  log: (line: string) => void,
): Promise<DecoderFinetuneResult> {
  const start = Date.now();
  const genDir = join(dir, 'generator');
  const config = await readJson<{ vae?: AutoencoderConfig & { imageSize: number } }>(join(genDir, 'config.json'), 'generator config');
  if (!config.vae) throw new Error(`world finetune-decoder: ${genDir} is a pixel-space generator (no vae in config.json); there is no decoder to fine-tune`);
  const report = await readJson<BuildReport>(join(dir, 'build-report.json'), 'build report');
  if (!report.autoencoder) throw new Error(`world finetune-decoder: ${dir}/build-report.json has no autoencoder entry`);
  const { weights, shapes } = await readWeights(join(genDir, 'vae.safetensors'));
  const { imageSize: _side, ...cfg } = config.vae;
  const train = renderPool('train', report.data.trainImages, report.seed);
  const val = renderPool('val', report.data.valImages, report.seed);
  log(`decoder fine-tune: ${t.steps} steps on the latents of ${train.attrs.length} training images (encoder frozen)`);
  const r = await finetuneDecoder(cfg, weights, t, train, val, seed, progress);
  for (const [k, v] of r.weights) weights.set(k, v);
  await writeWeights(join(genDir, 'vae.safetensors'), weights, shapes);
  await writeFileAtomic(join(genDir, 'vae_decoder.onnx'), r.decoderOnnx);
  // The build's held-out evaluation again, same prompts and seeds, through the new decoder.
  const models = await loadWorldModels(dir);
  const after = await models.evaluator.accuracy(r.valReconstructions, val.attrs);
  const { prompts, result: evaluation } = await evaluateHeldOut(
    models.generator,
    models.encoder,
    models.evaluator,
    report.data.testPrompts,
    report.seed,
    report.evaluation.sampling,
  );
  await models.release();
  await writeSamples(join(dir, 'samples.png'), evaluation, prompts);
  const seconds = (Date.now() - start) / 1000;
  const before = report.autoencoder.reconstructionAccuracy ?? null;
  const beforeMse = report.autoencoder.valMse;
  report.autoencoder.decoderFinetune = { ...t, seed, seconds, valMse: r.valMse, reconstructionAccuracy: after };
  report.evaluationBeforeDecoderFinetune ??= report.evaluation;
  const e = evaluation;
  report.evaluation = {
    sampling: report.evaluation.sampling,
    prompts: e.prompts,
    accuracy: e.accuracy,
    fd: e.fd,
    fdRealFloor: e.fdRealFloor,
    seconds: e.seconds,
  };
  await writeReport(dir, report);
  return { seconds, before, after, valMse: [beforeMse, r.valMse] };
}
