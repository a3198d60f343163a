/**
 * A learned translator: a fair baseline to GlueNet for the world experiments. From the same parallel
 * pairs GlueNet sees, a small network reads the frozen multilingual encoder's features and emits the
 * English caption's token ids; the English text then goes through the native pipeline unchanged.
 *
 *   multilingual features [B, 24, 96] -> MLP-mixer -> logits [B, 16, V] over the native English vocabulary
 *
 * Non-autoregressive: one softmax per position of the native encoder's 16 (BOS, words, EOS, then
 * [PAD]); loss = mean cross-entropy over all positions. The recipe is the same at every data size
 * (batch = min(64, n)); a validation split carved from the training pairs picks the step to keep
 * (early stopping on validation token accuracy). Test prompts are never seen.
 */

import type { TextTokenizer } from '../../encoders/text/tokenizer.js';
import { type Encoder, encodeAll } from '../../encoders/types.js';
import { compileInference } from '../../engine/compile.js';
import { gelu } from '../../engine/functional.js';
import { initWeights } from '../../engine/init.js';
import { Graph, type Tensor } from '../../engine/ir.js';
import { Session } from '../../engine/runtime.js';
import { warmupCosine } from '../../engine/schedules.js';
import { Trainer } from '../../engine/trainer.js';
import { join, LayerNorm, Linear } from '../../nn/layers.js';
import { Progress } from '../../util/progress.js';
import { Rng } from '../../util/rng.js';

export interface LearnedTranslatorOptions {
  /** Optimisation steps (default 2000); the kept weights are those of the best validation check. */
  steps?: number;
  /** Batch size (default min(64, training pairs)). */
  batchSize?: number;
  /** Peak learning rate of the warm-up + cosine schedule (default 2e-3, AdamW). */
  lr?: number;
  /** Seeds the validation split, the initial weights and the batches. */
  seed: number;
  /** Validation checks every this many steps (default 100, and after the last step). */
  evalEvery?: number;
  /** Output positions: the native encoder's maxTokens (default 16). */
  maxTokens?: number;
  /** onnxruntime threads for training and translation (default: onnxruntime's). */
  threads?: number;
  /** Progress bar stream (default process.stderr); null silences it. */
  progress?: NodeJS.WritableStream | null;
}

export interface LearnedTranslatorInfo {
  /** Steps run, and the step whose weights were kept. */
  steps: number;
  bestStep: number;
  /** Token accuracy on the validation pairs at bestStep, over the reference's non-[PAD] positions (BOS included). */
  valTokenAccuracy: number;
  /** Fraction of validation captions translated exactly. */
  valExactMatch: number;
  trainPairs: number;
  valPairs: number;
  batchSize: number;
  /** Wall-clock seconds: encoding the pairs, training and validation checks. */
  seconds: number;
  params: number;
  /** Every validation check: [step, token accuracy]. */
  checks: [number, number][];
}

export interface LearnedTranslator {
  /** Captions in any language the multilingual encoder reads -> English captions in the native vocabulary. */
  translate(texts: string[]): Promise<string[]>;
  release(): Promise<void>;
  readonly info: LearnedTranslatorInfo;
}

/** Network widths. */
interface TranslatorNet {
  tokensIn: number; // T_in: multilingual tokens (24)
  dimIn: number; // D_in: multilingual width (96)
  tokensOut: number; // T_out: English positions (16)
  vocab: number; // V: native vocabulary (61)
  width: number; // D: channel width inside (128)
  depth: number; // mixer blocks (2)
}

const WIDTH = 128;
const DEPTH = 2;

/** Pre-norm residual MLP over the last axis: x + W2 gelu(W1 LN(x)). */
function residualMlp(name: string, x: Tensor, dim: number, hidden: number): Tensor {
  let h = new LayerNorm(join(name, 'norm'), dim).forward(x);
  h = gelu(new Linear(join(name, 'fc1'), dim, hidden).forward(h));
  return x.add(new Linear(join(name, 'fc2'), hidden, dim).forward(h));
}

const swap = (x: Tensor): Tensor => x.transpose([0, 2, 1]); // [B, T, D] <-> [B, D, T]

/** x: [B, T_in, D_in] -> logits [B, T_out, V]. */
function translatorNet(x: Tensor, n: TranslatorNet): Tensor {
  let h = new LayerNorm('in_norm', n.dimIn).forward(x);
  h = new Linear('in_proj', n.dimIn, n.width).forward(h); // [B, T_in, D]
  // Token MLP from the input positions to the output positions: every English slot sees the whole caption.
  let t = gelu(new Linear('to_positions.fc1', n.tokensIn, 4 * n.tokensOut).forward(swap(h))); // [B, D, 4 T_out]
  t = new Linear('to_positions.fc2', 4 * n.tokensOut, n.tokensOut).forward(t);
  h = swap(t); // [B, T_out, D]
  for (let i = 0; i < n.depth; i++) {
    h = swap(residualMlp(`blocks.${i}.tokens`, swap(h), n.tokensOut, 4 * n.tokensOut));
    h = residualMlp(`blocks.${i}.channels`, h, n.width, 2 * n.width);
  }
  h = new LayerNorm('out_norm', n.width).forward(h);
  return new Linear('head', n.width, n.vocab).forward(h); // [B, T_out, V]
}

/** Rows `idx` of a [N, ...row] array. */
function gather<A extends Float32Array | BigInt64Array>(src: A, row: number, idx: readonly number[], out: A): A {
  idx.forEach((r, i) => {
    (out as Float32Array).set((src as Float32Array).subarray(r * row, (r + 1) * row), i * row);
  });
  return out;
}

/** Argmax ids [N, T] of logits [N, T, V]. */
function argmaxIds(logits: Float32Array, n: number, t: number, v: number): Int32Array {
  const out = new Int32Array(n * t);
  for (let k = 0; k < n * t; k++) {
    let best = 0;
    for (let j = 1; j < v; j++) if (logits[k * v + j]! > logits[k * v + best]!) best = j;
    out[k] = best;
  }
  return out;
}

/** Token ids of one row -> space-joined words: BOS dropped, cut at EOS / PAD, other specials dropped. */
export function idsToText(ids: ArrayLike<number>, words: readonly string[], special: { pad: number; bos: number; eos: number }): string {
  const out: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id === special.bos && i === 0) continue;
    if (id === special.eos || id === special.pad) break;
    const w = words[id];
    if (w !== undefined && !/^\[.*\]$/.test(w)) out.push(w);
  }
  return out.join(' ');
}

/** The word of every id of a word-level tokenizer (specials as their token strings). */
export function vocabularyWords(tokenizer: TextTokenizer): string[] {
  return Array.from({ length: tokenizer.vocabSize }, (_, id) => tokenizer.decode([id], { skipSpecialTokens: false }));
}

function specialIds(tokenizer: TextTokenizer): { pad: number; bos: number; eos: number } {
  const { padTokenId: pad, bosTokenId: bos, eosTokenId: eos } = tokenizer;
  if (bos === undefined || eos === undefined)
    throw new Error(`trainLearnedTranslator: the English tokenizer (${tokenizer.source}) has no BOS/EOS token; pass the world native text encoder's tokenizer`);
  return { pad, bos, eos };
}

/** Validation split: 10% of the pairs, at least 10 (and at least 1 pair left to train on). */
function splitSizes(n: number): { train: number; val: number } {
  const val = Math.min(n - 1, Math.max(10, Math.round(n / 10)));
  return { train: n - val, val };
}

export async function trainLearnedTranslator(
  pairs: { text: string; english: string }[],
  multilingual: Encoder<'text'>,
  englishTokenizer: TextTokenizer,
  o: LearnedTranslatorOptions,
): Promise<LearnedTranslator> {
  if (!Array.isArray(pairs) || pairs.length === 0)
    throw new Error('trainLearnedTranslator: no pairs given; pass { text, english } caption pairs (at least 2: one to train on, one to validate)');
  if (pairs.length < 2) throw new Error(`trainLearnedTranslator: ${pairs.length} pair given; need at least 2 (one to train on, one to validate)`);
  pairs.forEach((p, i) => {
    if (typeof p?.text !== 'string' || typeof p?.english !== 'string')
      throw new Error(`trainLearnedTranslator: pairs[${i}] must be { text: string, english: string }, got ${JSON.stringify(p)}`);
  });
  if (!Number.isInteger(o.seed)) throw new Error(`trainLearnedTranslator: seed must be an integer, got ${o.seed}`);
  const steps = o.steps ?? 2000;
  if (!(Number.isInteger(steps) && steps > 0)) throw new Error(`trainLearnedTranslator: steps must be a positive integer, got ${steps}`);
  const start = Date.now();
  const special = specialIds(englishTokenizer);
  const words = vocabularyWords(englishTokenizer);
  const T = o.maxTokens ?? 16;
  const V = englishTokenizer.vocabSize;
  const { tokens: Tin, dim: Din } = multilingual.info;
  const net: TranslatorNet = { tokensIn: Tin, dimIn: Din, tokensOut: T, vocab: V, width: WIDTH, depth: DEPTH };

  // 1. Features and targets of every pair; a seeded validation split from the training pairs.
  const x = (
    await encodeAll(
      multilingual,
      pairs.map((p) => p.text),
    )
  ).features; // [N, Tin, Din]
  const ids = englishTokenizer.encodeBatch(
    pairs.map((p) => p.english),
    { maxLength: T, padding: 'max_length', truncation: true },
  ).inputIds; // [N, T]
  const rng = new Rng(o.seed);
  const order = rng.permutation(pairs.length);
  const sizes = splitSizes(pairs.length);
  const valIdx = order.slice(0, sizes.val);
  const trainIdx = order.slice(sizes.val);
  const B = o.batchSize ?? Math.min(64, trainIdx.length);
  if (!(Number.isInteger(B) && B > 0)) throw new Error(`trainLearnedTranslator: batchSize must be a positive integer, got ${B}`);
  const row = Tin * Din;

  // 2. The training step: mean cross-entropy over the T positions against one-hot targets.
  const g = new Graph(true);
  const xIn = g.input('x', [B, Tin, Din]);
  const target = g.input('target', [B, T, V]); // one-hot
  const logits = translatorNet(xIn, net);
  const loss = logits.logSoftmax(-1).mul(target).sum([-1]).mean([0, 1]).neg();
  const sessionOpts = o.threads ? { threads: o.threads } : {};
  const init = initWeights(g, o.seed);
  const params = [...init.values()].reduce((s, v) => s + v.length, 0);
  const trainer = await Trainer.create({ graph: g, loss, optimizer: { kind: 'adamw', weightDecay: 0.01 }, clipGradNorm: 1 }, init, sessionOpts);

  // 3. Inference graph (symbolic batch): rebuilt with the current weights at each validation check.
  const gi = new Graph(false);
  const xi = gi.input('features', ['batch', Tin, Din]);
  const logitsOut = translatorNet(xi, net);
  const inferenceModel = (w: ReadonlyMap<string, Float32Array>): Uint8Array =>
    compileInference(gi, { logits: logitsOut }, w, { name: 'world-learned-translator' });
  const runIds = async (session: Session, feats: Float32Array, n: number): Promise<Int32Array> => {
    const out = await session.run({ features: { data: feats, dims: [n, Tin, Din] } });
    return argmaxIds(out.logits!.data as Float32Array, n, T, V);
  };
  const valX = gather(x, row, valIdx, new Float32Array(valIdx.length * row));
  const valIds = gather(ids, T, valIdx, new BigInt64Array(valIdx.length * T));
  const validate = async (model: Uint8Array): Promise<{ tokens: number; exact: number }> => {
    const s = await Session.create(model, sessionOpts);
    const pred = await runIds(s, valX, valIdx.length);
    await s.release();
    let hit = 0;
    let count = 0;
    let exact = 0;
    for (let i = 0; i < valIdx.length; i++) {
      let all = true;
      for (let k = 0; k < T; k++) {
        const ref = Number(valIds[i * T + k]);
        const same = pred[i * T + k] === ref;
        if (ref !== special.pad) {
          count++;
          if (same) hit++;
        }
        if (!same) all = false;
      }
      if (all) exact++;
    }
    return { tokens: hit / count, exact: exact / valIdx.length };
  };

  // 4. Training with early stopping.
  const evalEvery = o.evalEvery ?? 100;
  const schedule = warmupCosine(o.lr ?? 2e-3, Math.ceil(steps / 20), steps, (o.lr ?? 2e-3) * 0.05);
  const bar = o.progress === null ? null : new Progress({ total: steps, label: 'train translator', stream: (o.progress ?? process.stderr) as never });
  const xb = new Float32Array(B * row);
  const tb = new Float32Array(B * T * V);
  let best: { step: number; tokens: number; exact: number; model: Uint8Array } = { step: 0, tokens: -1, exact: 0, model: new Uint8Array(0) };
  const checks: [number, number][] = [];
  let cursor = trainIdx.length;
  let perm: number[] = [];
  try {
    for (let step = 0; step < steps; step++) {
      // Epochs over a fresh permutation of the training pairs.
      const batch: number[] = [];
      while (batch.length < B) {
        if (cursor >= trainIdx.length) {
          perm = rng.permutation(trainIdx.length);
          cursor = 0;
        }
        batch.push(trainIdx[perm[cursor++]!]!);
      }
      gather(x, row, batch, xb);
      tb.fill(0);
      batch.forEach((r, i) => {
        for (let k = 0; k < T; k++) tb[(i * T + k) * V + Number(ids[r * T + k])] = 1;
      });
      const r = await trainer.runStep({ x: { data: xb, dims: [B, Tin, Din] }, target: { data: tb, dims: [B, T, V] } }, schedule(step));
      if ((step + 1) % evalEvery === 0 || step === steps - 1) {
        const model = inferenceModel(trainer.weights());
        const v = await validate(model);
        checks.push([step + 1, Number(v.tokens.toFixed(4))]);
        if (v.tokens > best.tokens) best = { step: step + 1, tokens: v.tokens, exact: v.exact, model };
        bar?.tick(1, { loss: Number(r.loss!.toFixed(4)), val_acc: Number(v.tokens.toFixed(3)), best: best.step });
      } else bar?.tick(1, { loss: Number(r.loss!.toFixed(4)) });
    }
  } finally {
    await trainer.release();
  }
  bar?.done();

  // 5. The kept model, as a frozen inference ONNX.
  const session = await Session.create(best.model, sessionOpts);
  const info: LearnedTranslatorInfo = {
    steps,
    bestStep: best.step,
    valTokenAccuracy: best.tokens,
    valExactMatch: best.exact,
    trainPairs: trainIdx.length,
    valPairs: valIdx.length,
    batchSize: B,
    seconds: (Date.now() - start) / 1000,
    params,
    checks,
  };
  return {
    info,
    async translate(texts: string[]): Promise<string[]> {
      if (!Array.isArray(texts)) throw new Error(`learned translator: translate() takes an array of strings, got ${typeof texts}`);
      if (texts.length === 0) return [];
      const feats = await encodeAll(multilingual, texts);
      const pred = await runIds(session, feats.features, texts.length);
      return texts.map((_, i) => idsToText(pred.subarray(i * T, (i + 1) * T), words, special));
    },
    release: () => session.release(),
  };
}
