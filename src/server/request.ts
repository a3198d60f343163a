/**
 * Turning a generation request — a JSON object, or multipart form fields with a WAV file (field
 * "audio") or a PLY point cloud (field "points") — into a checked GenerationSpec, or a clear
 * HttpError: 422 for a field with an unacceptable value, 415 for a file of the wrong type. Field
 * names follow the public API (snake_case).
 */
import { randomInt } from 'node:crypto';
import { decodeWav, toMono } from '../encoders/audio/index.js';
import type { AudioClip, Modality, PointCloud } from '../encoders/types.js';
import { readPly } from '../io/ply.js';
import { MODALITY_WORDS } from '../pipeline/loaders.js';
import { type MixSpec, parseMixSpec } from '../pipeline/mix.js';
import { HttpError, invalidField } from './http-error.js';
import type { ServedEncoder, ServerModels } from './models.js';
import type { MultipartPart } from './multipart.js';
import type { MonoAudio } from './wav-thread.js';

export interface ServerLimits {
  maxPromptChars: number; // 500
  maxSteps: number; // 100
  maxImages: number; // 4
  /** Image side bounds (pixels) for generators that take several sizes. */
  minSize: number; // 64
  maxSize: number; // 1024
  maxGuidance: number; // 30
  /** Largest JSON body. */
  maxJsonBytes: number; // 64 KiB
  /** Largest multipart body (the WAV and the fields). */
  maxUploadBytes: number; // 8 MiB
  maxAudioSeconds: number; // 30
  /** Most points in an uploaded point cloud (the upload size bounds it too). */
  maxPoints: number; // 500000
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxPromptChars: 500,
  maxSteps: 100,
  maxImages: 4,
  minSize: 64,
  maxSize: 1024,
  maxGuidance: 30,
  maxJsonBytes: 64 * 1024,
  maxUploadBytes: 8 * 1024 * 1024,
  maxAudioSeconds: 30,
  maxPoints: 500_000,
};

export interface GenerationSpec {
  /** The text prompt ('' with a sound and no mix). */
  prompt: string;
  /** What the images should not show ('' for none): replaces "" as the unconditional. */
  negativePrompt: string;
  audio: (AudioClip & { seconds: number }) | null;
  /** An uploaded point cloud (N points). */
  points: (PointCloud & { count: number }) | null;
  encoder: ServedEncoder;
  /** The language asked for, else the one detected (multilingual encoders), else null. */
  language: string | null;
  mix: MixSpec | null;
  seed: number;
  steps: number;
  guidance: number;
  scheduler: string;
  width: number;
  height: number;
  nImages: number;
  format: 'png' | 'json';
  stream: boolean;
}

const FIELDS = [
  'prompt',
  'negative_prompt',
  'encoder',
  'language',
  'seed',
  'steps',
  'guidance',
  'scheduler',
  'size',
  'width',
  'height',
  'n_images',
  'format',
  'stream',
  'mix',
  'mix_weight',
  'mix_split',
  'audio',
  'points',
];

const WAV_TYPES = ['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave', 'application/octet-stream'];
/** What browsers and tools label .ply files with (there is no registered type); the bytes are checked too. */
const PLY_TYPES = ['application/octet-stream', 'application/ply', 'application/x-ply', 'model/ply', 'model/x-ply', 'text/plain', ''];

/** The input a request brings besides text: a sound, a point cloud, or none. */
type Upload = 'audio' | 'pointcloud' | null;

/** Request fields before checking: JSON values, or strings from a form. */
type Raw = Record<string, unknown>;

interface Reader {
  raw: Raw;
  /** Form fields arrive as strings: numbers and booleans are parsed from them. */
  fromForm: boolean;
}

const has = (r: Reader, k: string): boolean => r.raw[k] !== undefined && r.raw[k] !== null && !(r.fromForm && r.raw[k] === '');

function str(r: Reader, k: string): string | undefined {
  if (!has(r, k)) return undefined;
  const v = r.raw[k];
  if (typeof v !== 'string') throw invalidField(k, `expected a string, got ${JSON.stringify(v)}`);
  return v;
}

function num(r: Reader, k: string, o: { integer?: boolean; min: number; max: number }): number | undefined {
  if (!has(r, k)) return undefined;
  const v = r.raw[k];
  const n = typeof v === 'number' ? v : r.fromForm && typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  const kind = o.integer ? 'an integer' : 'a number';
  if (!Number.isFinite(n) || (o.integer && !Number.isInteger(n)))
    throw invalidField(k, `expected ${kind} in [${o.min}, ${o.max}], got ${JSON.stringify(v)}`, 'out_of_range');
  if (n < o.min || n > o.max) throw invalidField(k, `${n} is out of range; expected ${kind} in [${o.min}, ${o.max}]`, 'out_of_range');
  return n;
}

function bool(r: Reader, k: string): boolean | undefined {
  if (!has(r, k)) return undefined;
  const v = r.raw[k];
  if (typeof v === 'boolean') return v;
  if (r.fromForm && (v === 'true' || v === '1' || v === 'false' || v === '0')) return v === 'true' || v === '1';
  throw invalidField(k, `expected true or false, got ${JSON.stringify(v)}`);
}

/** Picks the encoder: by name, by language, or ('auto') by the language detected in the prompt. */
function chooseEncoder(models: ServerModels, r: Reader, prompt: string, upload: Upload): { encoder: ServedEncoder; language: string | null } {
  const names = models.encoders.map((e) => e.name);
  const wanted = str(r, 'encoder') ?? 'auto';
  const language = str(r, 'language') ?? null;
  const modality: Modality = upload ?? 'text';
  const sends = { audio: 'sends a sound', pointcloud: 'sends a point cloud', text: 'has only a prompt' }[modality];
  const detector = models.encoders.find((e) => e.detectLanguage);
  if (wanted !== 'auto') {
    const encoder = models.encoders.find((e) => e.name === wanted);
    if (!encoder) throw invalidField('encoder', `unknown encoder '${wanted}'; this server has ${names.join(', ')} (or 'auto')`, 'unknown_encoder');
    if (encoder.modality !== modality) {
      throw invalidField(
        'encoder',
        `encoder '${wanted}' takes ${MODALITY_WORDS[encoder.modality]}, but the request ${sends}; pick an encoder for ${MODALITY_WORDS[modality]} (${
          models.encoders
            .filter((e) => e.modality === modality)
            .map((e) => e.name)
            .join(', ') || 'none here'
        })`,
        'wrong_modality',
      );
    }
    if (language !== null && encoder.languages && !encoder.languages.includes(language)) {
      throw invalidField('language', `encoder '${wanted}' knows ${encoder.languages.join(', ')}, not '${language}'`, 'unknown_language');
    }
    const detected = modality === 'text' && encoder.detectLanguage ? encoder.detectLanguage(prompt) : null;
    return { encoder, language: language ?? detected };
  }
  if (upload !== null) {
    const encoder = models.encoders.find((e) => e.modality === upload);
    const what = upload === 'audio' ? 'sound' : 'point-cloud';
    if (!encoder)
      throw invalidField(
        upload === 'audio' ? 'audio' : 'points',
        `this server has no ${what} encoder (its encoders: ${names.join(', ')}); start it with --encoder NAME=DIR --gluenet NAME=DIR for a ${what} encoder`,
        'unknown_encoder',
      );
    return { encoder, language: null };
  }
  const text = models.encoders.filter((e) => e.modality === 'text');
  if (text.length === 0)
    throw invalidField('prompt', `this server has no text encoder (its encoders: ${names.join(', ')}); send a sound instead`, 'unknown_encoder');
  const lang = language ?? detector?.detectLanguage?.(prompt) ?? null;
  if (lang !== null) {
    const encoder = text.find((e) => e.languages?.includes(lang));
    if (encoder) return { encoder, language: lang };
    if (language !== null) {
      const known = [...new Set(text.flatMap((e) => e.languages ?? []))];
      throw invalidField('language', `no encoder here knows '${language}'${known.length ? `; known languages: ${known.join(', ')}` : ''}`, 'unknown_language');
    }
  }
  // No language to go by: the broadest text encoder (most languages), else the first (native).
  const broadest = [...text].sort((a, b) => (b.languages?.length ?? 0) - (a.languages?.length ?? 0))[0]!;
  return { encoder: broadest.languages && broadest.languages.length > 1 ? broadest : text[0]!, language: lang };
}

function parseSize(models: ServerModels, r: Reader, limits: ServerLimits): { width: number; height: number } {
  const def = models.generator.defaultSize;
  let width = def.width;
  let height = def.height;
  if (has(r, 'size')) {
    const v = r.raw.size;
    const m = typeof v === 'string' ? /^\s*(\d{1,5})\s*(?:x\s*(\d{1,5}))?\s*$/i.exec(v) : null;
    if (typeof v === 'number' && Number.isInteger(v)) width = height = v;
    else if (m) [width, height] = [Number(m[1]), Number(m[2] ?? m[1])];
    else throw invalidField('size', `expected 'WxH' (e.g. '512x512') or one integer side, got ${JSON.stringify(v)}`, 'invalid_size');
  }
  const side = { integer: true, min: 1, max: 1 << 14 };
  width = num(r, 'width', side) ?? width;
  height = num(r, 'height', side) ?? height;
  if (models.fixedSize) {
    if (width !== def.width || height !== def.height)
      throw invalidField(
        'size',
        `${width}x${height} requested, but generator '${models.generatorName}' draws only ${def.width}x${def.height} images; omit the size`,
        'invalid_size',
      );
  } else {
    for (const [k, v] of [
      ['width', width],
      ['height', height],
    ] as const) {
      if (v % 8 !== 0 || v < limits.minSize || v > limits.maxSize) {
        throw invalidField(k, `${v} is out of range; expected a multiple of 8 in [${limits.minSize}, ${limits.maxSize}]`, 'invalid_size');
      }
    }
  }
  return { width, height };
}

function parseMix(models: ServerModels, r: Reader, hasAudio: boolean, prompt: string): MixSpec | null {
  const mode = str(r, 'mix');
  const weight = num(r, 'mix_weight', { min: 0, max: 1 });
  const tokens = models.generator.condition.tokens;
  const split = num(r, 'mix_split', { integer: true, min: 1, max: Math.max(1, Math.floor(tokens / 2)) });
  const mixing = hasAudio && prompt !== '';
  if (!mixing) {
    if (mode !== undefined || weight !== undefined || split !== undefined)
      throw invalidField('mix', 'mixing needs both a sound (audio) and a prompt', 'invalid_mix');
    return null;
  }
  if (!models.native)
    throw invalidField(
      'prompt',
      "a sound + prompt mix needs the generator's own text encoder, which this server has not loaded; send the sound alone",
      'mix_unavailable',
    );
  if (mode === undefined || mode === 'avg') return { kind: 'avg', weight: weight ?? 0.5 };
  if (mode === 'splice') return { kind: 'splice', split: split ?? Math.min(5, Math.floor(tokens / 2)) };
  try {
    return parseMixSpec(mode);
  } catch (e) {
    throw invalidField('mix', `${(e as Error).message}; or send mix 'avg' with mix_weight, or 'splice' with mix_split`, 'invalid_mix');
  }
}

function parsePoints(part: MultipartPart, limits: ServerLimits, decoded?: PointCloud | Error): PointCloud & { count: number } {
  const source = part.filename ? `points '${part.filename.slice(0, 80)}'` : 'points';
  const plyBytes = part.data.subarray(0, 3).toString('latin1') === 'ply';
  if (!PLY_TYPES.includes(part.contentType) && !plyBytes) {
    throw new HttpError(415, 'unsupported_media_type', `${source} has type '${part.contentType}'; send a PLY file (ascii or binary little-endian)`, 'points');
  }
  if (part.data.length === 0) throw invalidField('points', `${source} is empty; send a PLY file`, 'invalid_points');
  let cloud: PointCloud;
  try {
    if (decoded instanceof Error) throw decoded;
    cloud = decoded ?? readPly(part.data, 'PLY');
  } catch (e) {
    throw invalidField('points', `${source} is not a readable PLY file: ${(e as Error).message.replace(/^PLY: /, '')}`, 'invalid_points');
  }
  const count = cloud.positions.length / 3;
  if (count > limits.maxPoints)
    throw invalidField('points', `${source} has ${count} points; the most accepted is ${limits.maxPoints} — subsample the cloud`, 'too_many_points');
  return { positions: cloud.positions, ...(cloud.colours ? { colours: cloud.colours } : {}), source, count };
}

function parseAudio(
  part: MultipartPart,
  encoder: ServedEncoder | undefined,
  limits: ServerLimits,
  decoded?: MonoAudio | Error,
): AudioClip & { seconds: number } {
  const source = part.filename ? `audio '${part.filename.slice(0, 80)}'` : 'audio';
  if (!WAV_TYPES.includes(part.contentType) && !(part.contentType.startsWith('audio/') && part.data.subarray(0, 4).toString('latin1') === 'RIFF')) {
    throw new HttpError(
      415,
      'unsupported_media_type',
      `${source} has type '${part.contentType}'; send a WAV file (audio/wav); convert other formats first`,
      'audio',
    );
  }
  if (part.data.length === 0) throw invalidField('audio', `${source} is empty; send a WAV file`, 'invalid_audio');
  let wav: MonoAudio;
  try {
    if (decoded instanceof Error) throw decoded;
    if (decoded) wav = decoded;
    else {
      const d = decodeWav(part.data);
      wav = { sampleRate: d.sampleRate, samples: toMono(d.channels) };
    }
  } catch (e) {
    throw invalidField('audio', `${source} is not a readable WAV: ${(e as Error).message}`, 'invalid_audio');
  }
  const samples = wav.samples;
  const seconds = samples.length / wav.sampleRate;
  const max = Math.min(limits.maxAudioSeconds, encoder?.maxSeconds ?? Infinity);
  if (samples.length === 0) throw invalidField('audio', `${source} has no samples; send a sound of at least a fraction of a second`, 'invalid_audio');
  if (seconds > max)
    throw invalidField('audio', `${source} lasts ${seconds.toFixed(1)} s; the most accepted is ${max} s — send a shorter clip`, 'audio_too_long');
  return { samples, sampleRate: wav.sampleRate, source, seconds };
}

/**
 * Checks a request (JSON object or form parts) against the loaded models and the limits. The server
 * passes the audio and points parts already decoded off the event loop (`decoded`, `decodedPoints`);
 * without them, they are decoded here.
 */
export function parseGeneration(
  models: ServerModels,
  limits: ServerLimits,
  input: { json: unknown } | { parts: MultipartPart[]; decoded?: MonoAudio | Error; decodedPoints?: PointCloud | Error },
  accept = '',
): GenerationSpec {
  let r: Reader;
  let audioPart: MultipartPart | null = null;
  let pointsPart: MultipartPart | null = null;
  if ('json' in input) {
    if (typeof input.json !== 'object' || input.json === null || Array.isArray(input.json))
      throw new HttpError(400, 'invalid_json', 'the JSON body must be an object like {"prompt": "..."}');
    r = { raw: input.json as Raw, fromForm: false };
    if ('audio' in r.raw)
      throw invalidField('audio', 'sounds are sent as a file in a multipart/form-data request (field "audio"), not in JSON', 'invalid_audio');
    if ('points' in r.raw)
      throw invalidField('points', 'point clouds are sent as a PLY file in a multipart/form-data request (field "points"), not in JSON', 'invalid_points');
  } else {
    // No prototype: fields named __proto__ or constructor are ordinary (unknown) fields.
    const raw: Raw = Object.create(null) as Raw;
    for (const p of input.parts) {
      if (Object.hasOwn(raw, p.name) || (p.name === 'audio' && audioPart) || (p.name === 'points' && pointsPart))
        throw invalidField(p.name, 'given twice; send each field once', 'duplicate_field');
      if (p.name === 'audio') audioPart = p;
      else if (p.name === 'points') pointsPart = p;
      else if (p.filename !== undefined) throw invalidField(p.name, 'is a file; only "audio" and "points" may be files', 'invalid_field');
      else raw[p.name] = p.data.toString('utf8');
    }
    r = { raw, fromForm: true };
  }
  const unknown = Object.keys(r.raw).filter((k) => !FIELDS.includes(k));
  if (unknown.length) throw invalidField(unknown[0]!, `unknown field; the fields are ${FIELDS.join(', ')}`, 'unknown_field');

  const prompt = (str(r, 'prompt') ?? '').trim();
  const hasAudio = audioPart !== null;
  const hasPoints = pointsPart !== null;
  if (hasAudio && hasPoints) throw invalidField('points', 'a request sends a sound or a point cloud, not both; send one of them', 'invalid_points');
  const upload: Upload = hasAudio ? 'audio' : hasPoints ? 'pointcloud' : null;
  if (upload === null && prompt === '')
    throw invalidField('prompt', 'is empty; describe the image (in any language the encoders know), or send a sound', 'empty_prompt');
  if (hasPoints && prompt !== '')
    throw invalidField('prompt', 'a point cloud is not mixed with a prompt; send the point cloud alone (a negative prompt is fine)', 'invalid_points');
  if ([...prompt].length > limits.maxPromptChars)
    throw invalidField('prompt', `is ${[...prompt].length} characters; the most accepted is ${limits.maxPromptChars}`, 'prompt_too_long');
  const negativePrompt = (str(r, 'negative_prompt') ?? '').trim();
  if ([...negativePrompt].length > limits.maxPromptChars)
    throw invalidField('negative_prompt', `is ${[...negativePrompt].length} characters; the most accepted is ${limits.maxPromptChars}`, 'prompt_too_long');
  if (upload !== null && negativePrompt !== '' && !models.native) {
    throw invalidField(
      'negative_prompt',
      `with a ${hasAudio ? 'sound' : 'point cloud'}, the negative prompt goes through the generator's own text encoder, which this server has not loaded; drop it`,
      'negative_prompt_unavailable',
    );
  }
  const { encoder, language } = chooseEncoder(models, r, prompt, upload);
  if (upload === null && encoder.detectLanguage && encoder.detectLanguage(prompt) === null) {
    throw invalidField(
      'prompt',
      `none of its words is known to encoder '${encoder.name}' (languages: ${encoder.languages?.join(', ')}); describe the scene with words it knows`,
      'unknown_words',
    );
  }
  const audio = audioPart ? parseAudio(audioPart, encoder, limits, 'decoded' in input ? input.decoded : undefined) : null;
  const points = pointsPart ? parsePoints(pointsPart, limits, 'decodedPoints' in input ? input.decodedPoints : undefined) : null;
  const mix = parseMix(models, r, hasAudio, prompt);
  const scheduler = str(r, 'scheduler') ?? models.defaults.scheduler;
  if (!models.schedulers.includes(scheduler))
    throw invalidField('scheduler', `unknown scheduler '${scheduler}'; expected one of ${models.schedulers.join(', ')}`, 'unknown_scheduler');
  const format = str(r, 'format') ?? (/application\/json/i.test(accept) ? 'json' : 'png');
  if (format !== 'png' && format !== 'json') throw invalidField('format', `expected 'png' or 'json', got '${format}'`);
  const stream = bool(r, 'stream') ?? /text\/event-stream/i.test(accept);
  return {
    prompt,
    negativePrompt,
    audio,
    points,
    encoder,
    language,
    mix,
    seed: num(r, 'seed', { integer: true, min: 0, max: 2 ** 32 - 1 }) ?? randomInt(0, 2 ** 31),
    steps: num(r, 'steps', { integer: true, min: 1, max: limits.maxSteps }) ?? Math.min(models.defaults.steps, limits.maxSteps),
    guidance: num(r, 'guidance', { min: 0, max: limits.maxGuidance }) ?? models.defaults.guidance,
    scheduler,
    ...parseSize(models, r, limits),
    nImages: num(r, 'n_images', { integer: true, min: 1, max: limits.maxImages }) ?? 1,
    format,
    stream,
  };
}
