/**
 * One generation for the server: a checked GenerationSpec through the X-to-image pipeline with the
 * loaded models, reporting each denoising step and stopping when the signal aborts.
 */
import type { AudioClip, PointCloud } from '../encoders/types.js';
import { imageGrid } from '../io/grid.js';
import { modelSource } from '../pipeline/loaders.js';
import { X2ImagePipeline, type X2ImageRequest } from '../pipeline/x2image.js';
import { HttpError } from './http-error.js';
import type { ServerModels } from './models.js';
import type { GenerationSpec } from './request.js';

export interface GenerationResult {
  pngs: Uint8Array[];
  /** RGB pixels per image (for a grid of several). */
  rgb: Uint8Array[];
  width: number;
  height: number;
  seconds: number;
  uncondSource: string;
}

/** What a client gets back about a generation (JSON metadata, also in the gallery). */
export interface GenerationMetadata {
  generator: string;
  encoder: string;
  modality: string;
  gluenet: string | null;
  language: string | null;
  prompt: string;
  negative_prompt: string;
  audio: { seconds: number; sample_rate: number } | null;
  points: { count: number; colours: boolean } | null;
  mix: string | null;
  seed: number;
  steps: number;
  guidance: number;
  scheduler: string;
  width: number;
  height: number;
  n_images: number;
  seconds: number;
}

/** The pipeline of one request, built once from the loaded models, and the request it runs. */
function pipelineFor(
  models: ServerModels,
  spec: GenerationSpec,
  opts: { signal?: AbortSignal; onStep?: (step: number, total: number) => void } = {},
): { pipeline: X2ImagePipeline<unknown>; request: X2ImageRequest<unknown> } {
  const { encoder, align } = spec.encoder;
  const source = modelSource(
    {
      generator: models.generator,
      encoder,
      align: align ?? null,
      ...(spec.encoder.gluenet ? { alignName: spec.encoder.gluenet } : {}),
      nativeTextEncoder: spec.audio || spec.points ? models.native : null,
    },
    spec.audio ? spec.mix : null,
  );
  const pipeline = new X2ImagePipeline<unknown>({ generator: models.generator, source: source as never });
  let input: unknown = spec.prompt;
  if (spec.audio) {
    const clip: AudioClip = { samples: spec.audio.samples, sampleRate: spec.audio.sampleRate, ...(spec.audio.source ? { source: spec.audio.source } : {}) };
    input = spec.mix ? { input: clip, prompt: spec.prompt } : clip;
  }
  if (spec.points) {
    const { positions, colours, source } = spec.points;
    input = { positions, ...(colours ? { colours } : {}), ...(source ? { source } : {}) } satisfies PointCloud;
  }
  const request: X2ImageRequest<unknown> = {
    inputs: new Array<unknown>(spec.nImages).fill(input),
    steps: spec.steps,
    guidance: spec.guidance,
    scheduler: spec.scheduler,
    seed: spec.seed,
    height: spec.height,
    width: spec.width,
    ...(spec.negativePrompt ? { negativePrompts: [spec.negativePrompt] } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onStep ? { onStep: opts.onStep } : {}),
  };
  return { pipeline, request };
}

/** Throws a 422 for what the pipeline itself refuses (e.g. a mix split too large for the condition). */
export function checkGeneration(models: ServerModels, spec: GenerationSpec): void {
  try {
    const { pipeline, request } = pipelineFor(models, spec);
    pipeline.checkRequest(request);
  } catch (e) {
    throw new HttpError(422, 'invalid_request', (e as Error).message.replace(/^x2image: /, ''));
  }
}

export async function runGeneration(
  models: ServerModels,
  spec: GenerationSpec,
  opts: { signal?: AbortSignal; onStep?: (step: number, total: number) => void } = {},
): Promise<GenerationResult> {
  const started = performance.now();
  const { pipeline, request } = pipelineFor(models, spec, opts);
  const r = await pipeline.run(request);
  return {
    pngs: r.pngs,
    rgb: r.images.images,
    width: r.images.width,
    height: r.images.height,
    seconds: (performance.now() - started) / 1000,
    uncondSource: r.uncondSource,
  };
}

export function generationMetadata(models: ServerModels, spec: GenerationSpec, result: GenerationResult): GenerationMetadata {
  const mix = spec.mix ? (spec.mix.kind === 'avg' ? `avg:${spec.mix.weight}` : `splice:${spec.mix.split}`) : null;
  return {
    generator: models.generatorName,
    encoder: spec.encoder.name,
    modality: spec.encoder.modality,
    gluenet: spec.encoder.gluenet,
    language: spec.language,
    prompt: spec.prompt,
    negative_prompt: spec.negativePrompt,
    audio: spec.audio ? { seconds: Math.round(spec.audio.seconds * 1000) / 1000, sample_rate: spec.audio.sampleRate } : null,
    points: spec.points ? { count: spec.points.count, colours: spec.points.colours !== undefined } : null,
    mix,
    seed: spec.seed,
    steps: spec.steps,
    guidance: spec.guidance,
    scheduler: spec.scheduler,
    width: result.width,
    height: result.height,
    n_images: result.pngs.length,
    seconds: Math.round(result.seconds * 1000) / 1000,
  };
}

/** One PNG for a `format: png` answer: the image, or a grid of several (no captions). */
export function singlePng(result: GenerationResult): Uint8Array {
  if (result.pngs.length === 1) return result.pngs[0]!;
  return imageGrid(
    result.rgb.map((pixels) => ({ pixels, width: result.width, height: result.height })),
    { padding: 0 },
  );
}
