/**
 * GlueNet configuration: the `config.json` of a GlueNet directory. Keys and defaults follow the
 * GlueGen release (see ../shared/gluegen/METHOD.md); validation names the key, the value and the fix.
 */
import { CLIP_L_SD1_TENSOR_NORM } from './presets.js';

/**
 * The release's three translator families, and 'linear' (a token-mixing then a channel linear map,
 * trained with the same losses): the "is the MLP-mixer needed?" ablation, not a release model.
 */
export type GlueNetArch = 'translator' | 'translator_noln' | 'translator_w_head' | 'linear';
export const ARCHS: readonly GlueNetArch[] = ['translator', 'translator_noln', 'translator_w_head', 'linear'];

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
  /**
   * translator_w_head only: end the head in GELU, as the release does (true, the default). Its
   * output is then >= -0.17 in aligner units, which cannot reach targets below that: set false when
   * the generator's features come from a LayerNorm with mass below -0.17 * cond_norm / 2 (the world
   * generator: 17% of its values; see `gluegen stats`).
   */
  final_gelu?: boolean;
}

export const DEFAULTS = {
  mult: 2,
  depth: 5,
  x_scale: 1,
  eta: 0.1,
  loss_weights: { distill: 1e4, rec: 1e4, adv: 0.1 },
  disc_mult: 0.25,
  final_gelu: true,
} as const;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const posInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;
/** A key left out takes its default; an explicit null is a value (and gets validated as one). */
const orDefault = <T>(v: T | undefined, d: T): T => (v === undefined ? d : v);
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Bounds that keep a config inside memory: each is far above the released configs (77 tokens, 1024
 * wide, mult 4, depth 5) and below what would make typed-array lengths or the graph explode.
 */
export const LIMITS = {
  tokens: 4096,
  dim: 16384,
  mult: 64,
  depth: 256,
  disc_mult: 64,
  eta: 1e6,
  /** Parameters of aligner + decoder + discriminator: 2 GB of float32 weights, ~8 GB with gradients and Adam. */
  params: 5e8,
} as const;

const KEYS = [
  'arch',
  'tokens_in',
  'tokens_out',
  'dim_in',
  'dim_out',
  'mult',
  'depth',
  'x_scale',
  'cond_norm',
  'eta',
  'loss_weights',
  'disc_mult',
  'final_gelu',
] as const;
const LOSS_KEYS = ['distill', 'rec', 'adv'] as const;

/** Parses and validates a config object (e.g. JSON.parse of config.json), filling defaults. */
export function parseConfig(raw: unknown, source = 'GlueNet config'): GlueNetConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${source}: expected a JSON object`);
  const r = raw as Record<string, unknown>;
  const fail = (msg: string): never => {
    throw new ConfigError(`${source}: ${msg}`);
  };
  const show = (v: unknown): string => JSON.stringify(v)?.slice(0, 80) ?? String(v);
  for (const k of Object.keys(r)) if (!(KEYS as readonly string[]).includes(k)) fail(`unknown key '${k}'; the keys are ${KEYS.join(', ')} (a typo?)`);
  const arch = r.arch;
  if (typeof arch !== 'string' || !ARCHS.includes(arch as GlueNetArch)) {
    fail(`unknown arch ${show(arch)}; expected one of ${ARCHS.join(', ')}`);
  }
  const bounded = (k: keyof typeof r, max: number, what: string): number => {
    const v = r[k];
    if (!posInt(v)) return fail(`'${k}' must be a positive integer, got ${show(v)}`);
    if (v > max) fail(`'${k}' is ${v}, above the limit of ${max} ${what}`);
    return v;
  };
  for (const k of ['tokens_in', 'tokens_out'] as const) bounded(k, LIMITS.tokens, 'tokens');
  for (const k of ['dim_in', 'dim_out'] as const) bounded(k, LIMITS.dim, 'channels');
  if (r.mult !== undefined) bounded('mult', LIMITS.mult, '(hidden width = width x mult)');
  if (r.depth !== undefined) bounded('depth', LIMITS.depth, 'blocks');
  const lw = r.loss_weights ?? {};
  if (typeof lw !== 'object' || lw === null || Array.isArray(lw))
    fail(`'loss_weights' must be an object like {"distill": 1e4, "rec": 1e4, "adv": 0.1}, got ${show(lw)}`);
  for (const k of Object.keys(lw as object))
    if (!(LOSS_KEYS as readonly string[]).includes(k)) fail(`loss_weights has unknown key '${k}'; expected ${LOSS_KEYS.join(', ')}`);
  const cfg: GlueNetConfig = {
    arch: arch as GlueNetArch,
    tokens_in: r.tokens_in as number,
    tokens_out: r.tokens_out as number,
    dim_in: r.dim_in as number,
    dim_out: r.dim_out as number,
    mult: orDefault(r.mult as number, DEFAULTS.mult),
    depth: orDefault(r.depth as number, DEFAULTS.depth),
    x_scale: orDefault(r.x_scale as number, DEFAULTS.x_scale),
    cond_norm: orDefault(r.cond_norm as GlueNetConfig['cond_norm'], 'clip-l-sd1'),
    eta: orDefault(r.eta as number, DEFAULTS.eta),
    loss_weights: { ...DEFAULTS.loss_weights, ...(lw as Partial<LossWeights>) },
    disc_mult: orDefault(r.disc_mult as number, DEFAULTS.disc_mult),
    final_gelu: orDefault(r.final_gelu as boolean, DEFAULTS.final_gelu),
  };
  if (typeof cfg.final_gelu !== 'boolean') fail(`'final_gelu' must be true or false, got ${show(r.final_gelu)}`);
  if (cfg.arch === 'translator_w_head' && cfg.depth < 3) {
    fail(`translator_w_head needs depth >= 3 (3 input blocks + depth-3 output blocks), got ${cfg.depth}`);
  }
  if ((cfg.arch === 'translator' || cfg.arch === 'translator_noln') && cfg.tokens_in !== cfg.tokens_out) {
    fail(
      `arch '${cfg.arch}' keeps the token count (tokens_in ${cfg.tokens_in} != tokens_out ${cfg.tokens_out}); pad the new features to tokens_out or use arch 'translator_w_head'`,
    );
  }
  if (!(finite(cfg.x_scale) && cfg.x_scale > 0)) fail(`'x_scale' must be a positive number, got ${show(r.x_scale)}`);
  if (!(finite(cfg.eta) && cfg.eta >= 0 && cfg.eta <= LIMITS.eta)) fail(`'eta' must be a number in [0, ${LIMITS.eta}], got ${show(r.eta)}`);
  for (const [k, v] of Object.entries(cfg.loss_weights)) {
    if (!(finite(v) && v >= 0)) fail(`loss_weights.${k} must be a number >= 0, got ${show(v)}`);
  }
  if (cfg.loss_weights.distill <= 0) fail(`loss_weights.distill must be > 0 (it is what aligns the features)`);
  if (!(finite(cfg.disc_mult) && cfg.disc_mult > 0 && cfg.disc_mult <= LIMITS.disc_mult)) {
    fail(`'disc_mult' must be a number in (0, ${LIMITS.disc_mult}] (discriminator width = floor(dim_out x disc_mult)), got ${show(r.disc_mult)}`);
  }
  if (Math.floor(cfg.dim_out * cfg.disc_mult) < 1)
    fail(`'disc_mult' ${cfg.disc_mult} gives a discriminator of width floor(${cfg.dim_out} x ${cfg.disc_mult}) = 0; use at least ${1 / cfg.dim_out}`);
  const params = approxParams(cfg);
  if (params > LIMITS.params) {
    fail(
      `this config needs about ${(params / 1e6).toFixed(0)}M parameters (${((params * 16) / 2 ** 30).toFixed(1)} GiB with gradients and Adam state), above the limit of ${LIMITS.params / 1e6}M; lower mult, depth or the widths`,
    );
  }
  condNormValues(cfg, source);
  return cfg;
}

/** An upper estimate of the parameters of all three networks, from the block structure of model.ts (the release configs: 1.7x and 2x the true count). */
export function approxParams(cfg: GlueNetConfig): number {
  const mlp = (a: number, out: number): number => a * (a * cfg.mult) + (a * cfg.mult) ** 2 + a * cfg.mult * out;
  const t = Math.max(cfg.tokens_in, cfg.tokens_out);
  const d = Math.max(cfg.dim_in, cfg.dim_out);
  const blocks = cfg.depth + 3;
  const translators = 2 * blocks * (mlp(d, d) + mlp(t, t));
  return translators + cfg.dim_out * Math.floor(cfg.dim_out * cfg.disc_mult);
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
