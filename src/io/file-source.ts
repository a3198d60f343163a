/**
 * The file-source seam: model loaders read a model folder's files by path relative to the folder,
 * never through node:fs or fetch themselves, so the same loader runs in Node (folder-files.ts) and
 * in the browser (urlFiles below, over fetch). openFiles(location) (open-files.ts) picks the
 * platform's source; the web build swaps that one module.
 */

export class FileSourceError extends Error {
  override name = 'FileSourceError';
  constructor(
    message: string,
    /** 'missing': there is no such file; 'unreadable': it exists but could not be read. */
    readonly code: 'missing' | 'unreadable',
  ) {
    super(message);
  }
}

export interface FileSource {
  /** The folder or URL the paths are relative to, for messages. */
  readonly location: string;
  /** The full name of one file, for messages. */
  describe(path: string): string;
  /** The file's bytes; throws FileSourceError ('missing' when it does not exist). */
  bytes(path: string): Promise<Uint8Array>;
  /** A source for a subfolder. */
  sub(path: string): FileSource;
}

/** Checks a relative path ('a/b.json'): no absolute paths, no '..', no empty segments. */
export function checkRelativePath(path: string): string {
  const parts = typeof path === 'string' ? path.split('/') : [];
  if (parts.length === 0 || path.startsWith('/') || path.includes('\\') || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new FileSourceError(
      `file path ${JSON.stringify(path)} must be relative to its model folder ('config.json', 'unet/model.onnx'), without '..'`,
      'unreadable',
    );
  }
  return path;
}

/** The file as UTF-8 text. */
export async function readText(files: FileSource, path: string): Promise<string> {
  return new TextDecoder('utf-8').decode(await files.bytes(path));
}

/** The file as parsed JSON; `null` when optional and missing. Errors name the file and what to do. */
export async function readJson(files: FileSource, path: string, opts: { optional: true; what?: string }): Promise<unknown>;
export async function readJson(files: FileSource, path: string, opts?: { optional?: false; what?: string }): Promise<unknown>;
export async function readJson(files: FileSource, path: string, opts: { optional?: boolean; what?: string } = {}): Promise<unknown> {
  let text: string;
  try {
    text = await readText(files, path);
  } catch (e) {
    if (opts.optional && e instanceof FileSourceError && e.code === 'missing') return null;
    throw e;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new FileSourceError(`${files.describe(path)} is not valid JSON (${(e as Error).message})${opts.what ? `; ${opts.what}` : ''}`, 'unreadable');
  }
}

/** Bytes loaded so far of one file, and its size when the server says (else null). */
export type FetchProgress = (path: string, loaded: number, total: number | null) => void;

export interface UrlFilesOptions {
  /** fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /** Called as each file's bytes arrive. */
  onProgress?: FetchProgress;
  /** Refuse a file larger than this many bytes (default 512 MiB): bounded memory on a bad server. */
  maxBytes?: number;
}

/** A folder served over HTTP: path 'config.json' is fetched from `${base}/config.json`. */
export function urlFiles(base: string | URL, opts: UrlFilesOptions = {}): FileSource {
  const root = new URL(String(base).endsWith('/') ? String(base) : `${String(base)}/`);
  const maxBytes = opts.maxBytes ?? 512 * 2 ** 20;
  const describe = (path: string): string => new URL(checkRelativePath(path), root).href;
  return {
    location: root.href,
    describe,
    sub: (path) => urlFiles(describe(path), opts),
    async bytes(path) {
      const url = describe(path);
      let res: Response;
      try {
        res = await (opts.fetch ?? fetch)(url);
      } catch (e) {
        throw new FileSourceError(`could not fetch ${url} (${(e as Error).message}); is the page's server still running?`, 'unreadable');
      }
      if (res.status === 404) throw new FileSourceError(`${url} does not exist (HTTP 404); rebuild the site with \`npm run build:web\``, 'missing');
      if (!res.ok) throw new FileSourceError(`could not fetch ${url}: HTTP ${res.status} ${res.statusText}`, 'unreadable');
      const header = Number(res.headers.get('content-length'));
      const total = Number.isFinite(header) && header > 0 ? header : null;
      if (total !== null && total > maxBytes) throw new FileSourceError(`${url} is ${total} bytes, more than the ${maxBytes} this page accepts`, 'unreadable');
      if (!res.body) return new Uint8Array(await res.arrayBuffer());
      const chunks: Uint8Array[] = [];
      let loaded = 0;
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        loaded += value.length;
        if (loaded > maxBytes) {
          await reader.cancel();
          throw new FileSourceError(`${url} is larger than the ${maxBytes} bytes this page accepts`, 'unreadable');
        }
        chunks.push(value);
        opts.onProgress?.(path, loaded, total);
      }
      const out = new Uint8Array(loaded);
      let at = 0;
      for (const c of chunks) {
        out.set(c, at);
        at += c.length;
      }
      return out;
    },
  };
}
