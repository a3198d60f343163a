/**
 * What a world generator folder's config.json describes. The runtime owns these types: the world's
 * trainers (src/world/models) import them to write folders this runtime can open, never the reverse.
 */

/** The denoising U-Net (the U-Net's ONNX graph is built from this by the world trainer). */
export interface UNetConfig {
  imageSize: number; // 32: side of the (square) sample
  channels: number; // 3: RGB
  base: number; // width of the first level
  mults: number[]; // width multiplier per level; each level after the first halves the resolution
  attnLevels: number[]; // levels (0 = full resolution) with cross-attention to the text tokens
  contextTokens: number; // T of encoder_hidden_states
  contextDim: number; // D of encoder_hidden_states
  heads: number; // attention heads
  groups: number; // GroupNorm groups
  timeFreqs: number; // sinusoidal frequencies of the timestep embedding (each gives a sin and a cos)
}

/** The latent autoencoder of a latent world generator. */
export interface AutoencoderConfig {
  latentChannels: number; // channels of the 8x8 latent grid
  width: number; // conv width at 16x16 and 8x8 (half of it at 32x32)
  /** Set after training: latent = (encoder(x) - shiftFactor) * scalingFactor. */
  shiftFactor: number;
  scalingFactor: number;
}

/** config.json of a world generator folder. */
export interface WorldGeneratorConfig {
  _class_name: 'WorldUNet';
  unet: UNetConfig;
  /** Latent diffusion: the U-Net denoises latents that vae_decoder.onnx turns into imageSize pixels. */
  vae?: AutoencoderConfig & { imageSize: number };
}
