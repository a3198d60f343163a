/** Audio front end: WAV I/O, mixing and resampling, FFT, mel filter banks and log-mel features. */
export { AudioError } from './errors.js';
export { decodeWav, encodeWav, type DecodedAudio, type WavEncoding } from './wav.js';
export { resample, toMono, type ResampleOptions } from './resample.js';
export { ComplexFft, RealFft } from './fft.js';
export { hertzToMel, melFilterBank, melToHertz, type MelFilterBank, type MelFilterBankOptions, type MelScale } from './mel.js';
export { forEachPowerFrame, hannWindow, type StftOptions } from './spectrogram.js';
export {
  CLAP_SAMPLE_RATE,
  clapLogMel,
  logMel,
  WHISPER_SAMPLE_RATE,
  whisperLogMel,
  type ClapFeatures,
  type ClapOptions,
  type LogMel,
  type LogMelOptions,
} from './features.js';
