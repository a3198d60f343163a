/** Stable Diffusion ONNX generation: the generator, its folder reader and the schedulers. */

export { readSdFolder, type SdFolder, SdFolderError } from './folder.js';
export { type GenerationTimings, type SdLoadOptions, SdOnnxGenerator, type SdSchedulerChoice } from './generator.js';
export { SCHEDULER_NAMES, type SchedulerName } from './schedulers/index.js';
export { readUnetSignature, type UnetSignature } from './unet.js';
export { chwToRgbBytes } from './vae.js';
