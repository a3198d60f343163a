// Builders for standard Hugging Face `tokenizer.json` + `tokenizer_config.json` objects.
//
// (a) Word-level tokenizers for the bundled world's own text encoders (optionally splitting CJK
//     text into single characters, so Chinese and Japanese work without spaces).
// (b) Tiny but faithful stand-ins for the four real families (CLIP byte-level BPE, XLM-RoBERTa and
//     T5 SentencePiece Unigram, BERT WordPiece): the same normalizer / pre-tokenizer / model /
//     post-processor / decoder / added_tokens layout that `transformers`' slow->fast converters
//     write, with a small vocabulary.
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

function addedToken(id: number, content: string, opts: { normalized?: boolean; lstrip?: boolean } = {}): JsonObject {
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
function templateProcessing(
  single: TemplatePart[],
  pair: Array<TemplatePart & { typeId?: number }>,
  ids: Record<string, number>,
): JsonObject {
  const item = (p: TemplatePart & { typeId?: number }): JsonObject =>
    'special' in p
      ? { SpecialToken: { id: p.special, type_id: p.typeId ?? 0 } }
      : { Sequence: { id: p.sequence, type_id: p.typeId ?? 0 } };
  const specialTokens: JsonObject = {};
  for (const [token, id] of Object.entries(ids)) specialTokens[token] = { id: token, ids: [id], tokens: [token] };
  return { type: 'TemplateProcessing', single: single.map(item), pair: pair.map(item), special_tokens: specialTokens };
}

function tokenizerJson(parts: {
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

function checkDistinct(what: string, tokens: string[]): void {
  const seen = new Set<string>();
  for (const t of tokens) {
    if (typeof t !== 'string' || t.length === 0) {
      throw new Error(`${what}: every token must be a non-empty string, got ${JSON.stringify(t)}`);
    }
    if (seen.has(t)) throw new Error(`${what}: token ${JSON.stringify(t)} appears twice; remove the duplicate`);
    seen.add(t);
  }
}

/**
 * A valid SentencePiece `precompiled_charsmap` that maps nothing (an empty double-array trie of 256
 * units + no replacement strings), base64. Real XLM-R / T5 files carry a ~300 KB NFKC map; the
 * fixtures use this one so that the Rust `tokenizers` library loads them too. (@huggingface/tokenizers
 * ignores the map's content and applies NFKC plus control/space cleanup.)
 */
export function identityPrecompiledCharsmap(): string {
  const units = 256;
  const bytes = new Uint8Array(4 + units * 4);
  new DataView(bytes.buffer).setUint32(0, units * 4, true); // trie size in bytes, little endian
  return Buffer.from(bytes).toString('base64');
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
// (b) Faithful small fixtures of real families

/**
 * GPT-2 / CLIP byte-to-character table: printable Latin-1 bytes map to themselves, the other 68
 * bytes to U+0100.. in byte order. Returned in CLIP's vocab order (printable bytes first), so the
 * character at index i has CLIP id i and its `</w>` form id 256 + i.
 */
export function byteLevelAlphabet(): { byte: number; char: string }[] {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: { byte: number; char: string }[] = [];
  for (let b = 0; b < 256; b++) if (printable(b)) out.push({ byte: b, char: String.fromCharCode(b) });
  let n = 0;
  for (let b = 0; b < 256; b++) if (!printable(b)) out.push({ byte: b, char: String.fromCharCode(256 + n++) });
  return out;
}

const CLIP_BOS = '<|startoftext|>';
const CLIP_EOS = '<|endoftext|>';

export interface ClipOptions {
  /** BPE merges in rank order, e.g. [['c','a'], ['ca','t</w>']]; each result becomes a vocab entry. */
  merges: [string, string][];
  modelMaxLength?: number; // default 77
}

/**
 * CLIP's layout (transformers CLIPConverter): vocab = 256 byte characters, the same with `</w>`,
 * one entry per merge, then `<|startoftext|>` and `<|endoftext|>` last (49406 / 49407 in the real
 * 49408-token vocab). Normalizer NFC + collapse whitespace + lowercase; Split on CLIP's word regex
 * then ByteLevel; RobertaProcessing adds BOS/EOS; pad token `<|endoftext|>` like Stable Diffusion 1.x.
 */
export function buildClipTokenizer(opts: ClipOptions): TokenizerFiles {
  const base = byteLevelAlphabet().map((e) => e.char);
  const tokens = [...base, ...base.map((c) => c + '</w>')];
  const known = new Set(tokens);
  for (const [left, right] of opts.merges) {
    if (!known.has(left) || !known.has(right)) {
      throw new Error(`buildClipTokenizer: merge ${JSON.stringify([left, right])} uses a symbol not produced earlier; list merges in rank order`);
    }
    const merged = left + right;
    if (!known.has(merged)) {
      tokens.push(merged);
      known.add(merged);
    }
  }
  tokens.push(CLIP_BOS, CLIP_EOS);
  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => (vocab[t] = i));
  return clipFiles(vocab, opts.merges, opts.modelMaxLength ?? 77, true);
}

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

function clipFiles(vocab: Record<string, number>, merges: [string, string][], modelMaxLength: number, recordIds: boolean): TokenizerFiles {
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

/** SentencePiece pieces with their log-probability scores, e.g. ['▁cat', -9.5]. */
export type ScoredPieces = [string, number][];

function metaspace(legacy: boolean): JsonObject {
  // Older hub files (t5-small) write `add_prefix_space`; newer converters write `prepend_scheme`.
  return legacy
    ? { type: 'Metaspace', replacement: METASPACE, add_prefix_space: true }
    : { type: 'Metaspace', replacement: METASPACE, prepend_scheme: 'always', split: true };
}

/**
 * XLM-RoBERTa's layout (XLMRobertaConverter): Unigram vocab `<s>`=0 `<pad>`=1 `</s>`=2 `<unk>`=3,
 * pieces, `<mask>` last (250001 in the real model); Precompiled + Strip + Replace normaliser;
 * Metaspace pre-tokenizer and decoder; `<s> $A </s>` template.
 */
export function buildXlmRobertaTokenizer(opts: { pieces: ScoredPieces; modelMaxLength?: number }): TokenizerFiles {
  const specials = ['<s>', '<pad>', '</s>', '<unk>'];
  const vocab: ScoredPieces = [...specials.map((s): [string, number] => [s, 0]), ...opts.pieces, ['<mask>', 0]];
  checkDistinct('buildXlmRobertaTokenizer pieces', vocab.map((v) => v[0]));
  const maskId = vocab.length - 1;
  const json = tokenizerJson({
    addedTokens: [...specials.map((s, i) => addedToken(i, s)), addedToken(maskId, '<mask>', { lstrip: true })],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Precompiled', precompiled_charsmap: identityPrecompiledCharsmap() },
        { type: 'Strip', strip_left: false, strip_right: true },
        { type: 'Replace', pattern: { Regex: ' {2,}' }, content: METASPACE },
      ],
    },
    preTokenizer: metaspace(false),
    postProcessor: templateProcessing(
      [{ special: '<s>' }, { sequence: 'A' }, { special: '</s>' }],
      [{ special: '<s>' }, { sequence: 'A' }, { special: '</s>' }, { special: '</s>' }, { sequence: 'B' }, { special: '</s>' }],
      { '<s>': 0, '</s>': 2 },
    ),
    decoder: metaspace(false),
    model: { type: 'Unigram', unk_id: 3, vocab, byte_fallback: false },
  });
  const mask: JsonObject = { __type: 'AddedToken', content: '<mask>', lstrip: true, normalized: true, rstrip: false, single_word: false };
  const specialTokensMap: JsonObject = {
    bos_token: '<s>', cls_token: '<s>', eos_token: '</s>', sep_token: '</s>', unk_token: '<unk>', pad_token: '<pad>', mask_token: mask,
  };
  return {
    tokenizerJson: json,
    tokenizerConfig: { tokenizer_class: 'XLMRobertaTokenizer', model_max_length: opts.modelMaxLength ?? 512, ...specialTokensMap },
    specialTokensMap,
  };
}

/**
 * T5's layout (t5-small tokenizer.json): Unigram vocab `<pad>`=0 `</s>`=1 `<unk>`=2, pieces, then
 * `<extra_id_{n-1}>` .. `<extra_id_0>` last; Precompiled normaliser; WhitespaceSplit + Metaspace
 * (legacy `add_prefix_space` form); `$A </s>` template (no BOS).
 */
export function buildT5Tokenizer(opts: { pieces: ScoredPieces; extraIds?: number; modelMaxLength?: number }): TokenizerFiles {
  const extraIds = opts.extraIds ?? 3;
  const specials = ['<pad>', '</s>', '<unk>'];
  const extras = Array.from({ length: extraIds }, (_, i) => `<extra_id_${extraIds - 1 - i}>`);
  const vocab: ScoredPieces = [
    ...specials.map((s): [string, number] => [s, 0]),
    ...opts.pieces,
    ...extras.map((s): [string, number] => [s, 0]),
  ];
  checkDistinct('buildT5Tokenizer pieces', vocab.map((v) => v[0]));
  const firstExtraId = 3 + opts.pieces.length;
  const json = tokenizerJson({
    addedTokens: [...specials.map((s, i) => addedToken(i, s)), ...extras.map((s, i) => addedToken(firstExtraId + i, s))],
    normalizer: { type: 'Precompiled', precompiled_charsmap: identityPrecompiledCharsmap() },
    preTokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, metaspace(true)] },
    postProcessor: templateProcessing(
      [{ sequence: 'A' }, { special: '</s>' }],
      [{ sequence: 'A' }, { special: '</s>' }, { sequence: 'B', typeId: 1 }, { special: '</s>', typeId: 1 }],
      { '</s>': 1 },
    ),
    decoder: metaspace(true),
    model: { type: 'Unigram', unk_id: 2, vocab, byte_fallback: false },
  });
  const specialTokensMap: JsonObject = { eos_token: '</s>', unk_token: '<unk>', pad_token: '<pad>', additional_special_tokens: [...extras].reverse() };
  return {
    tokenizerJson: json,
    tokenizerConfig: { tokenizer_class: 'T5Tokenizer', model_max_length: opts.modelMaxLength ?? 512, extra_ids: extraIds, ...specialTokensMap },
    specialTokensMap,
  };
}

/**
 * BERT's layout (bert-base-uncased): `[PAD]`=0, `[unused0..98]`=1..99, `[UNK]`=100 `[CLS]`=101
 * `[SEP]`=102 `[MASK]`=103 (the real ids), then `words` (use `##x` for continuation pieces);
 * BertNormalizer, BertPreTokenizer, WordPiece model and decoder, `[CLS] $A [SEP]` template.
 */
export function buildBertTokenizer(opts: { words: string[]; lowercase?: boolean; modelMaxLength?: number }): TokenizerFiles {
  const lowercase = opts.lowercase ?? true;
  const unused = Array.from({ length: 99 }, (_, i) => `[unused${i}]`);
  const tokens = ['[PAD]', ...unused, '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...opts.words];
  checkDistinct('buildBertTokenizer words', tokens);
  const vocab: JsonObject = {};
  tokens.forEach((t, i) => (vocab[t] = i));
  const json = tokenizerJson({
    addedTokens: [addedToken(0, '[PAD]'), addedToken(100, '[UNK]'), addedToken(101, '[CLS]'), addedToken(102, '[SEP]'), addedToken(103, '[MASK]')],
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase },
    preTokenizer: { type: 'BertPreTokenizer' },
    postProcessor: templateProcessing(
      [{ special: '[CLS]' }, { sequence: 'A' }, { special: '[SEP]' }],
      [{ special: '[CLS]' }, { sequence: 'A' }, { special: '[SEP]' }, { sequence: 'B', typeId: 1 }, { special: '[SEP]', typeId: 1 }],
      { '[CLS]': 101, '[SEP]': 102 },
    ),
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  });
  const specialTokensMap: JsonObject = { unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]', mask_token: '[MASK]' };
  return {
    tokenizerJson: json,
    tokenizerConfig: {
      tokenizer_class: 'BertTokenizer',
      do_lower_case: lowercase,
      tokenize_chinese_chars: true,
      strip_accents: null,
      model_max_length: opts.modelMaxLength ?? 512,
      ...specialTokensMap,
    },
    specialTokensMap,
  };
}
