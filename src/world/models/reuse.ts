/**
 * `world build --reuse DIR`: takes the evaluator and the text encoder from an earlier build with the
 * same seed and configs instead of training them again (they do not depend on the generator), so a
 * longer generator run need not repeat the first two phases.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonObject, TokenizerFiles } from '../../encoders/text/tokenizer-json.js';
import type { EvaluatorConfig } from './evaluator.js';
import type { BuildReport } from './report.js';
import type { TextEncoderConfig } from './text-encoder.js';
import type { TrainedEvaluator } from './train-evaluator.js';
import type { TrainedTextEncoder } from './train-text-encoder.js';
import { readWeights } from './weights-file.js';

export interface Reused {
  evaluator: TrainedEvaluator;
  textEncoder: TrainedTextEncoder;
  tokenizer: TokenizerFiles;
  report: BuildReport;
}

async function readJson(path: string): Promise<JsonObject> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as JsonObject;
  } catch (e) {
    throw new Error(`world build --reuse: cannot read ${path} (${(e as Error).message}); pass a folder written by an earlier \`gluegen world build\``);
  }
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export async function loadReusable(dir: string, seed: number, evaluatorCfg: EvaluatorConfig, textCfg: Omit<TextEncoderConfig, 'vocabSize'>): Promise<Reused> {
  const report = (await readJson(join(dir, 'build-report.json'))) as unknown as BuildReport;
  if (report.seed !== seed)
    throw new Error(`world build --reuse: ${dir} was built with seed ${report.seed}, this build uses ${seed}; pass the same --seed or drop --reuse`);
  if (!same(report.evaluator.config, evaluatorCfg))
    throw new Error(`world build --reuse: the evaluator in ${dir} has another config than this preset's; drop --reuse`);
  const { vocabSize: _v, ...prevText } = report.textEncoder.config;
  if (!same(prevText, textCfg)) throw new Error(`world build --reuse: the text encoder in ${dir} has another config than this preset's; drop --reuse`);
  const seconds = (name: string): number => report.phases.find((p) => p.name === name)?.seconds ?? 0;
  const loop = (loss: [number, number], name: string) => ({ lossCurve: [], firstLoss: loss[0], lastLoss: loss[1], seconds: seconds(name), checks: [] });
  const ev = await readWeights(join(dir, 'evaluator', 'model.safetensors'));
  const te = await readWeights(join(dir, 'text-encoder', 'model.safetensors'));
  const textDir = join(dir, 'text-encoder');
  return {
    report,
    evaluator: {
      onnx: new Uint8Array(await readFile(join(dir, 'evaluator', 'model.onnx'))),
      ...ev,
      params: report.evaluator.params,
      loop: loop(report.evaluator.loss, 'evaluator'),
      valAccuracy: report.evaluator.valAccuracy,
    },
    textEncoder: {
      onnx: new Uint8Array(await readFile(join(textDir, 'model.onnx'))),
      ...te,
      params: report.textEncoder.params,
      loop: loop(report.textEncoder.loss, 'text encoder'),
      retrievalAccuracy: report.textEncoder.retrievalAccuracy,
      retrievalPool: report.data.valImages,
    },
    tokenizer: {
      tokenizerJson: await readJson(join(textDir, 'tokenizer.json')),
      tokenizerConfig: await readJson(join(textDir, 'tokenizer_config.json')),
      specialTokensMap: await readJson(join(textDir, 'special_tokens_map.json')),
    },
  };
}
