/**
 * WAV (RIFF/WAVE) decoding and encoding: PCM 8/16/24/32-bit, IEEE float 32/64,
 * WAVE_FORMAT_EXTENSIBLE, any channel count. Samples come out as float in [-1, 1), one array per channel.
 */
import { AudioError } from './errors.js';
import { MAX_SAMPLE_RATE, MIN_SAMPLE_RATE } from './resample.js';

export interface DecodedAudio {
  sampleRate: number;
  /** One array per channel, all the same length. */
  channels: Float32Array[];
}

export type WavEncoding = 'pcm8' | 'pcm16' | 'pcm24' | 'pcm32' | 'float32';

const FORMAT_PCM = 0x0001;
const FORMAT_FLOAT = 0x0003;
const FORMAT_EXTENSIBLE = 0xfffe;

/** Compressed codecs a WAV header may name; gluegen decodes none of them. */
const CODEC_NAMES: Record<number, string> = {
  2: 'Microsoft ADPCM',
  6: 'A-law',
  7: 'mu-law',
  17: 'IMA ADPCM',
  34: 'TrueSpeech',
  49: 'GSM 6.10',
  64: 'G.721 ADPCM',
  80: 'MPEG',
  85: 'MP3',
  255: 'AAC',
  353: 'WMA',
  5648: 'HE-AAC',
  8192: 'AC-3',
  26447: 'Ogg Vorbis',
};

/** Bytes 2..15 of every WAVE_FORMAT_EXTENSIBLE subformat GUID (the first 2 are the format code). */
const KSDATAFORMAT_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

/** Data size written by streaming encoders that did not know the length: read to the end of the file. */
const UNKNOWN_SIZE = 0xffffffff;

interface Format {
  code: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
}

export function decodeWav(bytes: Uint8Array, source?: string): DecodedAudio {
  const fail = (msg: string): never => {
    throw new AudioError(msg, source);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number): string => String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
  if (bytes.length < 12) fail(`not a WAV file: only ${bytes.length} bytes, a RIFF/WAVE header needs 12`);
  const riff = tag(0);
  if ((riff !== 'RIFF' && riff !== 'RF64' && riff !== 'BW64') || tag(8) !== 'WAVE') {
    fail(`not a WAV file: starts with '${printable(tag(0))}....${printable(tag(8))}', expected 'RIFF....WAVE'; convert it to WAV first`);
  }

  let fmt: Format | null = null;
  let dataStart = -1;
  let dataSize = 0;
  let pos = 12;
  while (pos + 8 <= bytes.length) {
    const id = tag(pos);
    const declared = view.getUint32(pos + 4, true);
    const body = pos + 8;
    if (id === 'data') {
      dataStart = body;
      // 0 and 0xFFFFFFFF: written by a streaming encoder (or RF64, whose real size lives in ds64).
      const toEnd = declared === 0 || declared === UNKNOWN_SIZE;
      dataSize = toEnd ? bytes.length - body : declared;
      if (!toEnd && body + declared > bytes.length) {
        fail(`file is truncated: the data chunk declares ${declared} bytes but only ${bytes.length - body} follow`);
      }
      if (toEnd || fmt) break; // nothing after an open-ended data chunk; fmt already seen
    } else if (id === 'fmt ') {
      if (declared < 16 || body + 16 > bytes.length) fail(`truncated header: the fmt chunk has ${Math.min(declared, bytes.length - body)} bytes, needs 16`);
      fmt = parseFmt(view, body, declared, bytes.length, fail);
      if (dataStart >= 0) break;
    }
    // Chunks are padded to an even size.
    pos = body + declared + (declared & 1);
  }
  if (!fmt) return fail(`no 'fmt ' chunk: the WAV header is missing or damaged`);
  if (dataStart < 0) return fail(`no 'data' chunk: the file holds no audio (or is cut off before it)`);

  const { code, channels, sampleRate, blockAlign } = fmt;
  if (dataSize % blockAlign !== 0) {
    fail(`data is cut mid-sample: ${dataSize} bytes is not a whole number of ${blockAlign}-byte frames`);
  }
  const frames = dataSize / blockAlign;
  if (frames === 0) fail('zero-length audio: the data chunk holds no samples');
  const bytesPerSample = blockAlign / channels;
  const out = Array.from({ length: channels }, () => new Float32Array(frames));
  const read = sampleReader(view, code, bytesPerSample);
  for (let f = 0, p = dataStart; f < frames; f++) {
    for (let c = 0; c < channels; c++, p += bytesPerSample) out[c]![f] = read(p);
  }
  if (code === FORMAT_FLOAT) {
    for (let c = 0; c < channels; c++) {
      const ch = out[c]!;
      for (let f = 0; f < frames; f++) {
        if (!Number.isFinite(ch[f]!)) fail(`sample ${f} of channel ${c} is ${ch[f]}; float WAV samples must be finite (no NaN or Infinity)`);
      }
    }
  }
  return { sampleRate, channels: out };
}

function parseFmt(view: DataView, at: number, size: number, total: number, fail: (m: string) => never): Format {
  let code = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const blockAlign = view.getUint16(at + 12, true);
  const bitsPerSample = view.getUint16(at + 14, true);
  if (code === FORMAT_EXTENSIBLE) {
    if (size < 40 || at + 40 > total) fail(`truncated header: WAVE_FORMAT_EXTENSIBLE fmt chunk has ${size} bytes, needs 40`);
    code = view.getUint16(at + 24, true);
    for (let i = 0; i < KSDATAFORMAT_TAIL.length; i++) {
      if (view.getUint8(at + 26 + i) !== KSDATAFORMAT_TAIL[i]) fail('unsupported codec: WAVE_FORMAT_EXTENSIBLE with a non-standard subformat GUID');
    }
  }
  if (code !== FORMAT_PCM && code !== FORMAT_FLOAT) {
    const name = CODEC_NAMES[code] ?? 'an unknown codec';
    fail(
      `unsupported codec 0x${code.toString(16).padStart(4, '0')} (${name}); only PCM and IEEE float WAV are read — convert to PCM WAV (e.g. ffmpeg -i in -c:a pcm_s16le out.wav)`,
    );
  }
  if (channels === 0) fail('the header declares 0 channels');
  // Checked before anything is allocated: later stages (resampling) cost in proportion to the rate.
  if (sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    fail(`the header declares a sample rate of ${sampleRate} Hz; expected ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE} Hz (a damaged or crafted header?)`);
  }
  const supported = code === FORMAT_FLOAT ? [32, 64] : [8, 16, 24, 32];
  // Containers may be wider than the valid bits (e.g. 20 bits in 24); the container is what we read.
  const container = (blockAlign / channels) * 8;
  if (!Number.isInteger(container) || !supported.includes(container) || bitsPerSample > container) {
    fail(
      `unsupported sample layout: ${bitsPerSample} bits per sample, block align ${blockAlign} for ${channels} channels; ` +
        `expected ${code === FORMAT_FLOAT ? 'float' : 'PCM'} samples of ${supported.join('/')} bits`,
    );
  }
  return { code, channels, sampleRate, blockAlign, bitsPerSample };
}

function sampleReader(view: DataView, code: number, bytesPerSample: number): (p: number) => number {
  if (code === FORMAT_FLOAT) return bytesPerSample === 4 ? (p) => view.getFloat32(p, true) : (p) => view.getFloat64(p, true);
  switch (bytesPerSample) {
    case 1:
      return (p) => (view.getUint8(p) - 128) / 128; // 8-bit WAV is unsigned
    case 2:
      return (p) => view.getInt16(p, true) / 32768;
    case 3:
      return (p) => (view.getUint8(p) | (view.getUint8(p + 1) << 8) | (view.getInt8(p + 2) << 16)) / 8388608;
    default:
      return (p) => view.getInt32(p, true) / 2147483648;
  }
}

/** Encode float channels (values in [-1, 1]; integer formats clip outside) as a WAV file. */
export function encodeWav(channels: Float32Array[], sampleRate: number, format: WavEncoding = 'pcm16'): Uint8Array {
  if (channels.length === 0) throw new AudioError('encodeWav needs at least one channel, got 0');
  const frames = channels[0]!.length;
  channels.forEach((ch, i) => {
    if (ch.length !== frames)
      throw new AudioError(`encodeWav: channel ${i} has ${ch.length} samples but channel 0 has ${frames}; channels must have equal length`);
  });
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new AudioError(`encodeWav: sample rate ${sampleRate} must be a positive integer (Hz)`);
  const bytesPerSample = { pcm8: 1, pcm16: 2, pcm24: 3, pcm32: 4, float32: 4 }[format];
  if (!bytesPerSample) throw new AudioError(`encodeWav: unknown format '${String(format)}'; use pcm8, pcm16, pcm24, pcm32 or float32`);
  const isFloat = format === 'float32';
  const blockAlign = bytesPerSample * channels.length;
  const dataBytes = frames * blockAlign;
  const fmtSize = isFloat ? 18 : 16;
  const factSize = isFloat ? 12 : 0; // non-PCM formats carry a fact chunk with the frame count
  const total = 12 + 8 + fmtSize + factSize + 8 + dataBytes + (dataBytes & 1);
  if (total - 8 > 0xffffffff) throw new AudioError(`encodeWav: ${dataBytes} bytes of audio exceed the 4 GiB WAV limit; split it`);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const tag = (at: number, s: string): void => {
    for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i);
  };
  tag(0, 'RIFF');
  view.setUint32(4, total - 8, true);
  tag(8, 'WAVE');
  tag(12, 'fmt ');
  view.setUint32(16, fmtSize, true);
  view.setUint16(20, isFloat ? FORMAT_FLOAT : FORMAT_PCM, true);
  view.setUint16(22, channels.length, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, bytesPerSample * 8, true);
  let p = 20 + fmtSize;
  if (isFloat) {
    view.setUint16(36, 0, true); // cbSize
    tag(p, 'fact');
    view.setUint32(p + 4, 4, true);
    view.setUint32(p + 8, frames, true);
    p += 12;
  }
  tag(p, 'data');
  view.setUint32(p + 4, dataBytes, true);
  p += 8;
  const clampInt = (x: number, scale: number): number => Math.max(-scale, Math.min(scale - 1, Math.round(x * scale)));
  for (let f = 0; f < frames; f++) {
    for (const ch of channels) {
      const x = ch[f]!;
      if (format === 'float32') view.setFloat32(p, x, true);
      else if (format === 'pcm8') view.setUint8(p, clampInt(x, 128) + 128);
      else if (format === 'pcm16') view.setInt16(p, clampInt(x, 32768), true);
      else if (format === 'pcm32') view.setInt32(p, clampInt(x, 2147483648), true);
      else {
        const v = clampInt(x, 8388608);
        view.setUint8(p, v & 0xff);
        view.setUint8(p + 1, (v >> 8) & 0xff);
        view.setUint8(p + 2, (v >> 16) & 0xff);
      }
      p += bytesPerSample;
    }
  }
  return out;
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}
