/**
 * `gluegen world finetune-decoder`: decoder-only fine-tuning of a built world's autoencoder (see
 * finetuneDecoder). The generator's latent space is untouched, so only generator/vae_decoder.onnx and
 * the decoder half of generator/vae.safetensors change; the build report records the step and the
 * evaluator's reading of the reconstructions before and after.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { encodeSafetensors, readSafetensors, tensorToFloat32 } from '../io/safetensors.js';
import { ATTRIBUTE_NAMES, type AttributeName } from './data/attributes.js';
import { finetuneDecoder, type AutoencoderConfig, type DecoderFinetuning } from './models/autoencoder.js';
import { renderPool } from './models/data.js';
import { WorldEvaluator } from './models/evaluator-session.js';
import { reportMarkdown, samplesGrid, type BuildReport } from './models/report.js';
import { loadWorldModels } from './assets.js';
import { FD_REAL_IMAGES } from './build.js';
import { evaluateGeneration, type Prompt } from './eval.js';

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

export async function finetuneWorldDecoder(dir: string, t: DecoderFinetuning, seed: number, progress: boolean, log: (line: string) => void): Promise<DecoderFinetuneResult> {
  const start = Date.now();
  const genDir = join(dir, 'generator');
  const config = await readJson<{ vae?: AutoencoderConfig & { imageSize: number } }>(join(genDir, 'config.json'), 'generator config');
  if (!config.vae) throw new Error(`world finetune-decoder: ${genDir} is a pixel-space generator (no vae in config.json); there is no decoder to fine-tune`);
  const report = await readJson<BuildReport>(join(dir, 'build-report.json'), 'build report');
  if (!report.autoencoder) throw new Error(`world finetune-decoder: ${dir}/build-report.json has no autoencoder entry`);
  const st = await readSafetensors(join(genDir, 'vae.safetensors'));
  const weights = new Map<string, Float32Array>();
  const shapes = new Map<string, number[]>();
  for (const [k, v] of st.tensors) {
    weights.set(k, tensorToFloat32(v, k));
    shapes.set(k, v.shape);
  }
  const { imageSize: _side, ...cfg } = config.vae;
  const train = renderPool('train', report.data.trainImages, report.seed);
  const val = renderPool('val', report.data.valImages, report.seed);
  log(`decoder fine-tune: ${t.steps} steps on the latents of ${train.attrs.length} training images (encoder frozen)`);
  const r = await finetuneDecoder(cfg, weights, t, train, val, seed, progress);
  const evaluator = await WorldEvaluator.fromModel(join(dir, 'evaluator', 'model.onnx'));
  const c = await evaluator.classify(r.valReconstructions, val.attrs.length);
  await evaluator.release();
  const after = Object.fromEntries(ATTRIBUTE_NAMES.map((n) => [n, val.attrs.filter((a, i) => c.attributes[i]![n] === a[n]).length / val.attrs.length])) as Record<AttributeName, number>;
  for (const [k, v] of r.weights) weights.set(k, v);
  const tensors = new Map([...weights].map(([k, v]) => [k, { dtype: 'F16' as const, shape: shapes.get(k)!, data: v }]));
  await writeFileAtomic(join(genDir, 'vae.safetensors'), encodeSafetensors(tensors, { format: 'pt' }));
  await writeFileAtomic(join(genDir, 'vae_decoder.onnx'), r.decoderOnnx);
  // The build's held-out evaluation again, same prompts and seeds, through the new decoder.
  const models = await loadWorldModels(dir);
  const test = renderPool('test', report.data.testPrompts, report.seed);
  const prompts: Prompt[] = test.captions.map((q, i) => ({ ...q, attrs: test.attrs[i]! }));
  const real = renderPool('test', Math.max(2 * report.data.testPrompts, FD_REAL_IMAGES), report.seed);
  const evaluation = await evaluateGeneration(models.generator, models.encoder, models.evaluator, prompts, report.evaluation.sampling, { pixels: real.pixels, n: real.attrs.length });
  await models.release();
  const shown = Math.min(prompts.length, 40);
  await writeFileAtomic(join(dir, 'samples.png'), samplesGrid(evaluation.images.slice(0, shown), prompts.slice(0, shown).map((q) => q.text)));
  const seconds = (Date.now() - start) / 1000;
  const before = report.autoencoder.reconstructionAccuracy ?? null;
  const beforeMse = report.autoencoder.valMse;
  report.autoencoder.decoderFinetune = { ...t, seed, seconds, valMse: r.valMse, reconstructionAccuracy: after };
  report.evaluationBeforeDecoderFinetune ??= report.evaluation;
  const e = evaluation;
  report.evaluation = { sampling: report.evaluation.sampling, prompts: e.prompts, accuracy: e.accuracy, fd: e.fd, fdRealFloor: e.fdRealFloor, seconds: e.seconds };
  await writeFileAtomic(join(dir, 'build-report.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFileAtomic(join(dir, 'build-report.md'), reportMarkdown(report));
  return { seconds, before, after, valMse: [beforeMse, r.valMse] };
}
