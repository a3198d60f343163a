/**
 * A larger English text encoder than the generator's own (the paper's T5 experiment on our world):
 * the multilingual encoder's model and trainer (multilingual.ts), three times the parameters and
 * twice the tokens, trained by our code on text only (never images, the generator or its encoder)
 * and on a richer English than the native captions: each caption is rich (captions-rich.ts) or
 * canonical (captions-en.ts). GlueNet then glues it into the generator.
 *
 *   <outDir>/english-large-encoder/          config.json (WorldMultilingualEncoder, name
 *                                            'world-english-large'), tokenizer files, model.onnx
 *   <outDir>/english-large-encoder-report.json  params, loss curve, timings, held-out evaluation
 *
 * The 'full' budget is the shipped build (~12 min on 2 CPU cores); 'tiny' runs the same code in
 * seconds (tests).
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadEncoder } from '../../encoders/registry.js';
import { type WorldMultilingualConfig, WorldMultilingualEncoder } from '../../encoders/world/multilingual.js';
import { withAtomicFolder, writeFileAtomic } from '../../io/atomic.js';
import { readSafetensors } from '../../io/safetensors.js';
import { Rng } from '../../util/rng.js';
import { worldModelDir } from '../assets.js';
import { ATTRIBUTE_NAMES, type AttributeName, type Attributes, COUNTS, type NamedAttributes } from '../data/attributes.js';
import { captionIn, sampleNamed } from '../data/captions-multi.js';
import { captionRich } from '../data/captions-rich.js';
import { sampleAttributes } from '../data/dataset.js';
import {
  buildMultilingualTokenizer,
  type Captioner,
  type CaptionerChoice,
  DEFAULT_MULTILINGUAL_TRAINING,
  type MultilingualConfig,
  type MultilingualTraining,
  trainMultilingualEncoder,
  UNK_ID,
} from './multilingual.js';
import { type Phase, phaseClock } from './phases.js';
import { accuracy, fitLinearProbe, nearestByCosine, predictProbe } from './probe.js';

export const LARGE_ENGLISH_NAME = 'world-english-large';
export const LARGE_ENGLISH_FOLDER = 'english-large-encoder';

/** Share of training captions drawn rich; the rest are canonical captionEn. */
export const RICH_SHARE = 0.6;

const canonicalEnglish: Captioner = (attrs, named, rng) => captionIn('en', attrs, named, rng).text;
/** The large encoder's training captions: rich with probability RICH_SHARE, else canonical. */
export const richOrCanonical: CaptionerChoice = (rng) => (rng.uniform() < RICH_SHARE ? captionRich : canonicalEnglish);

export interface LargeEnglishBudget {
  model: Omit<MultilingualConfig, 'vocabSize'>;
  training: MultilingualTraining;
  /** Captions the vocabulary is collected from. */
  vocabularyCaptions: number;
  /** Held-out sizes: probe train / test captions, retrieval pool. */
  evaluation: { probeTrain: number; probeTest: number; retrievalPool: number };
}

export const FULL_LARGE_ENGLISH_BUDGET: LargeEnglishBudget = {
  // ~1.9M parameters, 3x the native encoder (612k); 32 tokens for rich prompts of up to 30 pieces.
  model: { maxTokens: 32, dim: 160, heads: 5, layers: 6, mlpRatio: 4, projDim: 64 },
  // 800 steps: measured 1.1-1.3 steps/s on 2 cores shared with other jobs, so ~10-12 min. The loss
  // is near its floor after a few hundred steps; a deeper net than the multilingual one, so a lower lr.
  training: { ...DEFAULT_MULTILINGUAL_TRAINING, steps: 800, batch: 48, mlmBatch: 32, lr: 7e-4 },
  vocabularyCaptions: 12000,
  evaluation: { probeTrain: 800, probeTest: 400, retrievalPool: 200 },
};

export const TINY_LARGE_ENGLISH_BUDGET: LargeEnglishBudget = {
  model: { maxTokens: 32, dim: 16, heads: 2, layers: 1, mlpRatio: 2, projDim: 16 },
  training: { ...DEFAULT_MULTILINGUAL_TRAINING, steps: 20, batch: 16, mlmBatch: 8, lr: 3e-3 },
  vocabularyCaptions: 2000,
  evaluation: { probeTrain: 80, probeTest: 40, retrievalPool: 20 },
};

export interface LargeEnglishEvaluation {
  /** Top-1 retrieval of the canonical caption of the same description among `retrievalPool`, from a rich caption. */
  richToCanonical: number;
  /** The same from a second canonical caption (paraphrase retrieval). */
  canonicalToCanonical: number;
  /** The same from a second rich caption to a rich caption. */
  richToRich: number;
  retrievalPool: number;
  /** Held-out accuracy of a linear probe on pooled features of rich captions, per attribute. */
  probeRich: Record<AttributeName, number>;
  chance: Record<AttributeName, number>;
  probeTrain: number;
  probeTest: number;
}

export interface LargeEnglishReport {
  name: string;
  seed: number;
  budget: string;
  params: number;
  /** Parameters of the native text encoder (assets/world/text-encoder), when it is there. */
  nativeParams: number | null;
  ratioToNative: number | null;
  vocabSize: number;
  onnxBytes: number;
  steps: number;
  loss: { first: number; last: number; curve: [number, number][] };
  config: MultilingualConfig;
  training: MultilingualTraining;
  richShare: number;
  totalSeconds: number;
  phases: Phase[];
  evaluation: LargeEnglishEvaluation;
}

export interface BuildLargeEnglishOptions {
  outDir: string;
  seed: number;
  /** 'full' (the shipped build), 'tiny' (seconds, tests) or explicit sizes. */
  budget: 'full' | 'tiny' | LargeEnglishBudget;
  /** Progress bar on stderr (default true). */
  progress?: boolean;
  /** One line per phase (default: stderr). */
  log?: (line: string) => void;
}

const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

export async function buildLargeEnglishEncoder(o: BuildLargeEnglishOptions): Promise<LargeEnglishReport> {
  const budget = o.budget === 'full' ? FULL_LARGE_ENGLISH_BUDGET : o.budget === 'tiny' ? TINY_LARGE_ENGLISH_BUDGET : o.budget;
  if (typeof budget !== 'object' || budget === null || !budget.model || !budget.training) {
    throw new Error(`buildLargeEnglishEncoder: budget is ${JSON.stringify(o.budget)}; expected 'full', 'tiny' or a LargeEnglishBudget object`);
  }
  if (!Number.isInteger(o.seed)) throw new Error(`buildLargeEnglishEncoder: seed is ${String(o.seed)}; expected an integer`);
  if (typeof o.outDir !== 'string' || o.outDir === '')
    throw new Error(`buildLargeEnglishEncoder: outDir is ${JSON.stringify(o.outDir)}; expected a folder path`);
  const progress = o.progress ?? true;
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const t0 = Date.now();
  const { phases, mark } = phaseClock(log);

  // 1. Vocabulary from the training mix (rich and canonical), then training.
  const mixed: Captioner = (attrs, named, rng) => richOrCanonical(rng)(attrs, named, rng);
  const tok = buildMultilingualTokenizer(o.seed + 10, budget.model.maxTokens, budget.vocabularyCaptions, { en: mixed });
  const cfg: MultilingualConfig = { ...budget.model, vocabSize: tok.tokenizer.vocabSize };
  mark('vocabulary');
  log(`large English encoder: ${cfg.vocabSize} tokens, ${cfg.layers} layers of width ${cfg.dim}, ${budget.training.steps} steps`);
  const trained = await trainMultilingualEncoder(cfg, budget.training, tok.tokenizer, o.seed + 20, progress, undefined, richOrCanonical);
  mark('training');
  const config: WorldMultilingualConfig = {
    _class_name: 'WorldMultilingualEncoder',
    name: LARGE_ENGLISH_NAME,
    ...cfg,
    unkTokenId: UNK_ID,
    lexicon: tok.lexicon,
  };
  const encoder = await WorldMultilingualEncoder.fromParts(tok.tokenizer, trained.onnx, config);
  const evaluation = await evaluateLargeEnglish(encoder, o.seed + 30, budget.evaluation).finally(() => encoder.release());
  mark('evaluation');
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  log(
    `retrieval (pool ${evaluation.retrievalPool}): rich -> canonical ${pct(evaluation.richToCanonical)}, ` +
      `canonical -> canonical ${pct(evaluation.canonicalToCanonical)}, rich -> rich ${pct(evaluation.richToRich)}`,
  );
  log(`probe on rich captions: ${ATTRIBUTE_NAMES.map((a) => `${a} ${pct(evaluation.probeRich[a])}`).join(', ')}`);

  // 2. The folder, written as a set: complete and loadable before it takes the final name.
  await mkdir(o.outDir, { recursive: true });
  const final = join(o.outDir, LARGE_ENGLISH_FOLDER);
  await withAtomicFolder(final, async (temp) => {
    await writeFile(join(temp, 'model.onnx'), trained.onnx);
    await writeFile(join(temp, 'tokenizer.json'), json(tok.files.tokenizerJson));
    await writeFile(join(temp, 'tokenizer_config.json'), json(tok.files.tokenizerConfig));
    await writeFile(join(temp, 'special_tokens_map.json'), json(tok.files.specialTokensMap));
    await writeFile(join(temp, 'config.json'), json(config));
    await checkFolder(temp, cfg);
  });
  mark('write');

  const nativeParams = await nativeEncoderParams();
  const report: LargeEnglishReport = {
    name: LARGE_ENGLISH_NAME,
    seed: o.seed,
    budget: typeof o.budget === 'string' ? o.budget : 'custom',
    params: trained.params,
    nativeParams,
    ratioToNative: nativeParams === null ? null : trained.params / nativeParams,
    vocabSize: cfg.vocabSize,
    onnxBytes: (await stat(join(final, 'model.onnx'))).size,
    steps: budget.training.steps,
    loss: { first: trained.loop.firstLoss, last: trained.loop.lastLoss, curve: trained.loop.lossCurve },
    config: cfg,
    training: budget.training,
    richShare: RICH_SHARE,
    totalSeconds: (Date.now() - t0) / 1000,
    phases,
    evaluation,
  };
  await writeFileAtomic(join(o.outDir, `${LARGE_ENGLISH_FOLDER}-report.json`), json(report));
  return report;
}

/** Opens the written folder the way users will and checks the feature shape on a rich and an empty prompt. */
async function checkFolder(dir: string, cfg: MultilingualConfig): Promise<void> {
  const encoder = await loadEncoder(dir, { threads: 1 });
  try {
    const enc = await encoder.encode(['a minuscule crimson chime in the northwest corner', '']);
    const expected = [2, cfg.maxTokens, cfg.dim];
    if (enc.batch !== 2 || enc.tokens !== cfg.maxTokens || enc.dim !== cfg.dim || !enc.features.every(Number.isFinite)) {
      throw new Error(
        `internal: the written large English encoder gives [${enc.batch}, ${enc.tokens}, ${enc.dim}] features, expected [${expected.join(', ')}], all finite`,
      );
    }
  } finally {
    await encoder.release();
  }
}

/** Parameter count of the bundled native text encoder, or null when it is not there. */
async function nativeEncoderParams(): Promise<number | null> {
  try {
    const { tensors } = await readSafetensors(join(worldModelDir('text-encoder'), 'model.safetensors'));
    let n = 0;
    for (const t of tensors.values()) n += t.shape.reduce((a, b) => a * b, 1);
    return n;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

interface Described {
  attrs: Attributes;
  named: NamedAttributes;
}

const describe = (rng: Rng, n: number): Described[] => Array.from({ length: n }, () => ({ attrs: sampleAttributes(rng), named: sampleNamed(rng) }));

function sameDescription(a: Described, b: Described): boolean {
  return ATTRIBUTE_NAMES.every((k) => a.named[k] === b.named[k] && (!a.named[k] || a.attrs[k] === b.attrs[k]));
}

/**
 * Held-out checks on the exported model: top-1 retrieval among `retrievalPool` fresh descriptions
 * (rich -> canonical, canonical -> canonical, rich -> rich; a hit is any caption of the same
 * description), and a ridge probe per attribute on pooled features of rich captions.
 */
export async function evaluateLargeEnglish(
  encoder: WorldMultilingualEncoder,
  seed: number,
  sizes: LargeEnglishBudget['evaluation'],
): Promise<LargeEnglishEvaluation> {
  const rng = new Rng(seed);
  const dim = encoder.info.dim;
  const pool = describe(rng, sizes.retrievalPool);
  const rich = (sets: Described[]) => encoder.pooled(sets.map((s) => captionRich(s.attrs, s.named, rng)));
  const canonical = (sets: Described[]) => encoder.pooled(sets.map((s) => canonicalEnglish(s.attrs, s.named, rng)));
  const keys = await canonical(pool);
  const richKeys = await rich(pool);
  const hits = (queries: Float32Array, against: Float32Array) =>
    nearestByCosine(queries, against, dim).filter((j, i) => sameDescription(pool[i]!, pool[j]!)).length / pool.length;
  const richToCanonical = hits(await rich(pool), keys);
  const canonicalToCanonical = hits(await canonical(pool), keys);
  const richToRich = hits(await rich(pool), richKeys);

  const train = describe(rng, sizes.probeTrain);
  const test = describe(rng, sizes.probeTest);
  const trainX = await rich(train);
  const testX = await rich(test);
  const rows = (x: Float32Array, sets: Described[], a: AttributeName) => {
    const keep = sets.flatMap((s, i) => (s.named[a] ? [i] : []));
    const out = new Float32Array(keep.length * dim);
    keep.forEach((i, r) => out.set(x.subarray(i * dim, (i + 1) * dim), r * dim));
    return { x: out, y: keep.map((i) => sets[i]!.attrs[a]) };
  };
  const probeRich = {} as Record<AttributeName, number>;
  for (const a of ATTRIBUTE_NAMES) {
    const fitted = rows(trainX, train, a);
    const scored = rows(testX, test, a);
    probeRich[a] = accuracy(predictProbe(fitLinearProbe(fitted.x, fitted.y, dim, COUNTS[a]), scored.x), scored.y);
  }
  const chance = Object.fromEntries(ATTRIBUTE_NAMES.map((a) => [a, 1 / COUNTS[a]])) as Record<AttributeName, number>;
  return {
    richToCanonical,
    canonicalToCanonical,
    richToRich,
    retrievalPool: sizes.retrievalPool,
    probeRich,
    chance,
    probeTrain: sizes.probeTrain,
    probeTest: sizes.probeTest,
  };
}
