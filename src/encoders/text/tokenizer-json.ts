// Builders for standard Hugging Face `tokenizer.json` + `tokenizer_config.json` objects.
//
// (a) Word-level tokenizers for the bundled world's own text encoders (optionally splitting CJK
//     text into single characters, so Chinese and Japanese work without spaces).
// (b) tokenizer.json for CLIP folders that have only vocab.json + merges.txt.
//
// The tiny stand-ins for the four real families that the test fixtures use are built in
// scripts/fixtures/tokenizer-builders.ts from the shared pieces exported here.
//
// Every builder returns plain JSON objects; `loadTokenizer` (tokenizer.ts) reads them back.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** The three files of a Hugging Face tokenizer folder, as JSON objects. */
export interface TokenizerFiles {
  tokenizerJson: JsonObject; // tokenizer.json
  tokenizerConfig: JsonObject; // tokenizer_config.json
  specialTokensMap: JsonObject; // special_tokens_map.json
}

/** SentencePiece's word-boundary marker (U+2581), used by the Metaspace pre-tokenizer. */
export const METASPACE = '\u2581';

// ---------------------------------------------------------------------------------------------
// Shared pieces

export function addedToken(id: number, content: string, opts: { normalized?: boolean; lstrip?: boolean } = {}): JsonObject {
  return {
    id,
    content,
    single_word: false,
    lstrip: opts.lstrip ?? false,
    rstrip: false,
    normalized: opts.normalized ?? false,
    special: true,
  };
}

type TemplatePart = { special: string } | { sequence: 'A' | 'B' };

/** A TemplateProcessing post-processor; `ids` gives the id of every special token used. */
export function templateProcessing(single: TemplatePart[], pair: Array<TemplatePart & { typeId?: number }>, ids: Record<string, number>): JsonObject {
  const item = (p: TemplatePart & { typeId?: number }): JsonObject =>
    'special' in p ? { SpecialToken: { id: p.special, type_id: p.typeId ?? 0 } } : { Sequence: { id: p.sequence, type_id: p.typeId ?? 0 } };
  const specialTokens: JsonObject = {};
  for (const [token, id] of Object.entries(ids)) specialTokens[token] = { id: token, ids: [id], tokens: [token] };
  return { type: 'TemplateProcessing', single: single.map(item), pair: pair.map(item), special_tokens: specialTokens };
}

export function tokenizerJson(parts: {
  addedTokens: JsonObject[];
  normalizer: JsonValue;
  preTokenizer: JsonValue;
  postProcessor: JsonValue;
  decoder: JsonValue;
  model: JsonObject;
}): JsonObject {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: parts.addedTokens,
    normalizer: parts.normalizer,
    pre_tokenizer: parts.preTokenizer,
    post_processor: parts.postProcessor,
    decoder: parts.decoder,
    model: parts.model,
  };
}

export function checkDistinct(what: string, tokens: string[]): void {
  const seen = new Set<string>();
  for (const t of tokens) {
    if (typeof t !== 'string' || t.length === 0) {
      throw new Error(`${what}: every token must be a non-empty string, got ${JSON.stringify(t)}`);
    }
    if (seen.has(t)) throw new Error(`${what}: token ${JSON.stringify(t)} appears twice; remove the duplicate`);
    seen.add(t);
  }
}

// ---------------------------------------------------------------------------------------------
// (a) Word-level tokenizer

/** Special tokens of the word-level builder, in id order 0..4. */
export const WORD_LEVEL_SPECIALS = ['[PAD]', '[UNK]', '[BOS]', '[EOS]', '[MASK]'] as const;

/** Characters isolated one per token by the CJK variant: Han ideographs and Japanese kana. */
export const CJK_CHARACTER_REGEX = '[\\p{Han}\\p{Hiragana}\\p{Katakana}]';

export interface WordLevelOptions {
  /** Words after normalisation (lowercased if `lowercase`); ids follow the 5 specials in this order. */
  words: string[];
  /** Isolate every Han / Hiragana / Katakana character as its own token (default false). Hangul stays
   *  word-level: Korean separates words with spaces. */
  splitCjk?: boolean;
  /** Lowercase after NFKC (default true). */
  lowercase?: boolean;
  /** Recorded as `model_max_length` in tokenizer_config.json (default 77). */
  modelMaxLength?: number;
}

/**
 * A WordLevel tokenizer: NFKC (+ lowercase) normaliser; BERT-style pre-tokenizer (split on
 * whitespace, every punctuation character its own token), preceded in the CJK variant by a Split
 * that isolates each CJK character; `[BOS] $A [EOS]` post-processor; `[PAD]`=0 `[UNK]`=1 `[BOS]`=2
 * `[EOS]`=3 `[MASK]`=4, words from id 5.
 */
export function buildWordLevelTokenizer(opts: WordLevelOptions): TokenizerFiles {
  const lowercase = opts.lowercase ?? true;
  const splitCjk = opts.splitCjk ?? false;
  if (!Array.isArray(opts.words)) throw new Error(`buildWordLevelTokenizer: words must be an array of strings, got ${typeof opts.words}`);
  const tokens = [...WORD_LEVEL_SPECIALS, ...opts.words];
  checkDistinct('buildWordLevelTokenizer words', tokens);
  const vocab: JsonObject = {};
  tokens.forEach((t, i) => (vocab[t] = i));
  const [pad, unk, bos, eos, mask] = WORD_LEVEL_SPECIALS;

  const normalizers: JsonObject[] = [{ type: 'NFKC' }];
  if (lowercase) normalizers.push({ type: 'Lowercase' });
  const bert: JsonObject = { type: 'BertPreTokenizer' };
  const preTokenizer: JsonObject = splitCjk
    ? {
        type: 'Sequence',
        pretokenizers: [{ type: 'Split', pattern: { Regex: CJK_CHARACTER_REGEX }, behavior: 'Isolated', invert: false }, bert],
      }
    : bert;

  const json = tokenizerJson({
    addedTokens: WORD_LEVEL_SPECIALS.map((t, i) => addedToken(i, t)),
    normalizer: { type: 'Sequence', normalizers },
    preTokenizer,
    postProcessor: templateProcessing(
      [{ special: bos }, { sequence: 'A' }, { special: eos }],
      [{ special: bos }, { sequence: 'A' }, { special: eos }, { sequence: 'B', typeId: 1 }, { special: eos, typeId: 1 }],
      { [bos]: 2, [eos]: 3 },
    ),
    decoder: null, // no decoder: tokens are joined with single spaces
    model: { type: 'WordLevel', vocab, unk_token: unk },
  });
  const specialTokensMap: JsonObject = { pad_token: pad, unk_token: unk, bos_token: bos, eos_token: eos, mask_token: mask };
  return {
    tokenizerJson: json,
    tokenizerConfig: {
      tokenizer_class: 'PreTrainedTokenizerFast',
      model_max_length: opts.modelMaxLength ?? 77,
      do_lower_case: lowercase,
      clean_up_tokenization_spaces: true,
      ...specialTokensMap,
    },
    specialTokensMap,
  };
}

// ---------------------------------------------------------------------------------------------
// (b) CLIP folders that carry only the slow tokenizer's files

export const CLIP_BOS = '<|startoftext|>';
export const CLIP_EOS = '<|endoftext|>';

/**
 * tokenizer.json for a CLIP folder that has only the slow tokenizer's vocab.json + merges.txt (as
 * diffusers saves Stable Diffusion 1.x), built the way transformers' CLIPConverter builds it.
 */
export function clipFilesFromSlowTokenizer(vocab: JsonObject, mergesText: string, vocabPath: string): TokenizerFiles {
  const ids: Record<string, number> = {};
  for (const [token, id] of Object.entries(vocab)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw new Error(`${vocabPath}: id of ${JSON.stringify(token)} must be a non-negative integer, got ${JSON.stringify(id)}`);
    }
    ids[token] = id;
  }
  const merges: [string, string][] = [];
  for (const line of mergesText.split(/\r?\n/)) {
    if (line.startsWith('#version') || line.trim() === '') continue;
    const parts = line.split(' ');
    if (parts.length !== 2) throw new Error(`merges.txt beside ${vocabPath}: line ${JSON.stringify(line)} is not "left right"`);
    merges.push([parts[0]!, parts[1]!]);
  }
  return clipFiles(ids, merges, 77, false);
}

/** CLIP's tokenizer files for a vocabulary and merges (transformers' CLIPConverter layout). */
export function clipFiles(vocab: Record<string, number>, merges: [string, string][], modelMaxLength: number, recordIds: boolean): TokenizerFiles {
  const bosId = vocab[CLIP_BOS];
  const eosId = vocab[CLIP_EOS];
  if (bosId === undefined || eosId === undefined) {
    throw new Error(`CLIP vocabulary lacks ${CLIP_BOS} or ${CLIP_EOS}; it is not a CLIP tokenizer`);
  }
  const json = tokenizerJson({
    addedTokens: [addedToken(bosId, CLIP_BOS, { normalized: true }), addedToken(eosId, CLIP_EOS, { normalized: true })],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }],
    },
    preTokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          type: 'Split',
          pattern: { Regex: "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" },
          behavior: 'Removed',
          invert: true,
        },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      ],
    },
    postProcessor: { type: 'RobertaProcessing', sep: [CLIP_EOS, eosId], cls: [CLIP_BOS, bosId], trim_offsets: false, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: CLIP_EOS,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: merges.map(([a, b]) => [a, b]),
    },
  });
  const specialTokensMap: JsonObject = { bos_token: CLIP_BOS, eos_token: CLIP_EOS, unk_token: CLIP_EOS, pad_token: CLIP_EOS };
  const asAdded = (content: string): JsonObject => ({ __type: 'AddedToken', content, lstrip: false, normalized: true, rstrip: false, single_word: false });
  const tokenizerConfig: JsonObject = {
    tokenizer_class: 'CLIPTokenizer',
    model_max_length: modelMaxLength,
    do_lower_case: true,
    add_prefix_space: false,
    errors: 'replace',
    bos_token: asAdded(CLIP_BOS),
    eos_token: asAdded(CLIP_EOS),
    unk_token: asAdded(CLIP_EOS),
    pad_token: CLIP_EOS,
  };
  if (recordIds) {
    // Not read by transformers; recorded because a fixture's ids differ from the real 49406/49407.
    Object.assign(tokenizerConfig, { bos_token_id: bosId, eos_token_id: eosId, pad_token_id: eosId, vocab_size: Object.keys(vocab).length });
  }
  return { tokenizerJson: json, tokenizerConfig, specialTokensMap };
}
