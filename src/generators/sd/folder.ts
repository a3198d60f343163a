/**
 * Reading a Stable Diffusion folder in the diffusers / Optimum ONNX layout:
 *
 *   model_index.json                 (optional here; its presence confirms the layout)
 *   scheduler/scheduler_config.json  noise schedule and the default sampler (_class_name)
 *   unet/model.onnx                  (+ external data files beside it for models over 2 GB)
 *   unet/config.json                 optional: in_channels, cross_attention_dim
 *   vae_decoder/model.onnx
 *   vae_decoder/config.json          optional: scaling_factor, block_out_channels
 *   text_encoder/, tokenizer/        optional: used by encoders, not by the generator
 *
 * Only paths and small JSON files are read here: the ONNX models are opened by onnxruntime from
 * their paths, so external data is found and no model is ever held twice in memory.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface SdFolder {
  dir: string;
  unetPath: string;
  vaeDecoderPath: string;
  /** Parsed scheduler/scheduler_config.json. */
  schedulerConfig: Record<string, unknown>;
  /** Latents are divided by this before decoding (SD 1.x: 0.18215). */
  vaeScalingFactor: number;
  /** Pixels per latent cell: 2^(len(vae block_out_channels) - 1), 8 for SD. */
  vaeScaleFactor: number;
  /** Latent channels (unet in_channels), 4 for SD. */
  latentChannels: number;
  /** From unet/config.json when present: condition width and default latent size. */
  crossAttentionDim: number | null;
  sampleSize: number | null;
  /** Condition tokens from text_encoder/config.json (max_position_embeddings), when present. */
  textTokens: number | null;
  /** model_index.json's _class_name, or null without one. */
  pipelineClass: string | null;
}

export class SdFolderError extends Error {
  override name = 'SdFolderError';
}

const EXPORT_HINT = 'export one with `optimum-cli export onnx --model <model id or folder> <out dir>` (task text-to-image)';

function readJson(file: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new SdFolderError(`cannot read ${what} '${file}': ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new SdFolderError(`${what} '${file}' is not valid JSON (${(e as Error).message}); restore it from the original export`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SdFolderError(`${what} '${file}' must hold a JSON object; restore it from the original export`);
  }
  return value as Record<string, unknown>;
}

function optionalJson(file: string, what: string): Record<string, unknown> | null {
  return fs.existsSync(file) ? readJson(file, what) : null;
}

function positiveNumber(cfg: Record<string, unknown> | null, key: string, file: string, integer: boolean): number | null {
  if (!cfg || cfg[key] === undefined || cfg[key] === null) return null;
  const v = cfg[key];
  if (typeof v !== 'number' || !(v > 0) || (integer && !Number.isInteger(v))) {
    throw new SdFolderError(`'${key}' in '${file}' is ${JSON.stringify(v)}; expected a positive ${integer ? 'integer' : 'number'}`);
  }
  return v;
}

/** Explains what a directory is when it is not an ONNX SD folder. */
function diagnoseMissing(dir: string, missing: string): string {
  const has = (p: string): boolean => fs.existsSync(path.join(dir, p));
  if (has('unet/diffusion_pytorch_model.safetensors') || has('unet/diffusion_pytorch_model.bin')) {
    return `'${dir}' is a PyTorch diffusers folder (unet/diffusion_pytorch_model.*), not an ONNX export; ${EXPORT_HINT}`;
  }
  if (has('model.onnx') && ['unet', 'vae_decoder', 'text_encoder'].includes(path.basename(dir))) {
    return `'${dir}' is one component of an SD folder; pass its parent folder '${path.dirname(dir)}'`;
  }
  return `'${dir}' is not a Stable Diffusion ONNX folder: ${missing} is missing; expected unet/model.onnx, vae_decoder/model.onnx and scheduler/scheduler_config.json (${EXPORT_HINT})`;
}

export function readSdFolder(dirArg: string): SdFolder {
  const dir = path.resolve(dirArg);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new SdFolderError(`generator folder '${dirArg}' does not exist; pass the folder of a Stable Diffusion ONNX export`);
  }
  if (!stat.isDirectory())
    throw new SdFolderError(`generator '${dirArg}' is a file; pass the folder of a Stable Diffusion ONNX export (the one holding model_index.json)`);
  for (const rel of ['unet/model.onnx', 'vae_decoder/model.onnx', 'scheduler/scheduler_config.json']) {
    if (!fs.existsSync(path.join(dir, rel))) throw new SdFolderError(diagnoseMissing(dir, rel));
  }
  const index = optionalJson(path.join(dir, 'model_index.json'), 'model index');
  const schedulerFile = path.join(dir, 'scheduler', 'scheduler_config.json');
  const schedulerConfig = readJson(schedulerFile, 'scheduler config');
  const unetFile = path.join(dir, 'unet', 'config.json');
  const unetConfig = optionalJson(unetFile, 'UNet config');
  // Optimum writes the full AutoencoderKL config beside the decoder; some exports keep it in vae/.
  const vaeFile = [path.join(dir, 'vae_decoder', 'config.json'), path.join(dir, 'vae', 'config.json')].find((f) => fs.existsSync(f)) ?? '';
  const vaeConfig = vaeFile ? readJson(vaeFile, 'VAE config') : null;
  const textFile = path.join(dir, 'text_encoder', 'config.json');
  const textConfig = optionalJson(textFile, 'text encoder config');

  let vaeScaleFactor = 8;
  const blocks = vaeConfig?.block_out_channels;
  if (blocks !== undefined) {
    if (!Array.isArray(blocks) || blocks.length < 1) {
      throw new SdFolderError(`'block_out_channels' in '${vaeFile}' is ${JSON.stringify(blocks)}; expected a non-empty array`);
    }
    vaeScaleFactor = 2 ** (blocks.length - 1);
  }
  return {
    dir,
    unetPath: path.join(dir, 'unet', 'model.onnx'),
    vaeDecoderPath: path.join(dir, 'vae_decoder', 'model.onnx'),
    schedulerConfig,
    vaeScalingFactor: positiveNumber(vaeConfig, 'scaling_factor', vaeFile, false) ?? 0.18215,
    vaeScaleFactor,
    latentChannels: positiveNumber(unetConfig, 'in_channels', unetFile, true) ?? positiveNumber(vaeConfig, 'latent_channels', vaeFile, true) ?? 4,
    crossAttentionDim: positiveNumber(unetConfig, 'cross_attention_dim', unetFile, true),
    sampleSize: positiveNumber(unetConfig, 'sample_size', unetFile, true),
    textTokens: positiveNumber(textConfig, 'max_position_embeddings', textFile, true),
    pipelineClass: typeof index?._class_name === 'string' ? index._class_name : null,
  };
}
