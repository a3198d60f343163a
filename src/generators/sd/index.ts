/** Stable Diffusion ONNX generation: the generator, its folder reader and the schedulers. */
export { SdOnnxGenerator, type GenerationTimings, type SdLoadOptions, type SdSchedulerChoice } from './generator.js';
export { readSdFolder, SdFolderError, type SdFolder } from './folder.js';
export { readUnetSignature, type UnetSignature } from './unet.js';
export { chwToRgbBytes } from './vae.js';
export { SCHEDULER_NAMES, type SchedulerName } from './schedulers/index.js';
