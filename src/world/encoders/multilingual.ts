/**
 * The world's multilingual text encoder (the XLM-R analogue): word-level tokens over the captions of
 * all seven languages, token + position embeddings, a bidirectional pre-LN transformer that ignores
 * padding keys, and a final LayerNorm. last_hidden_state [B, T, D] is what GlueNet reads;
 * pooler_output is its mean over real tokens.
 *
 * Trained by our code alone, never with the generator, its text encoder or images:
 *  - cross-lingual contrastive (InfoNCE): the same attribute set captioned in two languages (drawn
 *    independently, so sometimes two paraphrases in one language) -> close pooled embeddings, other
 *    sets in the batch -> apart. Captions name random attribute subsets, so a batch may hold several
 *    captions of one description: the targets spread over every such match (as the native trainer does);
 *  - masked-token prediction (BERT's 80/10/10 recipe) on a separate batch, with the output layer
 *    tied to the word embeddings, so that every token's feature carries its word in context.
 */

import { type TextTokenizer, tokenizerFromJson, wordLevelVocabulary } from '../../encoders/text/tokenizer.js';
import { buildWordLevelTokenizer, type TokenizerFiles, WORD_LEVEL_SPECIALS } from '../../encoders/text/tokenizer-json.js';
import { compileInference } from '../../engine/compile.js';
import * as F from '../../engine/functional.js';
import { initWeights } from '../../engine/init.js';
import { Graph, type Tensor } from '../../engine/ir.js';
import { Trainer } from '../../engine/trainer.js';
import { Embedding, LayerNorm, Linear } from '../../nn/layers.js';
import { type TransformerConfig, transformerStack } from '../../nn/transformer.js';
import { Rng } from '../../util/rng.js';
import { ATTRIBUTE_NAMES, type Attributes, type NamedAttributes } from '../data/attributes.js';
import { captionIn, LANGUAGES, sampleNamed } from '../data/captions-multi.js';
import { sampleAttributes } from '../data/dataset.js';
import { countParams, type LoopResult, trainLoop } from '../models/loop.js';

export interface MultilingualConfig extends TransformerConfig {
  vocabSize: number; // word-level vocabulary incl. the 5 specials
  maxTokens: number; // T: prompts are padded / truncated to this many tokens (BOS, EOS included)
  projDim: number; // width of the contrastive head (training only, not exported)
}

export const DEFAULT_MULTILINGUAL: Omit<MultilingualConfig, 'vocabSize'> = {
  maxTokens: 24,
  dim: 96,
  heads: 4,
  layers: 3,
  mlpRatio: 4,
  projDim: 64,
};

export interface MultilingualTraining {
  steps: number;
  batch: number; // attribute sets per step; each is captioned twice (2 * batch captions)
  mlmBatch: number; // captions per step for masked-token prediction
  mlmProbability: number; // share of word tokens chosen for prediction (at least one per caption)
  mlmWeight: number; // loss = contrastive + mlmWeight * mlm
  lr: number;
  temperature: number; // contrastive logits = cos / temperature
}

export const DEFAULT_MULTILINGUAL_TRAINING: MultilingualTraining = {
  steps: 1000,
  batch: 48,
  mlmBatch: 48,
  mlmProbability: 0.2,
  // Kept small: at 0.5 the token objective made pooled features language-specific (caption
  // retrieval fr/es -> en fell to ~50%); at 0.1 retrieval stays at ~100% (see the build report).
  mlmWeight: 0.1,
  lr: 1e-3,
  temperature: 0.1,
};

const MASK_ID = WORD_LEVEL_SPECIALS.indexOf('[MASK]');
/** Id the tokenizer gives out-of-vocabulary words. */
export const UNK_ID = WORD_LEVEL_SPECIALS.indexOf('[UNK]');
const FIRST_WORD_ID = WORD_LEVEL_SPECIALS.length;

// ---------------------------------------------------------------------------------------------
// Model

/**
 * ids [B, T] int64, mask [B, T] float (1 real token, 0 padding) -> last_hidden_state [B, T, D] and
 * pooler_output [B, D] (mean over real tokens).
 */
export function multilingualNet(ids: Tensor, mask: Tensor, cfg: MultilingualConfig): { lastHiddenState: Tensor; pooled: Tensor } {
  const g = ids.graph;
  const b = ids.shape[0]!;
  const T = cfg.maxTokens;
  const tok = new Embedding('embeddings.word_embeddings', cfg.vocabSize, cfg.dim, 0.02).forward(ids);
  const pos = g.param('embeddings.position_embeddings.weight', [T, cfg.dim], { kind: 'normal', std: 0.02 });
  const x = new LayerNorm('embeddings.LayerNorm', cfg.dim).forward(tok.add(pos)); // [B, T, D]
  // Padding keys get -1e9 before the softmax, so features never depend on how much padding follows.
  const keyBias = g.scalar(1).sub(mask).mul(-1e9).reshape([b, 1, 1, T]);
  const h = transformerStack('encoder', x, cfg, keyBias);
  const last = new LayerNorm('final_layer_norm', cfg.dim).forward(h);
  const m = mask.reshape([b, T, 1]);
  const pooled = last
    .mul(m)
    .sum([1])
    .div(m.sum([1])); // [B, D]
  return { lastHiddenState: last, pooled };
}

/** The exported graph: input_ids, attention_mask [batch, T] int64 -> last_hidden_state, pooler_output. */
export function multilingualInferenceModel(cfg: MultilingualConfig, weights: ReadonlyMap<string, Float32Array>): Uint8Array {
  const g = new Graph(false);
  const ids = g.input('input_ids', ['batch', cfg.maxTokens], 'int64');
  const mask = g.input('attention_mask', ['batch', cfg.maxTokens], 'int64').cast('float32');
  const { lastHiddenState, pooled } = multilingualNet(ids, mask, cfg);
  const kept = new Map([...weights].filter(([k]) => !k.startsWith('contrastive_head.') && !k.startsWith('mlm_head.')));
  return compileInference(g, { last_hidden_state: lastHiddenState, pooler_output: pooled }, kept, { name: 'world-multilingual-encoder' });
}

// ---------------------------------------------------------------------------------------------
// Captions

/** Writes one caption of `attrs` naming exactly `named` (one language, or one style of English). */
export type Captioner = (attrs: Attributes, named: NamedAttributes, rng: Rng) => string;
/**
 * Draws the captioner of one training caption from `rng` (before the caption's own draws, so the
 * shipped multilingual build keeps its random stream).
 */
export type CaptionerChoice = (rng: Rng) => Captioner;

/** Each language's captions, by code. */
export const LANGUAGE_CAPTIONERS: Readonly<Record<string, Captioner>> = Object.fromEntries(
  LANGUAGES.map((lang) => [lang, (attrs: Attributes, named: NamedAttributes, rng: Rng) => captionIn(lang, attrs, named, rng).text]),
);

/** The multilingual encoder's training captions: a language drawn uniformly for each caption. */
export const randomLanguage: CaptionerChoice = (rng) => LANGUAGE_CAPTIONERS[rng.pick(LANGUAGES)]!;

// ---------------------------------------------------------------------------------------------
// Tokenizer

export interface MultilingualTokenizer {
  files: TokenizerFiles;
  tokenizer: TextTokenizer;
  /** Language -> the word pieces its captions use (for language detection). */
  lexicon: Record<string, string[]>;
}

/**
 * Word-level tokenizer (CJK characters split) over `perLanguage` sampled captions of each language
 * of `languages` (default: the seven caption languages).
 */
export function buildMultilingualTokenizer(
  seed: number,
  maxTokens: number,
  perLanguage = 4000,
  languages: Readonly<Record<string, Captioner>> = LANGUAGE_CAPTIONERS,
): MultilingualTokenizer {
  const rng = new Rng(seed);
  const texts: string[] = [];
  const lexicon: Record<string, string[]> = {};
  for (const [lang, caption] of Object.entries(languages)) {
    const own = Array.from({ length: perLanguage }, () => caption(sampleAttributes(rng), sampleNamed(rng), rng));
    lexicon[lang] = wordLevelVocabulary(own, { splitCjk: true }).filter((w) => /\p{L}/u.test(w));
    texts.push(...own);
  }
  const files = buildWordLevelTokenizer({ words: wordLevelVocabulary(texts, { splitCjk: true }), splitCjk: true, modelMaxLength: maxTokens });
  const tokenizer = tokenizerFromJson(files.tokenizerJson, files.tokenizerConfig, {
    specialTokensMap: files.specialTokensMap,
    source: 'world multilingual tokenizer',
  });
  return { files, tokenizer, lexicon };
}

// ---------------------------------------------------------------------------------------------
// Training

/** Whether caption i (naming namedI of attrsI) and caption j describe the same thing. */
function sameDescription(a: Attributes, na: NamedAttributes, b: Attributes, nb: NamedAttributes): boolean {
  return ATTRIBUTE_NAMES.every((k) => na[k] === nb[k] && (!na[k] || a[k] === b[k]));
}

/** Row-normalised soft targets [B, B] over the columns j with match(i, j). */
function softTargets(b: number, match: (i: number, j: number) => boolean): Float32Array {
  const out = new Float32Array(b * b);
  for (let i = 0; i < b; i++) {
    const cols = Array.from({ length: b }, (_, j) => j).filter((j) => match(i, j));
    for (const j of cols) out[i * b + j] = 1 / cols.length;
  }
  return out;
}

/** BERT masking of a tokenised batch in place: returns one-hot targets [B*T, V] at the chosen positions. */
function maskTokens(ids: BigInt64Array, counts: number[], T: number, V: number, p: number, rng: Rng): Float32Array {
  const targets = new Float32Array(ids.length * V);
  counts.forEach((count, row) => {
    const words = Array.from({ length: count - 2 }, (_, k) => row * T + 1 + k); // between BOS and EOS
    if (words.length === 0) return;
    let chosen = words.filter(() => rng.uniform() < p);
    if (chosen.length === 0) chosen = [rng.pick(words)];
    for (const at of chosen) {
      targets[at * V + Number(ids[at])] = 1;
      const u = rng.uniform();
      if (u < 0.8) ids[at] = BigInt(MASK_ID);
      else if (u < 0.9) ids[at] = BigInt(FIRST_WORD_ID + rng.int(V - FIRST_WORD_ID));
    }
  });
  return targets;
}

const toFloat = (mask: BigInt64Array): Float32Array => Float32Array.from(mask, (v) => Number(v));

export interface TrainedMultilingual {
  onnx: Uint8Array;
  weights: Map<string, Float32Array>;
  /** Parameters of the exported encoder (heads excluded). */
  params: number;
  loop: LoopResult;
}

/** Called every `every` steps with the exported model so far; returned values land in loop.checks. */
export interface TrainingCheck {
  every: number;
  run: (step: number, onnx: Uint8Array) => Promise<Record<string, number>>;
}

export async function trainMultilingualEncoder(
  cfg: MultilingualConfig,
  t: MultilingualTraining,
  tokenizer: TextTokenizer,
  seed: number,
  progress: boolean,
  check?: TrainingCheck,
  /** Who writes each caption of the pairs and the masked-token batches (default: a random language). */
  chooseCaptioner: CaptionerChoice = randomLanguage,
): Promise<TrainedMultilingual> {
  if (tokenizer.vocabSize !== cfg.vocabSize) throw new Error(`internal: tokenizer has ${tokenizer.vocabSize} ids, config ${cfg.vocabSize}`);
  const { batch: B, mlmBatch: Bm } = t;
  const T = cfg.maxTokens;
  const V = cfg.vocabSize;
  const g = new Graph(true);
  const ids = g.input('input_ids', [2 * B, T], 'int64');
  const mask = g.input('attention_mask', [2 * B, T]);
  const pairTargets = g.input('pair_targets', [B, B]);
  const pairTargetsT = g.input('pair_targets_t', [B, B]);
  const z = multilingualNet(ids, mask, cfg).pooled;
  const proj = new Linear('contrastive_head', cfg.dim, cfg.projDim).forward(z);
  const unit = proj.div(proj.mul(proj).sum([-1], true).add(1e-8).sqrt());
  const logits = unit
    .slice(0, 0, B)
    .matmul(unit.slice(0, B, 2 * B).T)
    .mul(1 / t.temperature); // [first, second]
  const contrastive = F.crossEntropy(logits, pairTargets).add(F.crossEntropy(logits.T, pairTargetsT)).mul(0.5);

  const mlmIds = g.input('mlm_input_ids', [Bm, T], 'int64');
  const mlmMask = g.input('mlm_attention_mask', [Bm, T]);
  const mlmTargets = g.input('mlm_targets', [Bm * T, V]);
  const hidden = multilingualNet(mlmIds, mlmMask, cfg).lastHiddenState.reshape([Bm * T, cfg.dim]);
  const table = g.param('embeddings.word_embeddings.weight', [V, cfg.dim], { kind: 'normal', std: 0.02 });
  const wordLogits = hidden.matmul(table.T).add(g.param('mlm_head.bias', [V], { kind: 'const', value: 0 }));
  const mlm = wordLogits
    .logSoftmax(-1)
    .mul(mlmTargets)
    .sum([0, 1])
    .div(mlmTargets.sum([0, 1]))
    .neg();
  const loss = contrastive.add(mlm.mul(t.mlmWeight));

  const trainer = await Trainer.create(
    { graph: g, loss, metrics: { contrastive, mlm }, optimizer: { kind: 'adamw', weightDecay: 0.01 }, clipGradNorm: 1 },
    initWeights(g, seed),
  );
  const rng = new Rng(seed + 1);
  const encode = (texts: string[]) => tokenizer.encodeBatch(texts, { maxLength: T, padding: 'max_length', truncation: true });
  try {
    const loop = await trainLoop(
      trainer,
      () => {
        const sets = Array.from({ length: B }, () => ({ attrs: sampleAttributes(rng), named: sampleNamed(rng) }));
        const first = sets.map((s) => chooseCaptioner(rng)(s.attrs, s.named, rng));
        const second = sets.map((s) => chooseCaptioner(rng)(s.attrs, s.named, rng));
        const pair = encode([...first, ...second]);
        const match = (i: number, j: number) => sameDescription(sets[i]!.attrs, sets[i]!.named, sets[j]!.attrs, sets[j]!.named);
        const mlmTexts = Array.from({ length: Bm }, () => chooseCaptioner(rng)(sampleAttributes(rng), sampleNamed(rng), rng));
        const m = encode(mlmTexts);
        const targets = maskTokens(m.inputIds, m.tokenCounts, T, V, t.mlmProbability, rng);
        return {
          input_ids: { data: pair.inputIds, dims: [2 * B, T] },
          attention_mask: { data: toFloat(pair.attentionMask), dims: [2 * B, T] },
          pair_targets: { data: softTargets(B, match), dims: [B, B] },
          pair_targets_t: { data: softTargets(B, (j, i) => match(i, j)), dims: [B, B] },
          mlm_input_ids: { data: m.inputIds, dims: [Bm, T] },
          mlm_attention_mask: { data: toFloat(m.attentionMask), dims: [Bm, T] },
          mlm_targets: { data: targets, dims: [Bm * T, V] },
        };
      },
      {
        label: 'multilingual encoder',
        steps: t.steps,
        lr: t.lr,
        warmup: Math.ceil(t.steps / 10),
        progress,
        ...(check ? { every: check.every, onCheckpoint: (step: number) => check.run(step, multilingualInferenceModel(cfg, trainer.weights())) } : {}),
      },
    );
    const weights = new Map([...trainer.weights()].map(([k, v]) => [k, Float32Array.from(v)]));
    const exported = new Map([...weights].filter(([k]) => !k.startsWith('contrastive_head.') && !k.startsWith('mlm_head.')));
    return { onnx: multilingualInferenceModel(cfg, weights), weights: exported, params: countParams(exported), loop };
  } finally {
    await trainer.release();
  }
}
