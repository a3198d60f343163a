/**
 * Which ONNX file of an encoder folder to open. Folders come as users have them: a plain export
 * (`model.onnx`), Optimum's `onnx/` subfolder, or a transformers.js repository whose `onnx/` holds
 * one file per weight type: `model.onnx` (fp32), `model_fp16.onnx`, `model_quantized.onnx` (q8),
 * `model_int8.onnx`, `model_uint8.onnx`, `model_q4.onnx`, ... A `dtype` picks the variant.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** transformers.js dtype names and the file-name suffix of each variant. */
export const MODEL_DTYPES = { fp32: '', fp16: '_fp16', q8: '_quantized', int8: '_int8', uint8: '_uint8', q4: '_q4', q4f16: '_q4f16', bnb4: '_bnb4' } as const;
export type ModelDtype = keyof typeof MODEL_DTYPES;

export function isModelDtype(v: unknown): v is ModelDtype {
  return typeof v === 'string' && Object.hasOwn(MODEL_DTYPES, v);
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isFile() ?? false;
}

/** The .onnx files directly in dir and in dir/onnx (relative paths), for messages. */
export async function onnxFilesIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const sub of ['', 'onnx']) {
    const names = await readdir(join(dir, sub)).catch(() => [] as string[]);
    for (const n of names.sort()) if (n.endsWith('.onnx')) found.push(sub ? `${sub}/${n}` : n);
  }
  return found;
}

/**
 * The model file of `dir`: the first of `candidates` (fp32 names such as 'model.onnx',
 * 'onnx/model.onnx') that exists, with the dtype's suffix before '.onnx' when a dtype is given.
 * Throws one line naming the folder, what was looked for and the .onnx files that are there.
 */
export async function findModelFile(dir: string, candidates: readonly string[], what: string, dtype?: ModelDtype): Promise<string> {
  if (dtype !== undefined && !isModelDtype(dtype)) {
    throw new Error(`${what}: dtype ${JSON.stringify(dtype)} is unknown; expected one of ${Object.keys(MODEL_DTYPES).join(', ')}`);
  }
  const suffix = MODEL_DTYPES[dtype ?? 'fp32'];
  const wanted = candidates.map((c) => c.replace(/\.onnx$/, `${suffix}.onnx`));
  for (const rel of wanted) if (await isFile(join(dir, rel))) return join(dir, rel);
  const found = await onnxFilesIn(dir);
  const variants = Object.entries(MODEL_DTYPES)
    .filter(([, s]) => s !== suffix && candidates.some((c) => found.includes(c.replace(/\.onnx$/, `${s}.onnx`))))
    .map(([d]) => d);
  throw new Error(
    `${what}: no ${dtype ? `${dtype} ` : ''}ONNX model in ${JSON.stringify(dir)} (looked for ${wanted.join(', ')}); ` +
      (found.length ? `found ${found.join(', ')}` : 'it holds no .onnx file') +
      (variants.length
        ? `; pass dtype ${variants.map((v) => `'${v}'`).join(' or ')} to use ${variants.length > 1 ? 'one of those' : 'that variant'}`
        : '; export it with optimum-cli export onnx or pass the right folder'),
  );
}
