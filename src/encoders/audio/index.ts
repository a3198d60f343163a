/** Audio front end: WAV I/O, mixing and resampling, FFT, mel filter banks and log-mel features. */
export { AudioError } from './errors.js';
export {
  CLAP_SAMPLE_RATE,
  type ClapFeatures,
  type ClapOptions,
  clapLogMel,
  type LogMel,
  type LogMelOptions,
  logMel,
  WHISPER_SAMPLE_RATE,
  whisperLogMel,
} from './features.js';
export { ComplexFft, RealFft } from './fft.js';
export { hertzToMel, type MelFilterBank, type MelFilterBankOptions, type MelScale, melFilterBank, melToHertz } from './mel.js';
export { type ResampleOptions, resample, toMono } from './resample.js';
export { forEachPowerFrame, hannWindow, type StftOptions } from './spectrogram.js';
export { type DecodedAudio, decodeWav, encodeWav, type WavEncoding } from './wav.js';
