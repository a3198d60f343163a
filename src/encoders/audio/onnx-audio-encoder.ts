/**
 * An audio encoder exported to ONNX, run on onnxruntime. A folder holds `model.onnx` (or
 * `onnx/model.onnx`), the Hugging Face feature-extractor config `preprocessor_config.json`, and an
 * optional `gluegen_audio.json` saying which output to use and how to read it as tokens:
 *
 *   { "output": "audio_embeds", "tokens": 16, "dim": 64 }   // pooled 1024 -> 16 x 64, as GlueGen does
 *   { "output": "last_hidden_state", "seconds": 4 }         // raw-waveform model with an open length
 *
 * Front ends by feature_extractor_type: WhisperFeatureExtractor -> whisperLogMel `input_features`
 * [B, 80, 3000]; ClapFeatureExtractor -> clapLogMel `input_features` [B, C, frames, 64]; anything
 * else -> the raw waveform as `input_values` / `waveform` at the config's sampling_rate, padded or
 * cut to a fixed length. Clips are resampled to the front end's rate first.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { type Device, type HostTensor, type IOInfo, Session } from '../../engine/runtime.js';
import { float16ToFloat32 } from '../../io/half.js';
import { findModelFile, type ModelDtype } from '../model-file.js';
import type { AudioClip, EncodedBatch, Encoder, EncoderInfo } from '../types.js';
import { AudioError } from './errors.js';
import { CLAP_SAMPLE_RATE, type ClapOptions, clapLogMel, WHISPER_SAMPLE_RATE, whisperLogMel } from './features.js';
import { resample } from './resample.js';

export interface OnnxAudioEncoderOptions {
  device?: Device; // 'cpu'
  threads?: number; // all cores
  /** These override gluegen_audio.json. */
  output?: string;
  tokens?: number;
  dim?: number;
  seconds?: number;
  /** Name for messages and manifests (default: the folder name). */
  name?: string;
  /** Weight variant of a transformers.js folder: 'fp32' (default, model.onnx), 'fp16' (model_fp16.onnx), 'q8' (model_quantized.onnx), ... */
  dtype?: ModelDtype;
}

/** gluegen_audio.json. */
interface AudioOutputConfig {
  output?: string;
  tokens?: number;
  dim?: number;
  /** Fixed clip length for raw-waveform models whose graph leaves the length open. */
  seconds?: number;
}

type FrontEnd =
  | { kind: 'whisper'; input: string }
  | { kind: 'clap'; input: string; options: ClapOptions; channels: number | null; isLonger: IOInfo | undefined }
  | { kind: 'raw'; input: string; samples: number; normalize: boolean };

const MODEL_CANDIDATES = ['model.onnx', 'onnx/model.onnx', 'audio_model.onnx', 'onnx/audio_model.onnx'];
const OUTPUT_PREFERENCE = ['last_hidden_state', 'audio_embeds', 'pooler_output'];
const RAW_INPUTS = ['input_values', 'waveform'];

type Json = Record<string, unknown>;

async function readJson(path: string, required: boolean): Promise<Json | null> {
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) {
    if (required) throw new Error(`audio encoder: ${path} is missing; an audio encoder folder needs model.onnx and preprocessor_config.json`);
    return null;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`audio encoder: ${path} is not valid JSON (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`audio encoder: ${path} must hold a JSON object`);
  return v as Json;
}

function describe(list: IOInfo[]): string {
  return list.map((io) => `${io.name} (${io.type}${io.dims ? ` [${io.dims.join(', ')}]` : ''})`).join(', ');
}

function positiveInt(v: unknown, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`audio encoder: ${what} must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

export class OnnxAudioEncoder implements Encoder<'audio'> {
  private constructor(
    readonly info: EncoderInfo & { modality: 'audio' },
    /** Rate the front end works at (Hz); clips at other rates are resampled to it. */
    readonly sampleRate: number,
    private readonly frontEnd: FrontEnd,
    private readonly session: Session,
    private readonly outputName: string,
    /** Pooled outputs [B, E] are read as [B, tokens, dim] with tokens * dim = E. */
    private readonly pooled: boolean,
  ) {}

  static async load(dir: string, opts: OnnxAudioEncoderOptions = {}): Promise<OnnxAudioEncoder> {
    const info = await stat(dir).catch(() => null);
    if (info === null || !info.isDirectory()) {
      throw new Error(
        `audio encoder: folder ${JSON.stringify(dir)} does not exist or is not a folder; pass the folder holding model.onnx and preprocessor_config.json`,
      );
    }
    const model = await findModelFile(dir, MODEL_CANDIDATES, 'audio encoder', opts.dtype);
    const pre = (await readJson(join(dir, 'preprocessor_config.json'), true))!;
    const json = (await readJson(join(dir, 'gluegen_audio.json'), false)) ?? {};
    const config: AudioOutputConfig = {
      output: opts.output ?? (typeof json.output === 'string' ? json.output : undefined),
      tokens: positiveInt(opts.tokens ?? json.tokens, 'tokens'),
      dim: positiveInt(opts.dim ?? json.dim, 'dim'),
      seconds: opts.seconds ?? (json.seconds as number | undefined),
    };
    const session = await Session.create(model, { device: opts.device ?? 'cpu', ...(opts.threads !== undefined ? { threads: opts.threads } : {}) });
    try {
      const where = `audio encoder ${model}`;
      const { frontEnd, sampleRate } = chooseFrontEnd(pre, session, config, where);
      const outputName = config.output ?? OUTPUT_PREFERENCE.find((n) => session.outputs.some((o) => o.name === n));
      const out = session.outputs.find((o) => o.name === outputName);
      if (outputName === undefined || !out) {
        throw new Error(
          `${where}: no output ${config.output ? `'${config.output}'` : `named ${OUTPUT_PREFERENCE.join(' / ')}`} (the graph has ${describe(session.outputs)}); set "output" in gluegen_audio.json`,
        );
      }
      const name = opts.name ?? basename(resolve(dir));
      const make = (tokens: number, dim: number, pooled: boolean) =>
        new OnnxAudioEncoder({ name, modality: 'audio', tokens, dim }, sampleRate, frontEnd, session, outputName, pooled);
      let dims = out.dims;
      if (dims === null || dims.slice(1).some((d) => typeof d !== 'number')) {
        // The graph leaves the output shape open: encode one second of silence to learn it.
        const probe = await make(0, 0, false).runRaw([{ samples: new Float32Array(sampleRate), sampleRate, source: 'probe' }]);
        dims = probe.dims.map((d, i) => (i === 0 ? 'batch' : d));
      }
      if (dims.length === 3) {
        if (config.tokens !== undefined || config.dim !== undefined) {
          throw new Error(`${where}: output '${outputName}' is already token features [${dims.join(', ')}]; remove "tokens" / "dim" from gluegen_audio.json`);
        }
        return make(dims[1] as number, dims[2] as number, false);
      }
      if (dims.length !== 2)
        throw new Error(`${where}: output '${outputName}' has shape [${dims.join(', ')}], expected [batch, tokens, dim] or a pooled [batch, size]`);
      const size = dims[1] as number;
      const tokens = config.tokens ?? (config.dim !== undefined ? size / config.dim : 1);
      const dim = config.dim ?? size / tokens;
      if (!Number.isInteger(tokens) || !Number.isInteger(dim) || tokens * dim !== size) {
        throw new Error(
          `${where}: output '${outputName}' has ${size} values per clip, which cannot be read as ${config.tokens ?? '?'} tokens x ${config.dim ?? '?'} dims; fix "tokens" / "dim" in gluegen_audio.json`,
        );
      }
      return make(tokens, dim, true);
    } catch (e) {
      await session.release();
      throw e;
    }
  }

  /** The model input for one clip at the front end's rate, without the batch axis. */
  features(clip: AudioClip): Float32Array {
    const audio = resample(checkClip(clip), clip.sampleRate, this.sampleRate);
    const fe = this.frontEnd;
    if (fe.kind === 'whisper') return whisperLogMel(audio);
    if (fe.kind === 'clap') {
      const mel = clapLogMel(audio, fe.options).data;
      const copies = fe.channels ?? 1;
      const out = new Float32Array(mel.length * copies);
      for (let c = 0; c < copies; c++) out.set(mel, c * mel.length);
      return out;
    }
    const wave = new Float32Array(fe.samples);
    const n = Math.min(audio.length, fe.samples);
    wave.set(audio.subarray(0, n));
    if (fe.normalize) {
      // Wav2Vec2FeatureExtractor: zero mean, unit variance over the real samples; padding stays 0.
      let mean = 0;
      for (let i = 0; i < n; i++) mean += wave[i]!;
      mean /= n;
      let variance = 0;
      for (let i = 0; i < n; i++) variance += (wave[i]! - mean) ** 2;
      const scale = 1 / Math.sqrt(variance / n + 1e-7);
      for (let i = 0; i < n; i++) wave[i] = (wave[i]! - mean) * scale;
    }
    return wave;
  }

  async encode(clips: AudioClip[]): Promise<EncodedBatch> {
    if (!Array.isArray(clips) || clips.length === 0) {
      throw new Error(`${this.info.name}: encode needs a non-empty array of audio clips, got ${Array.isArray(clips) ? 'an empty array' : typeof clips}`);
    }
    const out = await this.runRaw(clips);
    const data = out.type === 'float16' ? float16ToFloat32(out.data as Uint16Array) : out.data;
    if (!(data instanceof Float32Array)) throw new Error(`${this.info.name}: output '${this.outputName}' has type ${out.type}, expected float32 or float16`);
    const { tokens, dim } = this.info;
    const expected = this.pooled ? [clips.length, tokens * dim] : [clips.length, tokens, dim];
    if (out.dims.join() !== expected.join()) {
      throw new Error(`${this.info.name}: output '${this.outputName}' has shape [${out.dims.join(', ')}], expected [${expected.join(', ')}]`);
    }
    return { features: data, batch: clips.length, tokens, dim };
  }

  private async runRaw(clips: AudioClip[]): Promise<HostTensor> {
    const per = clips.map((c, i) => {
      if (typeof c !== 'object' || c === null)
        throw new AudioError(`${this.info.name}: clip ${i} must be {samples, sampleRate}, got ${c === null ? 'null' : typeof c}`);
      return this.features(c);
    });
    const size = per[0]!.length;
    const batch = new Float32Array(size * per.length);
    per.forEach((f, i) => batch.set(f, i * size));
    const feeds: Record<string, HostTensor> = { [this.frontEnd.input]: { data: batch, dims: [per.length, ...this.featureDims(size)] } };
    const fe = this.frontEnd;
    if (fe.kind === 'clap' && fe.isLonger) {
      // Crops are taken from the start of long clips (rand_trunc with a fixed offset).
      const longer = clips.map((c) => Math.round((c.samples.length * CLAP_SAMPLE_RATE) / c.sampleRate) > (fe.options.maxSeconds ?? 10) * CLAP_SAMPLE_RATE);
      feeds[fe.isLonger.name] = { data: Uint8Array.from(longer, Number), dims: [per.length, 1], type: 'bool' };
    }
    const result = await this.session.run(feeds, { [this.outputName]: null });
    const out = result[this.outputName];
    if (!out) throw new Error(`internal: onnxruntime returned no '${this.outputName}'`);
    return out;
  }

  private featureDims(size: number): number[] {
    const fe = this.frontEnd;
    if (fe.kind === 'whisper') return [80, 3000];
    if (fe.kind === 'raw') return [size];
    return fe.channels === null ? [size / 64, 64] : [fe.channels, size / 64 / fe.channels, 64];
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function checkClip(clip: AudioClip): Float32Array {
  const source = clip.source ?? 'audio clip';
  if (!(clip.samples instanceof Float32Array)) throw new AudioError(`samples must be a Float32Array, got ${typeof clip.samples}`, source);
  if (clip.samples.length === 0) throw new AudioError('the clip is empty (0 samples); remove it from the input', source);
  if (!Number.isInteger(clip.sampleRate) || clip.sampleRate <= 0) {
    throw new AudioError(`sample rate ${clip.sampleRate} must be a positive integer (Hz)`, source);
  }
  for (let i = 0; i < clip.samples.length; i++) {
    if (!Number.isFinite(clip.samples[i]!)) throw new AudioError(`sample ${i} is ${clip.samples[i]}; audio must be finite`, source);
  }
  return clip.samples; // silence (all zeros) is valid audio
}

function chooseFrontEnd(pre: Json, session: Session, config: AudioOutputConfig, where: string): { frontEnd: FrontEnd; sampleRate: number } {
  const type = String(pre.feature_extractor_type ?? '');
  const rate = pre.sampling_rate;
  const needInput = (name: string): IOInfo => {
    const io = session.input(name);
    if (!io) throw new Error(`${where}: ${type} features go to input '${name}', but the graph has ${describe(session.inputs)}`);
    if (io.type !== 'float32') throw new Error(`${where}: input '${name}' has type ${io.type}, expected float32`);
    return io;
  };
  const checkRate = (expected: number) => {
    if (rate !== undefined && rate !== expected)
      throw new Error(`${where}: ${type} with sampling_rate ${JSON.stringify(rate)} is not supported; gluegen computes these features at ${expected} Hz only`);
  };
  if (type === 'WhisperFeatureExtractor') {
    checkRate(WHISPER_SAMPLE_RATE);
    if ((pre.feature_size ?? 80) !== 80)
      throw new Error(`${where}: Whisper feature_size ${JSON.stringify(pre.feature_size)} is not supported; only 80 mel bins (whisper tiny ... large-v2)`);
    const io = needInput('input_features');
    if (io.dims && (io.dims.length !== 3 || (typeof io.dims[1] === 'number' && io.dims[1] !== 80))) {
      throw new Error(`${where}: input_features is [${io.dims.join(', ')}], expected [batch, 80, 3000]`);
    }
    return { frontEnd: { kind: 'whisper', input: 'input_features' }, sampleRate: WHISPER_SAMPLE_RATE };
  }
  if (type === 'ClapFeatureExtractor') {
    checkRate(CLAP_SAMPLE_RATE);
    const io = needInput('input_features');
    const rank = io.dims?.length ?? 4;
    if (rank !== 3 && rank !== 4)
      throw new Error(`${where}: input_features is [${io.dims!.join(', ')}], expected [batch, channels, frames, 64] or [batch, frames, 64]`);
    const channels = rank === 3 ? null : typeof io.dims?.[1] === 'number' ? io.dims[1] : 1;
    const fusion = pre.truncation === 'fusion';
    const padding = pre.padding === undefined ? 'repeatpad' : String(pre.padding);
    if (!['repeatpad', 'repeat', 'pad'].includes(padding))
      throw new Error(`${where}: CLAP padding ${JSON.stringify(pre.padding)} is not one of repeatpad, repeat, pad`);
    const options: ClapOptions = {
      fMin: typeof pre.frequency_min === 'number' ? pre.frequency_min : 50,
      fMax: typeof pre.frequency_max === 'number' ? pre.frequency_max : 14000,
      maxSeconds: typeof pre.max_length_s === 'number' ? pre.max_length_s : 10,
      padding: padding as ClapOptions['padding'],
      // Fusion models see HTK mels; every channel gets the same (first 10 s) mel.
      filters: fusion ? 'htk' : 'slaney',
    };
    return { frontEnd: { kind: 'clap', input: 'input_features', options, channels, isLonger: session.input('is_longer') }, sampleRate: CLAP_SAMPLE_RATE };
  }
  if (typeof rate !== 'number' || !Number.isInteger(rate) || rate <= 0) {
    throw new Error(`${where}: preprocessor_config.json needs a positive integer sampling_rate for a raw-waveform model, got ${JSON.stringify(rate)}`);
  }
  const inputName = RAW_INPUTS.find((n) => session.input(n));
  if (inputName === undefined) {
    throw new Error(
      `${where}: feature extractor ${JSON.stringify(type || '(none)')} is treated as raw waveform, fed to ${RAW_INPUTS.join(' or ')}, but the graph has ${describe(session.inputs)}`,
    );
  }
  const io = needInput(inputName);
  const declared = typeof io.dims?.[1] === 'number' ? io.dims[1] : undefined;
  let samples = declared;
  if (config.seconds !== undefined) {
    if (typeof config.seconds !== 'number' || !(config.seconds > 0))
      throw new Error(`${where}: "seconds" must be a positive number, got ${JSON.stringify(config.seconds)}`);
    samples = Math.round(config.seconds * rate);
    if (declared !== undefined && samples !== declared)
      throw new Error(`${where}: "seconds" ${config.seconds} gives ${samples} samples but the graph takes exactly ${declared}; remove "seconds"`);
  }
  if (samples === undefined) {
    throw new Error(
      `${where}: the graph takes waveforms of any length; set "seconds" in gluegen_audio.json so that every clip gives the same number of tokens`,
    );
  }
  return { frontEnd: { kind: 'raw', input: inputName, samples, normalize: pre.do_normalize === true }, sampleRate: rate };
}
