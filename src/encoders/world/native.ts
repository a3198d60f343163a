/**
 * The world's native text encoder behind the Encoder interface: word-level tokenizer.json, then the
 * mini-CLIP text transformer; features = last_hidden_state [B, T, D], the generator's condition
 * (as CLIP's last_hidden_state is for Stable Diffusion).
 */
import { Session } from '../../engine/runtime.js';
import { type FileSource, readJson } from '../../io/file-source.js';
import { openFiles } from '../../io/open-files.js';
import { loadTokenizerFromFiles, type TextTokenizer } from '../text/tokenizer.js';
import type { EncodedBatch, Encoder, EncoderInfo } from '../types.js';

/** config.json of a world text-encoder folder. */
export interface WorldTextEncoderConfig {
  _class_name: 'WorldTextEncoder';
  maxTokens: number;
  dim: number;
  [key: string]: unknown;
}

export class WorldNativeEncoder implements Encoder<'text'> {
  readonly info: EncoderInfo & { modality: 'text' };

  private constructor(
    private readonly tokenizer: TextTokenizer,
    private readonly session: Session,
    readonly config: WorldTextEncoderConfig,
  ) {
    this.info = { name: 'world-native', modality: 'text', tokens: config.maxTokens, dim: config.dim };
  }

  /** Loads a text-encoder folder: config.json, tokenizer.json (+ tokenizer_config.json), model.onnx. */
  static async load(dir: string, opts: { threads?: number } = {}): Promise<WorldNativeEncoder> {
    return WorldNativeEncoder.fromFiles(openFiles(dir), opts);
  }

  /** Loads the folder's files through a file source (a local folder, or URLs in the browser). */
  static async fromFiles(files: FileSource, opts: { threads?: number } = {}): Promise<WorldNativeEncoder> {
    const path = files.describe('config.json');
    let config: WorldTextEncoderConfig;
    try {
      config = (await readJson(files, 'config.json')) as WorldTextEncoderConfig;
    } catch (e) {
      throw new Error(`world text encoder: ${(e as Error).message}; point to a folder written by \`gluegen world build\``);
    }
    if (config?._class_name !== 'WorldTextEncoder' || !Number.isInteger(config.maxTokens) || !Number.isInteger(config.dim)) {
      throw new Error(`world text encoder: ${path} is not a world text-encoder config (expected _class_name "WorldTextEncoder", maxTokens, dim)`);
    }
    return WorldNativeEncoder.fromParts(await loadTokenizerFromFiles(files), await files.bytes('model.onnx'), config, opts);
  }

  static async fromParts(
    tokenizer: TextTokenizer,
    model: Uint8Array | string,
    config: WorldTextEncoderConfig,
    opts: { threads?: number } = {},
  ): Promise<WorldNativeEncoder> {
    return new WorldNativeEncoder(tokenizer, await Session.create(model, opts.threads ? { threads: opts.threads } : {}), config);
  }

  async encode(texts: string[]): Promise<EncodedBatch> {
    if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) throw new Error('world text encoder: encode() takes an array of strings');
    const T = this.config.maxTokens;
    const batch = texts.length;
    if (batch === 0) return { features: new Float32Array(0), batch: 0, tokens: T, dim: this.config.dim, mask: new Uint8Array(0) };
    const enc = this.tokenizer.encodeBatch(texts, { maxLength: T, padding: 'max_length', truncation: true });
    const out = await this.session.run({ input_ids: { data: enc.inputIds, dims: [batch, T] } });
    const features = Float32Array.from(out.last_hidden_state!.data as Float32Array);
    return { features, batch, tokens: T, dim: this.config.dim, mask: Uint8Array.from(enc.attentionMask, (v) => Number(v)) };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
