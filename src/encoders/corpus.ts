/**
 * Corpora for feature extraction: TSV with a header line, JSONL objects, or a CSV in the
 * UrbanSound8K layout (slice_file_name, fold, classID, class) whose WAVs live under
 * <audio root>/fold<k>/. A corpus is read whole into its items (prompts or WAV paths) plus a digest,
 * so a resumed or distributed extraction can check it sees the same rows.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { toMono } from './audio/resample.js';
import { decodeWav } from './audio/wav.js';
import type { AudioClip, Modality } from './types.js';

export type CorpusFormat = 'tsv' | 'jsonl' | 'csv';

export interface Corpus {
  path: string;
  format: CorpusFormat;
  /** The column as found in the file (after the new/old aliases). */
  column: string;
  modality: Modality;
  /** Prompts (text) or WAV paths (audio), in corpus order. */
  items: string[];
  /** SHA-256 of the items: a resumed extraction must see the same rows. */
  digest: string;
}

export interface CorpusOptions {
  /** Column (TSV/CSV header name or JSONL key). For TSV, 'new' / 'old' fall back to the first / second column. */
  column: string;
  /** What the encoder takes: text items are the column's strings, audio items are WAV paths. */
  modality: Modality;
  /** Audio: folder the WAV paths are relative to (UrbanSound8K: the folder holding fold1..fold10). */
  audioRoot?: string;
  /** Keep only the first N rows. */
  limit?: number;
}

const FORMATS: Record<string, CorpusFormat> = { '.tsv': 'tsv', '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.csv': 'csv' };

export async function readCorpus(path: string, opts: CorpusOptions): Promise<Corpus> {
  const format = FORMATS[extname(path).toLowerCase()];
  if (format === undefined) throw new Error(`corpus ${path}: unknown format '${extname(path)}'; expected .tsv (with a header line), .jsonl or .csv`);
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new Error(`corpus ${path} cannot be read (${e.code ?? e.message}); check the --input path`);
  });
  const lines = text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .map((l) => l.replace(/\r$/, ''));
  const { header, rows } = format === 'jsonl' ? parseJsonl(path, lines, opts.column) : parseDelimited(path, lines, format === 'tsv' ? '\t' : ',');
  const limit = opts.limit ?? Infinity;
  const kept = rows.slice(0, limit);
  if (kept.length === 0) throw new Error(`corpus ${path} has no data rows`);
  let column = opts.column;
  let items: string[];
  const urban = format === 'csv' && header.includes('slice_file_name') && header.includes('fold');
  if (opts.modality === 'audio' && urban && (column === 'audio' || column === 'slice_file_name')) {
    const root = opts.audioRoot ?? join(dirname(dirname(resolve(path))), 'audio'); // UrbanSound8K/metadata/*.csv -> UrbanSound8K/audio
    const [fi, ki] = [header.indexOf('slice_file_name'), header.indexOf('fold')];
    column = 'slice_file_name';
    items = kept.map((r) => join(root, `fold${String(r.fields[ki])}`, String(r.fields[fi])));
  } else {
    let index = header.indexOf(column);
    if (index < 0 && format === 'tsv' && (column === 'new' || column === 'old') && header.length >= 2) index = column === 'new' ? 0 : 1;
    if (index < 0) throw new Error(`corpus ${path}: no column '${column}'; it has ${header.map((h) => `'${h}'`).join(', ')}. Pass one of them with --column`);
    column = header[index]!;
    items = kept.map((r) => {
      const v = r.fields[index];
      if (typeof v !== 'string') throw new Error(`corpus ${path}:${r.line}: '${column}' must be a string, got ${v === null ? 'null' : typeof v}`);
      return v;
    });
    if (opts.modality === 'audio') {
      const root = opts.audioRoot ?? dirname(resolve(path));
      items = items.map((p) => (isAbsolute(p) ? p : join(root, p)));
    }
  }
  if (opts.modality === 'audio') {
    for (let i = 0; i < items.length; i++) {
      if (!(await stat(items[i]!).catch(() => null))?.isFile()) {
        throw new Error(`corpus ${path}:${kept[i]!.line}: WAV file ${items[i]} does not exist; check --audio-root`);
      }
    }
  }
  const digest = createHash('sha256').update(items.join('\0')).digest('hex');
  return { path: resolve(path), format, column, modality: opts.modality, items, digest };
}

interface Row {
  line: number;
  fields: unknown[];
}

function parseDelimited(path: string, lines: string[], sep: '\t' | ','): { header: string[]; rows: Row[] } {
  const split = (line: string, n: number) => (sep === '\t' ? line.split('\t') : splitCsvLine(line, `${path}:${n}`));
  if (lines.length === 0 || lines[0] === '') throw new Error(`corpus ${path}: the first line must be a header naming the columns`);
  const header = split(lines[0]!, 1);
  const rows: Row[] = [];
  lines.forEach((line, i) => {
    if (i === 0 || line === '') return;
    const fields = split(line, i + 1);
    if (fields.length !== header.length) {
      throw new Error(
        `corpus ${path}:${i + 1}: expected ${header.length} ${sep === '\t' ? 'tab-separated' : 'comma-separated'} fields like the header, got ${fields.length}`,
      );
    }
    rows.push({ line: i + 1, fields });
  });
  return { header, rows };
}

/** One CSV record on one line; "quoted, fields" with "" for a quote. */
function splitCsvLine(line: string, where: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c !== '"') cur += c;
      else if (line[i + 1] === '"') (cur += '"'), i++;
      else quoted = false;
    } else if (c === '"' && cur === '') quoted = true;
    else if (c === ',') out.push(cur), (cur = '');
    else cur += c;
  }
  if (quoted) throw new Error(`corpus ${where}: unterminated quoted field`);
  out.push(cur);
  return out;
}

function parseJsonl(path: string, lines: string[], column: string): { header: string[]; rows: Row[] } {
  const rows: Row[] = [];
  let keys: string[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new Error(`corpus ${path}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new Error(`corpus ${path}:${i + 1}: each line must be a JSON object, got ${Array.isArray(v) ? 'an array' : typeof v}`);
    const obj = v as Record<string, unknown>;
    if (rows.length === 0) keys = Object.keys(obj);
    if (!(column in obj))
      throw new Error(
        `corpus ${path}:${i + 1}: no key '${column}' (this line has ${Object.keys(obj)
          .map((k) => `'${k}'`)
          .join(', ')})`,
      );
    rows.push({ line: i + 1, fields: [obj[column]] });
  });
  return { header: keys.includes(column) ? [column] : keys, rows };
}

/** Loads WAV files as mono clips; a file that cannot be read or decoded is a one-line error naming it. */
export async function loadWavClips(paths: string[]): Promise<AudioClip[]> {
  return Promise.all(
    paths.map(async (path) => {
      const bytes = await readFile(path).catch((e: NodeJS.ErrnoException) => {
        throw new Error(`${path}: cannot read the WAV file (${e.code ?? e.message})`);
      });
      const wav = decodeWav(bytes, path);
      return { samples: toMono(wav.channels), sampleRate: wav.sampleRate, source: path };
    }),
  );
}
