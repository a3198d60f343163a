/**
 * GlueNet configuration: the `config.json` of a GlueNet directory. Keys and defaults follow the
 * GlueGen release (see ../shared/gluegen/METHOD.md); validation names the key, the value and the fix.
 */
import { CLIP_L_SD1_TENSOR_NORM } from './presets.js';

export type GlueNetArch = 'translator' | 'translator_noln' | 'translator_w_head';
export const ARCHS: readonly GlueNetArch[] = ['translator', 'translator_noln', 'translator_w_head'];

export interface LossWeights {
  /** Token-weighted element-wise alignment to the generator's features (release: 1e4). */
  distill: number;
  /** Reconstruction of the new features from the aligned ones (release: 1e4; 0 drops the decoder). */
  rec: number;
  /** Adversarial token discriminator behind gradient reversal (release: 0.1; 0 drops the discriminator). */
  adv: number;
}

export interface GlueNetConfig {
  arch: GlueNetArch;
  /** Tokens of the new encoder's features (Tn). */
  tokens_in: number;
  /** Tokens of the generator's condition (Tg). */
  tokens_out: number;
  /** Width of the new encoder's features (Dn). */
  dim_in: number;
  /** Width of the generator's condition (Dg). */
  dim_out: number;
  /** Hidden-width multiplier of every MLP (release: 2 multilingual, 4 sound). */
  mult: number;
  /** Number of blocks (release: 5). For translator_w_head: 3 input blocks + (depth - 3) output blocks. */
  depth: number;
  /** New features are divided by this before the aligner (release: 3 for XLM-R, 1 for AudioCLIP). */
  x_scale: number;
  /** Per-token L2 norm of the generator's features; the aligner works in units of cond_norm / 2. */
  cond_norm: number[] | 'clip-l-sd1';
  /** Gradient-reversal factor in front of the discriminator (release: 0.1). */
  eta: number;
  loss_weights: LossWeights;
  /** Hidden width of the discriminator = floor(dim_out * disc_mult) (release: 0.25). */
  disc_mult: number;
}

export const DEFAULTS = {
  mult: 2,
  depth: 5,
  x_scale: 1,
  eta: 0.1,
  loss_weights: { distill: 1e4, rec: 1e4, adv: 0.1 },
  disc_mult: 0.25,
} as const;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const posInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** Parses and validates a config object (e.g. JSON.parse of config.json), filling defaults. */
export function parseConfig(raw: unknown, source = 'GlueNet config'): GlueNetConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${source}: expected a JSON object`);
  const r = raw as Record<string, unknown>;
  const arch = r.arch;
  if (typeof arch !== 'string' || !ARCHS.includes(arch as GlueNetArch)) {
    throw new ConfigError(`${source}: unknown arch ${JSON.stringify(arch)}; expected one of ${ARCHS.join(', ')}`);
  }
  for (const k of ['tokens_in', 'tokens_out', 'dim_in', 'dim_out'] as const) {
    if (!posInt(r[k])) throw new ConfigError(`${source}: '${k}' must be a positive integer, got ${JSON.stringify(r[k])}`);
  }
  const cfg: GlueNetConfig = {
    arch: arch as GlueNetArch,
    tokens_in: r.tokens_in as number,
    tokens_out: r.tokens_out as number,
    dim_in: r.dim_in as number,
    dim_out: r.dim_out as number,
    mult: (r.mult as number | undefined) ?? DEFAULTS.mult,
    depth: (r.depth as number | undefined) ?? DEFAULTS.depth,
    x_scale: (r.x_scale as number | undefined) ?? DEFAULTS.x_scale,
    cond_norm: (r.cond_norm as GlueNetConfig['cond_norm'] | undefined) ?? 'clip-l-sd1',
    eta: (r.eta as number | undefined) ?? DEFAULTS.eta,
    loss_weights: { ...DEFAULTS.loss_weights, ...((r.loss_weights as Partial<LossWeights> | undefined) ?? {}) },
    disc_mult: (r.disc_mult as number | undefined) ?? DEFAULTS.disc_mult,
  };
  if (!posInt(cfg.mult)) throw new ConfigError(`${source}: 'mult' must be a positive integer, got ${JSON.stringify(r.mult)}`);
  if (!posInt(cfg.depth)) throw new ConfigError(`${source}: 'depth' must be a positive integer, got ${JSON.stringify(r.depth)}`);
  if (cfg.arch === 'translator_w_head' && cfg.depth < 3) {
    throw new ConfigError(`${source}: translator_w_head needs depth >= 3 (3 input blocks + depth-3 output blocks), got ${cfg.depth}`);
  }
  if (cfg.arch !== 'translator_w_head' && cfg.tokens_in !== cfg.tokens_out) {
    throw new ConfigError(
      `${source}: arch '${cfg.arch}' keeps the token count (tokens_in ${cfg.tokens_in} != tokens_out ${cfg.tokens_out}); ` +
        "pad the new features to tokens_out or use arch 'translator_w_head'",
    );
  }
  if (!(typeof cfg.x_scale === 'number' && cfg.x_scale > 0 && Number.isFinite(cfg.x_scale))) {
    throw new ConfigError(`${source}: 'x_scale' must be a positive number, got ${JSON.stringify(r.x_scale)}`);
  }
  if (!(typeof cfg.eta === 'number' && cfg.eta >= 0)) throw new ConfigError(`${source}: 'eta' must be >= 0, got ${JSON.stringify(r.eta)}`);
  for (const [k, v] of Object.entries(cfg.loss_weights)) {
    if (!(typeof v === 'number' && v >= 0 && Number.isFinite(v))) throw new ConfigError(`${source}: loss_weights.${k} must be a number >= 0, got ${JSON.stringify(v)}`);
  }
  if (cfg.loss_weights.distill <= 0) throw new ConfigError(`${source}: loss_weights.distill must be > 0 (it is what aligns the features)`);
  condNormValues(cfg, source);
  return cfg;
}

/** The per-token norms as numbers (resolving presets), validated against tokens_out. */
export function condNormValues(cfg: Pick<GlueNetConfig, 'cond_norm' | 'tokens_out'>, source = 'GlueNet config'): Float32Array {
  const c = cfg.cond_norm;
  let values: number[];
  if (c === 'clip-l-sd1') values = [...CLIP_L_SD1_TENSOR_NORM];
  else if (Array.isArray(c) && c.every((v) => typeof v === 'number' && Number.isFinite(v) && v > 0)) values = c;
  else throw new ConfigError(`${source}: 'cond_norm' must be "clip-l-sd1" or an array of positive numbers, got ${JSON.stringify(c)?.slice(0, 80)}`);
  if (values.length !== cfg.tokens_out) {
    throw new ConfigError(
      `${source}: cond_norm has ${values.length} values but tokens_out is ${cfg.tokens_out}` +
        (c === 'clip-l-sd1' ? ' (the clip-l-sd1 preset is for 77-token SD 1.x conditions; compute yours with `gluegen stats`)' : ''),
    );
  }
  return Float32Array.from(values);
}

/** The decoder maps generator space back to the new encoder's space: the same family, mirrored. */
export function decoderShape(cfg: GlueNetConfig): Pick<GlueNetConfig, 'tokens_in' | 'tokens_out' | 'dim_in' | 'dim_out'> {
  return { tokens_in: cfg.tokens_out, tokens_out: cfg.tokens_in, dim_in: cfg.dim_out, dim_out: cfg.dim_in };
}
