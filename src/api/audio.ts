/** Audio as the library accepts it: WAV file bytes, or mono samples with their rate. */
import { decodeWav, toMono } from '../encoders/audio/index.js';
import type { AudioClip } from '../encoders/types.js';

/** WAV file bytes, mono float samples in [-1, 1] (then pass sampleRate), or a clip. */
export type AudioInput = Uint8Array | Float32Array | { samples: Float32Array; sampleRate: number };

export function toAudioClip(audio: AudioInput, sampleRate: number | undefined, what = 'audio'): AudioClip {
  if (audio instanceof Float32Array) {
    if (sampleRate === undefined) throw new Error(`${what} is raw samples (Float32Array) without a rate; pass sampleRate (Hz) too, or pass WAV file bytes`);
    if (!(Number.isInteger(sampleRate) && sampleRate >= 1000 && sampleRate <= 384000))
      throw new Error(`${what}: sampleRate ${sampleRate} must be an integer number of Hz in [1000, 384000]`);
    return { samples: audio, sampleRate, source: what };
  }
  if (audio instanceof Uint8Array) {
    const wav = decodeWav(audio, what);
    return { samples: toMono(wav.channels), sampleRate: wav.sampleRate, source: what };
  }
  if (typeof audio === 'object' && audio !== null && audio.samples instanceof Float32Array && typeof audio.sampleRate === 'number') {
    return toAudioClip(audio.samples, audio.sampleRate, what);
  }
  throw new Error(
    `${what} must be WAV bytes (Uint8Array), samples (Float32Array) with sampleRate, or {samples, sampleRate}; got ${audio === null ? 'null' : typeof audio}`,
  );
}
