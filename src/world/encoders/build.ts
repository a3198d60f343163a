/**
 * Builds the two new encoders GlueNet glues into the world generator, each trained by our code
 * alone (never with the generator, its text encoder or images) and then frozen:
 *
 *   <outDir>/multilingual-encoder/  config.json, tokenizer.json, tokenizer_config.json,
 *                                   special_tokens_map.json, model.onnx
 *   <outDir>/sound-encoder/         config.json, model.onnx
 *   <outDir>/encoders-report.json   accuracies, probe results, sizes, timings
 *
 * The 'full' budget is the shipped build (a few minutes on 2 CPU cores); 'tiny' runs the same code
 * in seconds (tests).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type WorldMultilingualConfig, WorldMultilingualEncoder } from '../../encoders/world/multilingual.js';
import { DEFAULT_SOUND_FRONT_END, frontEndFrames, type SoundFrontEnd, type WorldSoundConfig, WorldSoundEncoder } from '../../encoders/world/sound.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { Progress } from '../../util/progress.js';
import { OBJECTS } from '../data/attributes.js';
import { evaluateMultilingual, evaluateSound, type MultilingualEvaluation, type SoundEvaluation } from './evaluate.js';
import {
  buildMultilingualTokenizer,
  DEFAULT_MULTILINGUAL,
  DEFAULT_MULTILINGUAL_TRAINING,
  type MultilingualConfig,
  type MultilingualTraining,
  trainMultilingualEncoder,
  UNK_ID,
} from './multilingual.js';
import { type Phase, phaseClock } from './phases.js';
import { DEFAULT_SOUND_ENCODER, DEFAULT_SOUND_TRAINING, type SoundEncoderConfig, type SoundTraining, synthPool, trainSoundEncoder } from './sound.js';

export interface WorldEncoderBudget {
  multilingual: Omit<MultilingualConfig, 'vocabSize'>;
  multilingualTraining: MultilingualTraining;
  /** Captions per language the vocabulary is collected from. */
  vocabularyCaptions: number;
  sound: Omit<SoundEncoderConfig, 'nMels' | 'frames'>;
  soundTraining: SoundTraining;
  soundFrontEnd: SoundFrontEnd;
  /** Held-out sizes: probe train / test captions per language, retrieval pool, sound clips. */
  evaluation: { probeTrain: number; probeTest: number; retrievalPool: number; soundClips: number };
}

export const FULL_ENCODER_BUDGET: WorldEncoderBudget = {
  multilingual: DEFAULT_MULTILINGUAL,
  multilingualTraining: DEFAULT_MULTILINGUAL_TRAINING,
  vocabularyCaptions: 4000,
  sound: DEFAULT_SOUND_ENCODER,
  soundTraining: DEFAULT_SOUND_TRAINING,
  soundFrontEnd: DEFAULT_SOUND_FRONT_END,
  evaluation: { probeTrain: 800, probeTest: 400, retrievalPool: 200, soundClips: 200 },
};

export const TINY_ENCODER_BUDGET: WorldEncoderBudget = {
  multilingual: { maxTokens: 24, dim: 16, heads: 2, layers: 1, mlpRatio: 2, projDim: 16 },
  multilingualTraining: { ...DEFAULT_MULTILINGUAL_TRAINING, steps: 30, batch: 16, mlmBatch: 8, lr: 3e-3 },
  vocabularyCaptions: 300,
  sound: { convWidth: 8, dim: 16, heads: 2, layers: 1, mlpRatio: 2, embedDim: 16, classes: OBJECTS.length },
  soundTraining: { ...DEFAULT_SOUND_TRAINING, clips: 60, steps: 30, batch: 16, lr: 3e-3 },
  soundFrontEnd: { ...DEFAULT_SOUND_FRONT_END, nMels: 32, windowSeconds: 1 },
  evaluation: { probeTrain: 80, probeTest: 40, retrievalPool: 20, soundClips: 20 },
};

export interface BuildWorldEncodersOptions {
  outDir: string;
  seed: number;
  /** 'full' (the shipped build), 'tiny' (seconds, tests) or explicit sizes. */
  budget: 'full' | 'tiny' | WorldEncoderBudget;
  /** Progress bars on stderr (default true). */
  progress?: boolean;
  /** One line per phase (default: stderr). */
  log?: (line: string) => void;
}

export interface WorldEncodersReport {
  seed: number;
  budget: string;
  totalSeconds: number;
  phases: Phase[];
  multilingual: {
    params: number;
    vocabSize: number;
    onnxBytes: number;
    loss: { first: number; last: number; curve: [number, number][] };
    config: MultilingualConfig;
    training: MultilingualTraining;
    evaluation: MultilingualEvaluation;
  };
  sound: {
    params: number;
    onnxBytes: number;
    loss: { first: number; last: number; curve: [number, number][] };
    config: SoundEncoderConfig;
    training: SoundTraining;
    frontEnd: SoundFrontEnd;
    evaluation: SoundEvaluation;
  };
}

const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

export async function buildWorldEncoders(o: BuildWorldEncodersOptions): Promise<WorldEncodersReport> {
  const budget = o.budget === 'full' ? FULL_ENCODER_BUDGET : o.budget === 'tiny' ? TINY_ENCODER_BUDGET : o.budget;
  if (typeof budget !== 'object' || budget === null || !budget.multilingual || !budget.sound) {
    throw new Error(`buildWorldEncoders: budget is ${JSON.stringify(o.budget)}; expected 'full', 'tiny' or a WorldEncoderBudget object`);
  }
  if (!Number.isInteger(o.seed)) throw new Error(`buildWorldEncoders: seed is ${String(o.seed)}; expected an integer`);
  const progress = o.progress ?? true;
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const t0 = Date.now();
  const { phases, mark } = phaseClock(log);

  // 1. Multilingual text encoder.
  const tok = buildMultilingualTokenizer(o.seed + 10, budget.multilingual.maxTokens, budget.vocabularyCaptions);
  const mlCfg: MultilingualConfig = { ...budget.multilingual, vocabSize: tok.tokenizer.vocabSize };
  mark('multilingual vocabulary');
  const ml = await trainMultilingualEncoder(mlCfg, budget.multilingualTraining, tok.tokenizer, o.seed + 20, progress);
  mark('multilingual training');
  const mlConfig: WorldMultilingualConfig = { _class_name: 'WorldMultilingualEncoder', ...mlCfg, unkTokenId: UNK_ID, lexicon: tok.lexicon };
  const mlEncoder = await WorldMultilingualEncoder.fromParts(tok.tokenizer, ml.onnx, mlConfig);
  const mlEval = await evaluateMultilingual(mlEncoder, o.seed + 30, budget.evaluation).finally(() => mlEncoder.release());
  mark('multilingual evaluation');
  const summary = (r: Record<string, Record<string, number>>) =>
    Object.entries(r)
      .map(
        ([l, a]) =>
          `${l} ${Object.values(a)
            .map((v) => (100 * v).toFixed(0))
            .join('/')}`,
      )
      .join(', ');
  log(`multilingual probe (object/colour/size/position %): ${summary(mlEval.probe)}`);
  log(`multilingual English probe on each language: ${summary(mlEval.probeFromEnglish)}`);
  log(
    `multilingual retrieval -> English (pool ${mlEval.retrievalPool}): ${Object.entries(mlEval.retrieval)
      .map(([l, v]) => `${l} ${(100 * v).toFixed(0)}%`)
      .join(', ')}`,
  );

  // 2. Sound encoder.
  const fe = budget.soundFrontEnd;
  const sCfg: SoundEncoderConfig = { ...budget.sound, nMels: fe.nMels, frames: frontEndFrames(fe) };
  const bar = progress ? new Progress({ total: budget.soundTraining.clips, label: 'sound clips' }) : null;
  const pool = synthPool('train', budget.soundTraining.clips, o.seed + 40, fe, budget.soundTraining.bandLimitShare, () => bar?.tick());
  bar?.done();
  mark('sound data');
  const snd = await trainSoundEncoder(sCfg, budget.soundTraining, pool, o.seed + 50, progress);
  mark('sound training');
  const tokens = Math.round(Math.sqrt(sCfg.embedDim));
  const sConfig: WorldSoundConfig = {
    _class_name: 'WorldSoundEncoder',
    frontEnd: fe,
    embedDim: sCfg.embedDim,
    // A square token grid when the width allows (256 -> 16 x 16), else one token.
    tokens: tokens * tokens === sCfg.embedDim ? tokens : 1,
    dim: tokens * tokens === sCfg.embedDim ? tokens : sCfg.embedDim,
    classes: [...OBJECTS],
    maxSeconds: 60,
    model: sCfg,
  };
  const sEncoder = await WorldSoundEncoder.fromParts(snd.onnx, sConfig);
  const sEval = await evaluateSound(sEncoder, 'val', budget.evaluation.soundClips, o.seed + 40).finally(() => sEncoder.release());
  mark('sound evaluation');
  log(
    `sound held-out accuracy (${sEval.clips} clips): ${Object.entries(sEval.accuracy)
      .map(([k, v]) => `${k} ${(100 * v).toFixed(1)}%`)
      .join(', ')}`,
  );

  // 3. Write the folders.
  const mlDir = join(o.outDir, 'multilingual-encoder');
  const sDir = join(o.outDir, 'sound-encoder');
  await mkdir(mlDir, { recursive: true });
  await mkdir(sDir, { recursive: true });
  await writeFileAtomic(join(mlDir, 'model.onnx'), ml.onnx);
  await writeFile(join(mlDir, 'tokenizer.json'), json(tok.files.tokenizerJson));
  await writeFile(join(mlDir, 'tokenizer_config.json'), json(tok.files.tokenizerConfig));
  await writeFile(join(mlDir, 'special_tokens_map.json'), json(tok.files.specialTokensMap));
  await writeFile(join(mlDir, 'config.json'), json(mlConfig));
  await writeFileAtomic(join(sDir, 'model.onnx'), snd.onnx);
  await writeFile(join(sDir, 'config.json'), json(sConfig));

  const report: WorldEncodersReport = {
    seed: o.seed,
    budget: typeof o.budget === 'string' ? o.budget : 'custom',
    totalSeconds: (Date.now() - t0) / 1000,
    phases,
    multilingual: {
      params: ml.params,
      vocabSize: mlCfg.vocabSize,
      onnxBytes: ml.onnx.length,
      loss: { first: ml.loop.firstLoss, last: ml.loop.lastLoss, curve: ml.loop.lossCurve },
      config: mlCfg,
      training: budget.multilingualTraining,
      evaluation: mlEval,
    },
    sound: {
      params: snd.params,
      onnxBytes: snd.onnx.length,
      loss: { first: snd.loop.firstLoss, last: snd.loop.lastLoss, curve: snd.loop.lossCurve },
      config: sCfg,
      training: budget.soundTraining,
      frontEnd: fe,
      evaluation: sEval,
    },
  };
  await writeFileAtomic(join(o.outDir, 'encoders-report.json'), json(report));
  return report;
}
