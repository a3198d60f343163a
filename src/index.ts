/**
 * gluegen's public API: everything a program needs to plug new encoders into frozen text-to-image
 * generators with GlueNet. Internals (the engine, the world library, the CLI) are not exported.
 *
 *   import { GlueGenPipeline } from 'gluegen';
 *   const pipe = await GlueGenPipeline.fromPretrained('world', { encoder: 'world-multilingual', gluenet: 'world-multilingual' });
 *   const { images } = await pipe.generate({ prompt: 'une petite étoile rouge', steps: 20, guidance: 3, seed: 1 });
 *   const png = images[0].toPng();
 *   await pipe.release();
 */

export type { AudioInput } from './api/audio.js';
export { GlueNet, type TrainGlueNetOptions, type TrainGlueNetResult } from './api/gluenet.js';
export { GeneratedImage } from './api/image.js';
export { type FromPretrainedOptions, type GenerateOptions, type GenerateResult, GlueGenPipeline, type PipelineInfo } from './api/pipeline.js';
export type { PointCloudInput } from './api/points.js';
export type { ModelDtype } from './encoders/model-file.js';
export type { Modality, PointCloud } from './encoders/types.js';
export type { Device } from './engine/runtime.js';
export type { SchedulerName } from './generators/sd/schedulers/index.js';
export type { GlueNetArch, GlueNetConfig, LossWeights } from './gluenet/config.js';
export type { StepRecord } from './gluenet/train.js';
export { readPly, writePly } from './io/ply.js';
export { readPngText } from './io/png.js';
export { formatParameters, type GenerationParameters, type ParsedParameters, parseParameters } from './pipeline/metadata.js';
export type { MixSpec } from './pipeline/mix.js';
export type { UncondSource } from './pipeline/x2image.js';
export { VERSION } from './version.js';
