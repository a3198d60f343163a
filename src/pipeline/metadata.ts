/**
 * Generation parameters in a PNG's `parameters` text chunk, in the convention of the AUTOMATIC1111
 * web UI that image viewers, galleries and "PNG info" tools read:
 *
 *   une petite étoile rouge
 *   Negative prompt: flou
 *   Steps: 20, Sampler: DDIM, CFG scale: 3, Seed: 1, Size: 512x512, Model: sd15, Encoder: xlmr, GlueNet: gluenet-fr
 *
 * Line 1 is the prompt (it may span lines), the "Negative prompt:" line is left out when there is
 * none, the last line holds `Key: value` pairs; a value with ',', ':' or a newline is JSON-quoted.
 */

export interface GenerationParameters {
  prompt: string;
  negativePrompt: string;
  steps: number;
  guidance: number;
  seed: number;
  /** gluegen's scheduler name (ddim, pndm, euler, dpmpp2m, lcm); written as the A1111 sampler label. */
  scheduler: string;
  width: number;
  height: number;
  /** The generator (A1111's "Model"). */
  generator: string;
  encoder: string;
  /** The GlueNet aligning the encoder, or null for the generator's own text encoder. */
  gluenet: string | null;
  /** Anything else worth keeping (e.g. Mix: splice:5, Batch pos: 1). */
  extra?: Record<string, string | number>;
}

/** A1111's sampler labels for gluegen's schedulers (unknown names pass through). */
const SAMPLER_LABELS: Record<string, string> = { ddim: 'DDIM', pndm: 'PLMS', euler: 'Euler', dpmpp2m: 'DPM++ 2M', lcm: 'LCM' };

function quote(v: string): string {
  return /[,:\n"]/.test(v) ? JSON.stringify(v) : v;
}

/** The `parameters` text for a generation. */
export function formatParameters(p: GenerationParameters): string {
  const pairs: [string, string | number][] = [
    ['Steps', p.steps],
    ['Sampler', SAMPLER_LABELS[p.scheduler] ?? p.scheduler],
    ['CFG scale', p.guidance],
    ['Seed', p.seed],
    ['Size', `${p.width}x${p.height}`],
    ['Model', p.generator],
    ['Encoder', p.encoder],
    ['GlueNet', p.gluenet ?? 'none'],
    ...Object.entries(p.extra ?? {}),
  ];
  const lines = [p.prompt];
  if (p.negativePrompt !== '') lines.push(`Negative prompt: ${p.negativePrompt}`);
  lines.push(pairs.map(([k, v]) => `${k}: ${quote(String(v))}`).join(', '));
  return lines.join('\n');
}

/** What a `parameters` text says: the prompt, the negative prompt and the `Key: value` pairs, as text. */
export interface ParsedParameters {
  prompt: string;
  negativePrompt: string;
  values: Record<string, string>;
}

/** Reads a `parameters` text back (the inverse of formatParameters for what it writes). */
export function parseParameters(text: string): ParsedParameters {
  const lines = text.split('\n');
  const last = lines.length > 1 ? lines[lines.length - 1]! : '';
  const values: Record<string, string> = {};
  // Key: value pairs, values optionally JSON-quoted.
  const pair = /\s*([\w ][\w +\-/]*): ("(?:\\.|[^"\\])*"|[^,]*)(?:,|$)/y;
  let ok = last !== '';
  for (pair.lastIndex = 0; ok && pair.lastIndex < last.length; ) {
    const m = pair.exec(last);
    if (!m) ok = false;
    else values[m[1]!.trim()] = m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!.trim();
  }
  const body = ok ? lines.slice(0, -1) : lines;
  if (!ok) for (const k of Object.keys(values)) delete values[k];
  const neg = body.findIndex((l) => l.startsWith('Negative prompt: '));
  const prompt = (neg < 0 ? body : body.slice(0, neg)).join('\n');
  const negativePrompt = neg < 0 ? '' : [body[neg]!.slice('Negative prompt: '.length), ...body.slice(neg + 1)].join('\n');
  return { prompt, negativePrompt, values };
}
