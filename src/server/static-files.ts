/**
 * Static files of the in-browser page (dist/web, written by `npm run build:web`), as `gluegen
 * serve` answers them under /web/ and as the web test serves them: GET/HEAD only, no path outside
 * the folder, ETag revalidation (a warm browser re-downloads nothing), and a CSP that lets the page
 * run its wasm but load nothing from elsewhere.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.safetensors': 'application/octet-stream',
  '.png': 'image/png',
};

/** The page's policy: its own files only; 'wasm-unsafe-eval' lets onnxruntime-web compile its wasm. */
export const WEB_PAGE_CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; connect-src 'self'; frame-ancestors 'none'";

/** dist/web above this module (the package root, from the source tree or from dist/), or null when not built. */
export function builtWebDir(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'dist', 'web');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

export type StaticAnswer = { status: 200 | 304; path: string; bytes: number } | { status: 400 | 404 | 405; message: string };

/**
 * Answers `relPath` (URL-encoded, relative to the site root; '' or '.../' mean index.html) from
 * `root`. Writes nothing for 400/404/405: the caller answers those in its own format.
 */
export function serveStaticFile(root: string, relPath: string, req: IncomingMessage, res: ServerResponse, headers: Record<string, string> = {}): StaticAnswer {
  if (req.method !== 'GET' && req.method !== 'HEAD') return { status: 405, message: `${req.method} is not supported for the page's files; use GET` };
  let rel: string;
  try {
    rel = decodeURIComponent(relPath);
  } catch {
    return { status: 400, message: `the path ${JSON.stringify(relPath.slice(0, 100))} is not valid URL encoding` };
  }
  if (rel === '' || rel.endsWith('/')) rel += 'index.html';
  const base = resolve(root);
  const file = resolve(base, rel);
  if (rel.includes('\0') || rel.split('/').includes('..') || !file.startsWith(base + sep))
    return { status: 400, message: `the path ${JSON.stringify(rel.slice(0, 100))} leaves the page's folder` };
  const info = existsSync(file) ? statSync(file) : null;
  if (!info?.isFile()) return { status: 404, message: `the page has no file ${JSON.stringify(rel.slice(0, 200))}` };
  const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const type = TYPES[extname(file)] ?? 'application/octet-stream';
  const common = {
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
    ETag: etag,
    ...(type.startsWith('text/html') ? { 'Content-Security-Policy': WEB_PAGE_CSP } : {}),
    ...headers,
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, common);
    res.end();
    return { status: 304, path: rel, bytes: 0 };
  }
  res.writeHead(200, { ...common, 'Content-Type': type, 'Content-Length': info.size });
  if (req.method === 'HEAD') {
    res.end();
    return { status: 200, path: rel, bytes: 0 };
  }
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
  return { status: 200, path: rel, bytes: info.size };
}
