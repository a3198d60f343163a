/**
 * A Hugging Face text encoder exported to ONNX (transformers / Optimum / diffusers layouts), run on
 * onnxruntime: prompts -> tokenizer -> fixed-length input_ids (+ attention_mask, token_type_ids,
 * position_ids where the graph declares them) -> last_hidden_state [B, T, D].
 *
 * Everything the graph needs is read from the graph itself: the ids dtype (int32 in the legacy SD
 * export, int64 elsewhere), which optional inputs it takes, a static sequence length, the width.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { type Device, type HostTensor, type IOInfo, Session } from '../../engine/runtime.js';
import { float16ToFloat32 } from '../../io/half.js';
import { findModelFile, type ModelDtype } from '../model-file.js';
import type { EncodedBatch, Encoder, EncoderInfo } from '../types.js';
import { loadTokenizer, type TextTokenizer } from './tokenizer.js';

export interface OnnxTextEncoderOptions {
  /** Tokens per prompt, special tokens included; every prompt is padded (or cut) to it.
   *  Default: a static length the graph declares, else tokenizer_config's model_max_length, else 77. */
  maxLength?: number;
  device?: Device; // 'cpu'
  threads?: number; // all cores
  /** Graph output holding the token features (default 'last_hidden_state'). */
  output?: string;
  /** Name for messages and manifests (default: the folder name). */
  name?: string;
  /** Weight variant of a transformers.js folder: 'fp32' (default, model.onnx), 'fp16' (model_fp16.onnx), 'q8' (model_quantized.onnx), ... */
  dtype?: ModelDtype;
}

/** Graph inputs this encoder knows how to fill. */
const FEEDABLE = ['input_ids', 'attention_mask', 'token_type_ids', 'position_ids'];
/** Model file names, in the order tried, relative to the folder given (HF, Optimum, SD root). */
const MODEL_CANDIDATES = [
  'model.onnx',
  'onnx/model.onnx',
  'encoder_model.onnx', // Optimum seq2seq (T5)
  'onnx/encoder_model.onnx',
  'onnx/text_model.onnx', // transformers.js CLIP / CLAP
  'text_encoder/model.onnx', // SD root
];
const ID_TYPES = ['int32', 'int64'];
const MASK_TYPES = ['int32', 'int64', 'float32'];

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isFile() ?? false;
}

/** Where the ONNX graph and the tokenizer folder of an encoder folder are. */
export async function locateTextEncoder(dir: string, dtype?: ModelDtype): Promise<{ model: string; tokenizerDir: string }> {
  const info = await stat(dir).catch(() => null);
  if (info === null || !info.isDirectory()) {
    throw new Error(`text encoder: folder ${JSON.stringify(dir)} does not exist or is not a folder; pass the folder holding model.onnx and tokenizer.json`);
  }
  const model = await findModelFile(dir, MODEL_CANDIDATES, 'text encoder', dtype);
  // Beside the model (HF), at the folder given (Optimum onnx/), or the sibling tokenizer/ (SD).
  const tokenizerCandidates = [dir, join(dir, 'tokenizer'), join(dirname(resolve(model)), 'tokenizer'), join(dirname(resolve(dir)), 'tokenizer')];
  for (const t of tokenizerCandidates) {
    if ((await isFile(join(t, 'tokenizer_config.json'))) || (await isFile(join(t, 'tokenizer.json')))) return { model, tokenizerDir: t };
  }
  throw new Error(
    `text encoder: no tokenizer for ${JSON.stringify(dir)} (looked for tokenizer.json / tokenizer_config.json in ${tokenizerCandidates.map((t) => JSON.stringify(t)).join(', ')}); save the tokenizer beside the model`,
  );
}

function describe(list: IOInfo[]): string {
  return list.map((io) => `${io.name} (${io.type}${io.dims ? ` [${io.dims.join(', ')}]` : ''})`).join(', ');
}

export class OnnxTextEncoder implements Encoder<'text'> {
  private constructor(
    readonly info: EncoderInfo & { modality: 'text' },
    readonly tokenizer: TextTokenizer,
    /** The ids dtype the graph declares. */
    readonly idsType: 'int32' | 'int64',
    /** Tokens fed per prompt. */
    readonly maxLength: number,
    private readonly session: Session,
    private readonly outputName: string,
  ) {}

  static async load(dir: string, opts: OnnxTextEncoderOptions = {}): Promise<OnnxTextEncoder> {
    const { model, tokenizerDir } = await locateTextEncoder(dir, opts.dtype);
    const tokenizer = await loadTokenizer(tokenizerDir);
    const session = await Session.create(model, { device: opts.device ?? 'cpu', ...(opts.threads !== undefined ? { threads: opts.threads } : {}) });
    try {
      const where = `text encoder ${model}`;
      const ids = session.input('input_ids');
      if (!ids) throw new Error(`${where}: the graph has no input_ids input (it has ${describe(session.inputs)}); is this a text encoder?`);
      if (!ID_TYPES.includes(ids.type)) throw new Error(`${where}: input_ids has type ${ids.type}, expected int32 or int64`);
      const unknown = session.inputs.filter((i) => !FEEDABLE.includes(i.name));
      if (unknown.length > 0) {
        throw new Error(
          `${where}: graph input(s) ${describe(unknown)} cannot be filled; gluegen feeds ${FEEDABLE.join(', ')}. Export the encoder alone (no decoder / past_key_values)`,
        );
      }
      const mask = session.input('attention_mask');
      if (mask && !MASK_TYPES.includes(mask.type)) throw new Error(`${where}: attention_mask has type ${mask.type}, expected one of ${MASK_TYPES.join(', ')}`);
      for (const name of ['token_type_ids', 'position_ids']) {
        const io = session.input(name);
        if (io && !ID_TYPES.includes(io.type)) throw new Error(`${where}: ${name} has type ${io.type}, expected int32 or int64`);
      }
      const outputName = opts.output ?? 'last_hidden_state';
      const out = session.outputs.find((o) => o.name === outputName);
      if (!out) throw new Error(`${where}: the graph has no output '${outputName}' (it has ${describe(session.outputs)}); pass output: <name>`);
      if (out.dims && out.dims.length !== 3)
        throw new Error(`${where}: output '${outputName}' has rank ${out.dims.length} [${out.dims.join(', ')}], expected token features [batch, tokens, dim]`);

      const maxLength = resolveMaxLength(opts.maxLength, ids, tokenizer, where);
      let tokens: number | undefined = typeof out.dims?.[1] === 'number' ? out.dims[1] : out.dims?.[1] === ids.dims?.[1] ? maxLength : undefined;
      let dim = typeof out.dims?.[2] === 'number' ? out.dims[2] : undefined;
      const name = opts.name ?? basename(resolve(dir));
      const make = (t: number, d: number) =>
        new OnnxTextEncoder({ name, modality: 'text', tokens: t, dim: d }, tokenizer, ids.type as 'int32' | 'int64', maxLength, session, outputName);
      if (tokens === undefined || dim === undefined) {
        // The graph leaves the output shape open: run the empty prompt once to learn it.
        const probe = await make(0, 0).run(['']);
        tokens = probe.tokens;
        dim = probe.dim;
      }
      return make(tokens, dim);
    } catch (e) {
      await session.release();
      throw e;
    }
  }

  /** The feeds for a batch of prompts, exactly as the graph will receive them. */
  feeds(texts: string[]): { feeds: Record<string, HostTensor>; mask: Uint8Array } {
    const enc = this.tokenizer.encodeBatch(texts, { maxLength: this.maxLength, padding: 'max_length', truncation: true });
    const dims = [enc.batch, enc.length];
    const ints = (values: BigInt64Array, type: string): HostTensor =>
      type === 'int32'
        ? { data: Int32Array.from(values, Number), dims }
        : type === 'float32'
          ? { data: Float32Array.from(values, Number), dims }
          : { data: values, dims };
    const feeds: Record<string, HostTensor> = { input_ids: ints(enc.inputIds, this.idsType) };
    const mask = this.session.input('attention_mask');
    if (mask) feeds.attention_mask = ints(enc.attentionMask, mask.type);
    const tokenTypes = this.session.input('token_type_ids');
    if (tokenTypes) feeds.token_type_ids = ints(new BigInt64Array(enc.inputIds.length), tokenTypes.type);
    const positions = this.session.input('position_ids');
    if (positions)
      feeds.position_ids = ints(
        BigInt64Array.from({ length: enc.inputIds.length }, (_, i) => BigInt(i % enc.length)),
        positions.type,
      );
    return { feeds, mask: Uint8Array.from(enc.attentionMask, Number) };
  }

  async encode(texts: string[]): Promise<EncodedBatch> {
    if (!Array.isArray(texts) || texts.length === 0) {
      throw new Error(`${this.info.name}: encode needs a non-empty array of prompts, got ${Array.isArray(texts) ? 'an empty array' : typeof texts}`);
    }
    texts.forEach((t, i) => {
      if (typeof t !== 'string')
        throw new Error(`${this.info.name}: prompt ${i} must be a string, got ${t === null ? 'null' : typeof t}; pass "" for the unconditional embedding`);
    });
    const out = await this.run(texts);
    if (out.tokens !== this.info.tokens || out.dim !== this.info.dim) {
      throw new Error(
        `internal: ${this.info.name} returned [${out.batch}, ${out.tokens}, ${out.dim}], expected [${out.batch}, ${this.info.tokens}, ${this.info.dim}]`,
      );
    }
    return out;
  }

  private async run(texts: string[]): Promise<EncodedBatch> {
    const { feeds, mask } = this.feeds(texts);
    const result = await this.session.run(feeds, { [this.outputName]: null });
    const out = result[this.outputName];
    if (out?.dims.length !== 3 || out.dims[0] !== texts.length) {
      throw new Error(`${this.info.name}: output '${this.outputName}' has shape [${out?.dims.join(', ')}], expected [${texts.length}, tokens, dim]`);
    }
    const [batch, tokens, dim] = out.dims as [number, number, number];
    const features = out.type === 'float16' ? float16ToFloat32(out.data as Uint16Array) : out.data instanceof Float32Array ? out.data : null;
    if (features === null) throw new Error(`${this.info.name}: output '${this.outputName}' has type ${out.type}, expected float32 or float16`);
    return { features, batch, tokens, dim, ...(tokens === this.maxLength ? { mask } : {}) };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function resolveMaxLength(requested: number | undefined, ids: IOInfo, tokenizer: TextTokenizer, where: string): number {
  const fixed = typeof ids.dims?.[1] === 'number' ? ids.dims[1] : undefined;
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 2) throw new Error(`${where}: maxLength must be an integer >= 2, got ${requested}`);
    if (fixed !== undefined && requested !== fixed)
      throw new Error(`${where}: maxLength ${requested} but the graph takes exactly ${fixed} tokens; leave maxLength out or pass ${fixed}`);
    return requested;
  }
  return fixed ?? tokenizer.modelMaxLength ?? 77;
}
