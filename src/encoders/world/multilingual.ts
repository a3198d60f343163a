/**
 * The world's multilingual text encoder (the XLM-R analogue GlueNet glues into the world generator)
 * behind the Encoder interface: a word-level tokenizer.json over the captions of all seven
 * languages (Han and kana split into characters), then a bidirectional transformer; features =
 * last_hidden_state [B, T, D]. Prompts may be in any of the languages; "" is the unconditional input.
 */
import { Session } from '../../engine/runtime.js';
import { type FileSource, readJson } from '../../io/file-source.js';
import { openFiles } from '../../io/open-files.js';
import { loadTokenizerFromFiles, type TextTokenizer } from '../text/tokenizer.js';
import type { EncodedBatch, Encoder, EncoderInfo } from '../types.js';

/** config.json of a multilingual-encoder folder (written by src/world/encoders/build.ts, or english-large.ts for the large English encoder). */
export interface WorldMultilingualConfig {
  _class_name: 'WorldMultilingualEncoder';
  /** Encoder name shown in info.name (default 'world-multilingual'); e.g. 'world-english-large'. */
  name?: string;
  /** T: every prompt is padded / truncated to this many tokens, BOS and EOS included. */
  maxTokens: number;
  /** D: feature width. */
  dim: number;
  vocabSize: number;
  /** Id the tokenizer gives a word outside the vocabulary. */
  unkTokenId: number;
  /** Language code -> the words (tokenizer pieces) its captions use; drives detectLanguage. */
  lexicon: Record<string, string[]>;
  [key: string]: unknown;
}

/** Word pieces as the tokenizer splits them: each Han / kana character alone, else runs of letters and digits. */
function pieces(text: string): string[] {
  return (
    text
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|[\p{L}\p{N}]+/gu) ?? []
  );
}

/**
 * The language of `text` among those of `lexicon`, or null when no word of it is known. Each known
 * piece votes for every language that uses it, weighted 1 / (number of such languages), so shared
 * words ("rosa", "a", 色) count less than distinctive ones; kana decide for Japanese outright.
 * Ties go to the language listed first.
 */
export function detectLanguage(text: string, lexicon: Readonly<Record<string, readonly string[]>>): string | null {
  if (typeof text !== 'string') throw new Error(`detectLanguage: text must be a string, got ${typeof text}`);
  const languages = Object.keys(lexicon);
  if (/[\p{Script=Hiragana}\p{Script=Katakana}]/u.test(text) && languages.includes('ja')) return 'ja';
  const sets = languages.map((l) => new Set(lexicon[l]));
  const scores = new Array<number>(languages.length).fill(0);
  for (const piece of pieces(text)) {
    const users = sets.flatMap((s, i) => (s.has(piece) ? [i] : []));
    for (const i of users) scores[i]! += 1 / users.length;
  }
  let best = -1;
  scores.forEach((s, i) => {
    if (s > 0 && (best < 0 || s > scores[best]!)) best = i;
  });
  return best < 0 ? null : languages[best]!;
}

export class WorldMultilingualEncoder implements Encoder<'text'> {
  readonly info: EncoderInfo & { modality: 'text' };

  private constructor(
    private readonly tokenizer: TextTokenizer,
    private readonly session: Session,
    readonly config: WorldMultilingualConfig,
  ) {
    this.info = { name: config.name ?? 'world-multilingual', modality: 'text', tokens: config.maxTokens, dim: config.dim };
  }

  /** Loads a multilingual-encoder folder (the bundled one is assets/world/multilingual-encoder, found by src/world/assets.ts). */
  static async load(dir: string, opts: { threads?: number } = {}): Promise<WorldMultilingualEncoder> {
    return WorldMultilingualEncoder.fromFiles(openFiles(dir), opts);
  }

  /** Loads the folder's files through a file source (a local folder, or URLs in the browser). */
  static async fromFiles(files: FileSource, opts: { threads?: number } = {}): Promise<WorldMultilingualEncoder> {
    let config: WorldMultilingualConfig;
    try {
      config = (await readJson(files, 'config.json')) as WorldMultilingualConfig;
    } catch (e) {
      throw new Error(`world multilingual encoder: ${(e as Error).message}; pass a folder written by buildWorldEncoders() or buildLargeEnglishEncoder()`);
    }
    checkConfig(config, files.describe('config.json'));
    return WorldMultilingualEncoder.fromParts(await loadTokenizerFromFiles(files), await files.bytes('model.onnx'), config, opts);
  }

  static async fromParts(
    tokenizer: TextTokenizer,
    model: Uint8Array | string,
    config: WorldMultilingualConfig,
    opts: { threads?: number } = {},
  ): Promise<WorldMultilingualEncoder> {
    checkConfig(config, 'config');
    const session = await Session.create(model, opts.threads ? { threads: opts.threads } : {});
    return new WorldMultilingualEncoder(tokenizer, session, config);
  }

  /** Language code of a prompt (script + vocabulary), or null if none of its words is known. */
  detectLanguage(text: string): string | null {
    return detectLanguage(text, this.config.lexicon);
  }

  /** Token features [B, T, D] (last_hidden_state) and the attention mask [B, T]. */
  async encode(texts: string[]): Promise<EncodedBatch> {
    const { hidden, mask } = await this.run(texts, 'last_hidden_state');
    return { features: hidden, batch: texts.length, tokens: this.config.maxTokens, dim: this.config.dim, mask };
  }

  /** Sentence embeddings [B, D]: the mean of last_hidden_state over real tokens (the contrastive space). */
  async pooled(texts: string[]): Promise<Float32Array> {
    return (await this.run(texts, 'pooler_output')).hidden;
  }

  private async run(texts: string[], output: 'last_hidden_state' | 'pooler_output'): Promise<{ hidden: Float32Array; mask: Uint8Array }> {
    if (!Array.isArray(texts)) throw new Error(`world multilingual encoder: encode() takes an array of strings, got ${typeof texts}`);
    texts.forEach((t, i) => {
      if (typeof t !== 'string') throw new Error(`world multilingual encoder: prompt ${i} is ${t === null ? 'null' : typeof t}, expected a string`);
    });
    const T = this.config.maxTokens;
    const batch = texts.length;
    const width = output === 'pooler_output' ? this.config.dim : T * this.config.dim;
    if (batch === 0) return { hidden: new Float32Array(0), mask: new Uint8Array(0) };
    const enc = this.tokenizer.encodeBatch(texts, { maxLength: T, padding: 'max_length', truncation: true });
    const unk = BigInt(this.config.unkTokenId);
    texts.forEach((text, i) => {
      // Real pieces sit between BOS (column 0) and EOS; a prompt with pieces but none known is an error.
      const row = enc.inputIds.subarray(i * T + 1, i * T + enc.tokenCounts[i]! - 1);
      if (row.length > 0 && row.every((id) => id === unk)) {
        throw new Error(
          `world multilingual encoder: no word of this prompt is in the world vocabulary: ${JSON.stringify(text)} (prompt ${i}); ` +
            `describe a world scene (objects, colours, sizes, positions) in one of ${Object.keys(this.config.lexicon).join(', ')}, or pass "" for the unconditional input`,
        );
      }
    });
    const out = await this.session.run(
      { input_ids: { data: enc.inputIds, dims: [batch, T] }, attention_mask: { data: enc.attentionMask, dims: [batch, T] } },
      { [output]: null },
    );
    const data = out[output]?.data;
    if (!(data instanceof Float32Array) || data.length !== batch * width)
      throw new Error(`internal: world multilingual model gave no ${output} of ${batch * width} floats`);
    return { hidden: Float32Array.from(data), mask: Uint8Array.from(enc.attentionMask, (v) => Number(v)) };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function checkConfig(config: WorldMultilingualConfig, where: string): void {
  const ints = ['maxTokens', 'dim', 'vocabSize', 'unkTokenId'] as const;
  if (
    config?._class_name !== 'WorldMultilingualEncoder' ||
    ints.some((k) => !Number.isInteger(config[k])) ||
    typeof config.lexicon !== 'object' ||
    config.lexicon === null
  ) {
    throw new Error(
      `world multilingual encoder: ${where} is not a multilingual-encoder config (expected _class_name "WorldMultilingualEncoder", ${ints.join(', ')} and lexicon)`,
    );
  }
  const name: unknown = config.name;
  if (name !== undefined && (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name))) {
    throw new Error(
      `world multilingual encoder: ${where} has name ${JSON.stringify(name)}; expected a short name (1-64 letters, digits, '.', '_' or '-', e.g. "world-english-large") or no name key`,
    );
  }
}
