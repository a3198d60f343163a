// Text tokenizer: loads a Hugging Face tokenizer folder from local disk (never the network) and
// turns a batch of prompts into padded `input_ids` / `attention_mask` for an ONNX text encoder.
//
// Tokenisation itself is done by @huggingface/tokenizers; this module adds what it lacks: batch
// padding / truncation that keeps the special tokens, family detection, and fixes for the few
// places where it departs from the Rust `tokenizers` library (see `prepareForLibrary`).

import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { type FileSource, readJson } from '../../io/file-source.js';
import { buildWordLevelTokenizer, clipFilesFromSlowTokenizer, type JsonObject, WORD_LEVEL_SPECIALS, type WordLevelOptions } from './tokenizer-json.js';

export type TokenizerFamily = 'clip' | 'xlm-roberta' | 't5' | 'bert' | 'wordlevel' | 'unknown';

export interface EncodeBatchOptions {
  /** Upper bound on tokens per row, special tokens included (CLIP / SD 1.x: 77). At least 2. */
  maxLength: number;
  /** 'max_length': every row has maxLength tokens; 'longest': rows padded to the longest row. */
  padding: 'max_length' | 'longest';
  /** Cut over-long texts to maxLength, keeping BOS/EOS; if false, an over-long text is an error. */
  truncation: boolean;
}

export interface EncodedBatch {
  inputIds: BigInt64Array; // [B, T] row-major
  attentionMask: BigInt64Array; // [B, T]: 1 for real tokens (specials included), 0 for padding
  length: number; // T
  batch: number; // B
  tokenCounts: number[]; // [B] real tokens per row, i.e. the index just past EOS
}

export interface TextTokenizer {
  readonly family: TokenizerFamily;
  readonly padTokenId: number;
  readonly bosTokenId?: number; // BOS, else CLS
  readonly eosTokenId?: number; // EOS, else SEP
  readonly vocabSize: number; // largest id + 1
  readonly modelMaxLength?: number; // tokenizer_config.json model_max_length, when sane
  readonly source: string; // folder or description, for messages
  encodeBatch(texts: string[], opts: EncodeBatchOptions): EncodedBatch;
  /** Text back from ids; special tokens (and so padding) are dropped unless skipSpecialTokens is false. */
  decode(ids: ArrayLike<number | bigint>, opts?: { skipSpecialTokens?: boolean }): string;
}

export interface LoadTokenizerOptions {
  /** Pad with this token instead of tokenizer_config's pad_token. */
  padToken?: string;
}

/**
 * Vocabulary for `buildWordLevelTokenizer`: the pieces of `texts` after the same normalisation and
 * pre-tokenisation, most frequent first (ties: first seen first), dropping those seen fewer than
 * minCount (default 1) times, at most maxWords (default all).
 */
export function wordLevelVocabulary(
  texts: string[],
  opts: Omit<WordLevelOptions, 'words' | 'modelMaxLength'> & { minCount?: number; maxWords?: number } = {},
): string[] {
  if (!Array.isArray(texts)) throw new Error(`wordLevelVocabulary: texts must be an array of strings, got ${typeof texts}`);
  const files = buildWordLevelTokenizer({ words: [], splitCjk: opts.splitCjk ?? false, lowercase: opts.lowercase ?? true });
  // With an empty vocabulary the library's fallback WordLevel model returns the pieces unchanged.
  const lib = new Tokenizer(files.tokenizerJson, files.tokenizerConfig);
  const counts = new Map<string, number>();
  texts.forEach((text, i) => {
    if (typeof text !== 'string') throw new Error(`wordLevelVocabulary: texts[${i}] must be a string, got ${typeof text}`);
    for (const piece of lib.tokenize(text)) counts.set(piece, (counts.get(piece) ?? 0) + 1);
  });
  const minCount = opts.minCount ?? 1;
  const specials = new Set<string>(WORD_LEVEL_SPECIALS);
  const ranked = [...counts.entries()].filter(([w, n]) => n >= minCount && !specials.has(w));
  ranked.sort((a, b) => b[1] - a[1]); // stable: ties keep first-seen order
  return ranked.slice(0, opts.maxWords ?? ranked.length).map(([w]) => w);
}

/** Reads tokenizer.json + tokenizer_config.json (+ special_tokens_map.json) from a local folder.
 *  A CLIP folder with only the slow files (vocab.json + merges.txt, as diffusers saves SD 1.x) works too. */
export async function loadTokenizer(dir: string, opts: LoadTokenizerOptions = {}): Promise<TextTokenizer> {
  const info = await stat(dir).catch(() => null);
  if (info === null || !info.isDirectory()) {
    throw new Error(`loadTokenizer: tokenizer folder ${JSON.stringify(dir)} does not exist or is not a folder; pass the folder holding tokenizer.json`);
  }
  const config = await readJsonFile(dir, 'tokenizer_config.json', true);
  const specialTokensMap = await readJsonFile(dir, 'special_tokens_map.json', false);
  let tokenizerJson = await readJsonFile(dir, 'tokenizer.json', false);
  if (tokenizerJson === null) {
    const vocab = await readJsonFile(dir, 'vocab.json', false);
    const merges = await readFile(join(dir, 'merges.txt'), 'utf8').catch(() => null);
    const cls = String(config?.tokenizer_class ?? '');
    if (vocab === null || merges === null || !cls.startsWith('CLIPTokenizer')) {
      throw new Error(
        `loadTokenizer: ${join(dir, 'tokenizer.json')} is missing; export the fast tokenizer (tokenizer.save_pretrained with a *TokenizerFast) into ${dir}`,
      );
    }
    tokenizerJson = clipFilesFromSlowTokenizer(vocab, merges, join(dir, 'vocab.json')).tokenizerJson;
  }
  return tokenizerFromJson(tokenizerJson, config, { ...opts, specialTokensMap: specialTokensMap ?? undefined, source: dir });
}

/** Reads tokenizer.json + tokenizer_config.json (+ special_tokens_map.json) through a file source (see io/file-source.ts). */
export async function loadTokenizerFromFiles(files: FileSource, opts: LoadTokenizerOptions = {}): Promise<TextTokenizer> {
  const what = 're-export the tokenizer';
  const config = await readJson(files, 'tokenizer_config.json', { what });
  const specialTokensMap = await readJson(files, 'special_tokens_map.json', { optional: true, what });
  const tokenizerJson = await readJson(files, 'tokenizer.json', { what });
  if (specialTokensMap !== null && !isObject(specialTokensMap))
    throw new Error(`loadTokenizer: ${files.describe('special_tokens_map.json')} must hold a JSON object`);
  return tokenizerFromJson(tokenizerJson, config, { ...opts, specialTokensMap: specialTokensMap ?? undefined, source: files.location });
}

async function readJsonFile(dir: string, name: string, required: true): Promise<JsonObject>;
async function readJsonFile(dir: string, name: string, required: false): Promise<JsonObject | null>;
async function readJsonFile(dir: string, name: string, required: boolean): Promise<JsonObject | null> {
  const path = join(dir, name);
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) {
    if (required) throw new Error(`loadTokenizer: ${path} is missing; a tokenizer folder needs tokenizer.json and ${name}`);
    return null;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`loadTokenizer: ${path} is not valid JSON (${(e as Error).message}); re-export the tokenizer`);
  }
  if (!isObject(value)) throw new Error(`loadTokenizer: ${path} must hold a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  return value;
}

const SUPPORTED_MODELS = ['BPE', 'Unigram', 'WordPiece', 'WordLevel'];

/** Builds a tokenizer from already-parsed tokenizer.json / tokenizer_config.json objects. */
export function tokenizerFromJson(
  tokenizerJson: unknown,
  tokenizerConfig: unknown,
  opts: LoadTokenizerOptions & { specialTokensMap?: JsonObject; source?: string } = {},
): TextTokenizer {
  const source = opts.source ?? 'in-memory tokenizer';
  if (!isObject(tokenizerJson) || !isObject(tokenizerJson.model)) {
    throw new Error(`tokenizer (${source}): tokenizer.json must be an object with a "model" object`);
  }
  if (!isObject(tokenizerConfig)) throw new Error(`tokenizer (${source}): tokenizer_config.json must be a JSON object`);
  const modelType = tokenizerJson.model.type;
  if (typeof modelType !== 'string' || !SUPPORTED_MODELS.includes(modelType)) {
    throw new Error(
      `tokenizer (${source}): unsupported model type ${JSON.stringify(modelType)} in tokenizer.json; expected one of ${SUPPORTED_MODELS.join(', ')}`,
    );
  }
  const family = detectFamily(tokenizerJson, tokenizerConfig, modelType);
  // special_tokens_map.json, then the transformers class defaults, fill what tokenizer_config.json
  // leaves out (hub folders such as xlm-roberta-large ship an almost empty config).
  const config: JsonObject = { ...FAMILY_SPECIAL_TOKENS[family], ...(opts.specialTokensMap ?? {}), ...tokenizerConfig };
  const { json, libConfig } = prepareForLibrary(tokenizerJson, config, modelType);
  let lib: Tokenizer;
  try {
    lib = new Tokenizer(json, libConfig);
  } catch (e) {
    throw new Error(`tokenizer (${source}): tokenizer.json could not be loaded: ${(e as Error).message}`);
  }
  const idOf = (token: string | undefined): number | undefined => (token === undefined ? undefined : lib.token_to_id(token));
  const bosTokenId = idOf(tokenString(config.bos_token)) ?? idOf(tokenString(config.cls_token));
  const eosTokenId = idOf(tokenString(config.eos_token)) ?? idOf(tokenString(config.sep_token));
  const padToken = opts.padToken ?? tokenString(config.pad_token);
  // No pad token: pad with EOS, the Stable Diffusion 1.x convention for CLIP.
  const padTokenId = padToken !== undefined ? idOf(padToken) : eosTokenId;
  if (padTokenId === undefined) {
    throw new Error(
      padToken !== undefined
        ? `tokenizer (${source}): pad token ${JSON.stringify(padToken)} is not in the vocabulary; fix pad_token in tokenizer_config.json`
        : `tokenizer (${source}): no pad_token (nor eos_token) in tokenizer_config.json; set pad_token or pass { padToken }`,
    );
  }
  const { prefix, suffix } = specialTemplate(json.post_processor, idOf, source);
  const maxLen = config.model_max_length;
  return new HfTextTokenizer(lib, {
    family,
    padTokenId,
    bosTokenId,
    eosTokenId,
    vocabSize: vocabSizeOf(json),
    modelMaxLength: typeof maxLen === 'number' && Number.isInteger(maxLen) && maxLen > 0 && maxLen < 1e6 ? maxLen : undefined,
    source,
    prefix,
    suffix,
  });
}

/**
 * Copies of the two objects adjusted for @huggingface/tokenizers 0.2.0:
 * - absent normalizer / pre_tokenizer / post_processor / decoder keys must be present as null, and
 *   absent added_tokens as [] (its constructor rejects or crashes otherwise);
 * - special tokens in config are read as plain strings (files often hold {"content": ...} objects);
 * - WordLevel has no model class there: it falls back to its "Legacy" model, which takes the
 *   unknown token from the config, so the model's unk_token is copied into it;
 * - its Whitespace pre-tokenizer matches ASCII-only \w (splits "café" into "caf", "é"); replaced
 *   by the equivalent Split with the Rust library's regex, which it translates to Unicode classes;
 * - its Metaspace ignores a legacy `add_prefix_space: false`; mapped to `prepend_scheme: "never"`;
 * - BERT: tokenizer_config's do_lower_case / strip_accents / tokenize_chinese_chars override the
 *   BertNormalizer settings, as transformers' BertTokenizerFast does.
 */
function prepareForLibrary(tokenizerJson: JsonObject, config: JsonObject, modelType: string): { json: JsonObject; libConfig: JsonObject } {
  const json: JsonObject = structuredClone(tokenizerJson);
  for (const key of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder']) json[key] ??= null;
  json.added_tokens ??= [];
  const libConfig: JsonObject = { ...config };
  for (const key of ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token']) {
    const s = tokenString(config[key]);
    if (s === undefined) delete libConfig[key];
    else libConfig[key] = s;
  }
  const model = json.model as JsonObject;
  if (modelType === 'WordLevel' && typeof model.unk_token === 'string') libConfig.unk_token = model.unk_token;
  json.pre_tokenizer = fixPreTokenizer(json.pre_tokenizer);
  const norm = json.normalizer;
  if (isObject(norm) && norm.type === 'BertNormalizer') {
    if (typeof config.do_lower_case === 'boolean') norm.lowercase = config.do_lower_case;
    if (typeof config.strip_accents === 'boolean') norm.strip_accents = config.strip_accents;
    if (typeof config.tokenize_chinese_chars === 'boolean') norm.handle_chinese_chars = config.tokenize_chinese_chars;
  }
  return { json, libConfig };
}

function fixPreTokenizer(pre: JsonValueLike): JsonValueLike {
  if (!isObject(pre)) return pre;
  if (pre.type === 'Sequence' && Array.isArray(pre.pretokenizers)) return { ...pre, pretokenizers: pre.pretokenizers.map(fixPreTokenizer) };
  if (pre.type === 'Whitespace') return { type: 'Split', pattern: { Regex: '\\w+|[^\\w\\s]+' }, behavior: 'Removed', invert: true };
  if (pre.type === 'Metaspace' && pre.add_prefix_space === false && pre.prepend_scheme === undefined) return { ...pre, prepend_scheme: 'never' };
  return pre;
}

type JsonValueLike = JsonObject[string];

/** Special token ids the post-processor puts before and after a single sequence, read from
 *  tokenizer.json so that truncation can cut the text and keep them. */
function specialTemplate(pp: JsonValueLike, idOf: (t: string) => number | undefined, source: string): { prefix: number[]; suffix: number[] } {
  if (pp === null || pp === undefined) return { prefix: [], suffix: [] };
  const bad = (what: string) => new Error(`tokenizer (${source}): post_processor ${what} in tokenizer.json`);
  if (!isObject(pp)) throw bad('is not an object');
  const pairId = (v: JsonValueLike, name: string): number => {
    if (Array.isArray(v) && typeof v[1] === 'number') return v[1];
    throw bad(`"${name}" must be [token, id]`);
  };
  switch (pp.type) {
    case 'ByteLevel':
      return { prefix: [], suffix: [] };
    case 'RobertaProcessing':
    case 'BertProcessing':
      return { prefix: [pairId(pp.cls, 'cls')], suffix: [pairId(pp.sep, 'sep')] };
    case 'TemplateProcessing': {
      if (!Array.isArray(pp.single)) throw bad('TemplateProcessing has no "single" template');
      const specials = isObject(pp.special_tokens) ? pp.special_tokens : {};
      const prefix: number[] = [];
      const suffix: number[] = [];
      let seenSequence = false;
      for (const item of pp.single) {
        if (isObject(item) && isObject(item.Sequence)) {
          if (seenSequence) throw bad('template with two sequences');
          seenSequence = true;
        } else if (isObject(item) && isObject(item.SpecialToken) && typeof item.SpecialToken.id === 'string') {
          const name = item.SpecialToken.id;
          const entry = specials[name];
          const ids = isObject(entry) && Array.isArray(entry.ids) ? entry.ids.filter((x): x is number => typeof x === 'number') : [idOf(name)];
          if (ids.some((x) => x === undefined)) throw bad(`special token ${JSON.stringify(name)} has no id`);
          (seenSequence ? suffix : prefix).push(...(ids as number[]));
        } else throw bad(`template item ${JSON.stringify(item)} is not understood`);
      }
      return { prefix, suffix };
    }
    case 'Sequence': {
      // Each processor wraps the output of the previous one.
      const all = Array.isArray(pp.processors) ? pp.processors : [];
      return all.reduce<{ prefix: number[]; suffix: number[] }>(
        (acc, p) => {
          const t = specialTemplate(p, idOf, source);
          return { prefix: [...t.prefix, ...acc.prefix], suffix: [...acc.suffix, ...t.suffix] };
        },
        { prefix: [], suffix: [] },
      );
    }
    default:
      throw bad(`type ${JSON.stringify(pp.type)} is not supported`);
  }
}

/** Special tokens of each family's transformers tokenizer class, used where the files omit them. */
const FAMILY_SPECIAL_TOKENS: Record<TokenizerFamily, JsonObject> = {
  clip: { bos_token: '<|startoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>', pad_token: '<|endoftext|>' },
  'xlm-roberta': { bos_token: '<s>', eos_token: '</s>', sep_token: '</s>', cls_token: '<s>', unk_token: '<unk>', pad_token: '<pad>', mask_token: '<mask>' },
  t5: { eos_token: '</s>', unk_token: '<unk>', pad_token: '<pad>' },
  bert: { unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]', mask_token: '[MASK]' },
  wordlevel: {},
  unknown: {},
};

function detectFamily(json: JsonObject, config: JsonObject, modelType: string): TokenizerFamily {
  if (modelType === 'WordLevel') return 'wordlevel';
  const cls = typeof config.tokenizer_class === 'string' ? config.tokenizer_class.replace(/Fast$/, '') : '';
  const byClass: Record<string, TokenizerFamily> = { CLIPTokenizer: 'clip', XLMRobertaTokenizer: 'xlm-roberta', T5Tokenizer: 't5', BertTokenizer: 'bert' };
  if (byClass[cls] !== undefined) return byClass[cls];
  const model = json.model as JsonObject;
  if (modelType === 'BPE' && model.end_of_word_suffix === '</w>') return 'clip';
  if (modelType === 'WordPiece') return 'bert';
  if (modelType === 'Unigram' && Array.isArray(model.vocab)) {
    const first = (i: number) => (Array.isArray(model.vocab) && Array.isArray(model.vocab[i]) ? model.vocab[i][0] : undefined);
    if (first(0) === '<s>' && first(1) === '<pad>') return 'xlm-roberta';
    if (first(0) === '<pad>' && first(1) === '</s>') return 't5';
  }
  return 'unknown';
}

function vocabSizeOf(json: JsonObject): number {
  const model = json.model as JsonObject;
  let maxId = -1;
  if (Array.isArray(model.vocab)) maxId = model.vocab.length - 1;
  else if (isObject(model.vocab)) for (const v of Object.values(model.vocab)) if (typeof v === 'number' && v > maxId) maxId = v;
  for (const t of Array.isArray(json.added_tokens) ? json.added_tokens : []) {
    if (isObject(t) && typeof t.id === 'number' && t.id > maxId) maxId = t.id;
  }
  return maxId + 1;
}

/** A special token written either as "text" or as {"content": "text", ...}. */
function tokenString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isObject(v) && typeof v.content === 'string') return v.content;
  return undefined;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface TokenizerFacts {
  family: TokenizerFamily;
  padTokenId: number;
  bosTokenId: number | undefined;
  eosTokenId: number | undefined;
  vocabSize: number;
  modelMaxLength: number | undefined;
  source: string;
  prefix: number[]; // special ids before the text
  suffix: number[]; // special ids after the text
}

class HfTextTokenizer implements TextTokenizer {
  readonly family: TokenizerFamily;
  readonly padTokenId: number;
  readonly bosTokenId?: number;
  readonly eosTokenId?: number;
  readonly vocabSize: number;
  readonly modelMaxLength?: number;
  readonly source: string;
  private readonly prefix: number[];
  private readonly suffix: number[];

  constructor(
    private readonly lib: Tokenizer,
    facts: TokenizerFacts,
  ) {
    this.family = facts.family;
    this.padTokenId = facts.padTokenId;
    if (facts.bosTokenId !== undefined) this.bosTokenId = facts.bosTokenId;
    if (facts.eosTokenId !== undefined) this.eosTokenId = facts.eosTokenId;
    this.vocabSize = facts.vocabSize;
    if (facts.modelMaxLength !== undefined) this.modelMaxLength = facts.modelMaxLength;
    this.source = facts.source;
    this.prefix = facts.prefix;
    this.suffix = facts.suffix;
  }

  encodeBatch(texts: string[], opts: EncodeBatchOptions): EncodedBatch {
    const where = `encodeBatch (${this.source})`;
    if (!Array.isArray(texts) || texts.length === 0) {
      throw new Error(`${where}: texts must be a non-empty array of strings, got ${Array.isArray(texts) ? 'an empty array' : typeof texts}`);
    }
    texts.forEach((t, i) => {
      if (typeof t !== 'string') throw new Error(`${where}: texts[${i}] must be a string, got ${t === null ? 'null' : typeof t}`);
    });
    const { maxLength, padding, truncation } = opts ?? ({} as EncodeBatchOptions);
    const specials = this.prefix.length + this.suffix.length;
    if (!Number.isInteger(maxLength) || maxLength < 2 || maxLength < specials) {
      throw new Error(`${where}: maxLength must be an integer >= ${Math.max(2, specials)} (room for the special tokens), got ${maxLength}`);
    }
    if (padding !== 'max_length' && padding !== 'longest') {
      throw new Error(`${where}: padding must be 'max_length' or 'longest', got ${JSON.stringify(padding)}`);
    }
    if (typeof truncation !== 'boolean') throw new Error(`${where}: truncation must be true or false, got ${JSON.stringify(truncation)}`);

    const rows = texts.map((text, i) => {
      let content = this.lib.encode(text, { add_special_tokens: false }).ids;
      const room = maxLength - specials;
      if (content.length > room) {
        if (!truncation) {
          throw new Error(
            `${where}: texts[${i}] has ${content.length + specials} tokens, more than maxLength ${maxLength}; shorten it or pass truncation: true`,
          );
        }
        content = content.slice(0, room); // right truncation; the special tokens stay
      }
      return [...this.prefix, ...content, ...this.suffix];
    });
    const length = padding === 'max_length' ? maxLength : Math.max(...rows.map((r) => r.length));
    const batch = rows.length;
    const inputIds = new BigInt64Array(batch * length).fill(BigInt(this.padTokenId));
    const attentionMask = new BigInt64Array(batch * length);
    rows.forEach((row, b) => {
      for (let t = 0; t < row.length; t++) {
        inputIds[b * length + t] = BigInt(row[t]!);
        attentionMask[b * length + t] = 1n;
      }
    });
    return { inputIds, attentionMask, length, batch, tokenCounts: rows.map((r) => r.length) };
  }

  decode(ids: ArrayLike<number | bigint>, opts: { skipSpecialTokens?: boolean } = {}): string {
    const list = Array.from(ids ?? [], (v, i) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n >= this.vocabSize) {
        throw new Error(`decode (${this.source}): ids[${i}] = ${String(v)} is not a token id in [0, ${this.vocabSize})`);
      }
      return n;
    });
    if (list.length === 0) return ''; // the library rejects empty input
    return this.lib.decode(list, { skip_special_tokens: opts.skipSpecialTokens ?? true });
  }
}
