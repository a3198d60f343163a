/**
 * Published constants of the GlueGen release.
 */

/** Per-token L2 norm of CLIP ViT-L/14 text features (SD v1.x), token 0 = BOS. From the GlueGen release. */
export const CLIP_L_SD1_TENSOR_NORM: readonly number[] = [
  43.8203, 28.3668, 27.9345, 28.0084, 28.2958, 28.2576, 28.3373, 28.2695, 28.4097, 28.279, 28.2825, 28.2807, 28.2775, 28.2708, 28.2682, 28.2624, 28.2589,
  28.2611, 28.2616, 28.2639, 28.2613, 28.2566, 28.2615, 28.2665, 28.2799, 28.2885, 28.2852, 28.2863, 28.278, 28.2818, 28.2764, 28.2532, 28.2412, 28.2336,
  28.2514, 28.2734, 28.2763, 28.2977, 28.2971, 28.2948, 28.2818, 28.2676, 28.2831, 28.289, 28.2979, 28.2999, 28.3117, 28.3363, 28.3554, 28.3626, 28.3589,
  28.3597, 28.3543, 28.366, 28.3731, 28.3717, 28.3812, 28.3753, 28.381, 28.3777, 28.3693, 28.3713, 28.367, 28.3691, 28.3679, 28.3624, 28.3703, 28.3703, 28.372,
  28.3594, 28.3576, 28.3562, 28.3438, 28.3376, 28.3389, 28.3433, 28.3191,
];

/** Released configurations (METHOD.md), as GlueNet config objects. */
export const RELEASE_CONFIGS = {
  /** XLM-RoBERTa-large (77 x 1024) -> CLIP-L (77 x 768), the multilingual checkpoints. */
  'multilingual-xlmr-sd1': {
    arch: 'translator_noln',
    tokens_in: 77,
    tokens_out: 77,
    dim_in: 1024,
    dim_out: 768,
    mult: 2,
    depth: 5,
    x_scale: 3,
    cond_norm: 'clip-l-sd1',
    eta: 0.1,
    loss_weights: { distill: 1e4, rec: 1e4, adv: 0.1 },
    disc_mult: 0.25,
    final_gelu: true,
  },
  /** AudioCLIP audio embedding as 16 x 64 tokens -> CLIP-L (77 x 768), the sound checkpoint. */
  'sound-audioclip-sd1': {
    arch: 'translator_w_head',
    tokens_in: 16,
    tokens_out: 77,
    dim_in: 64,
    dim_out: 768,
    mult: 4,
    depth: 5,
    x_scale: 1,
    cond_norm: 'clip-l-sd1',
    eta: 0.1,
    loss_weights: { distill: 1e4, rec: 1e4, adv: 0.1 },
    disc_mult: 0.25,
    final_gelu: true,
  },
} as const;
