/**
 * The HTTP server of `gluegen serve` (node:http only):
 *
 *   GET  /              the web page (page.ts)          GET /app.js, /app.css  its script and style
 *   GET  /healthz       liveness, queue and memory      GET /v1/models         what is loaded
 *   POST /v1/generate   JSON or multipart -> PNG, JSON (base64 + metadata), or Server-Sent Events
 *   GET  /web/...       the in-browser page (dist/web from `npm run build:web`; static-files.ts)
 *
 * Requests go through a bounded JobQueue; a client that disconnects cancels its job. Bound to a
 * loopback address, the server also refuses other Host names (DNS rebinding) and cross-origin POSTs.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './body.js';
import { checkGeneration, type GenerationResult, generationMetadata, runGeneration, singlePng } from './generation.js';
import { HttpError } from './http-error.js';
import type { ServerModels } from './models.js';
import { DEFAULT_MULTIPART_LIMITS, multipartBoundary, parseMultipart } from './multipart.js';
import { PAGE_CSS, PAGE_HTML, PAGE_JS } from './page.js';
import { JobQueue, type QueueOptions } from './queue.js';
import { DEFAULT_LIMITS, type GenerationSpec, parseGeneration, type ServerLimits } from './request.js';
import { SseStream } from './sse.js';
import { builtWebDir, serveStaticFile } from './static-files.js';
import { decodeWavOffThread, readPlyOffThread } from './wav-thread.js';

export interface ServerOptions {
  limits?: Partial<ServerLimits>;
  queue?: Partial<QueueOptions>;
  /** Seconds between SSE keep-alive comments. */
  heartbeatSeconds?: number; // 15
  /** One line per request / event, or nothing. */
  log?: (line: string) => void;
  /** The in-browser page's folder served at /web/ (default: dist/web of the package, when built). */
  webDir?: string | null;
}

export interface GlueServer {
  server: Server;
  queue: JobQueue;
  limits: ServerLimits;
  /** Listens; resolves with the bound address (port 0 picks a free one). */
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stops accepting, ends open connections, resolves when closed (the models stay loaded). */
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return LOOPBACK_HOSTS.has(h) || /^127(\.\d{1,3}){3}$/.test(h) || h.endsWith('.localhost');
}

/** The host part of a Host header ('[::1]:7860' -> '::1', 'localhost:80' -> 'localhost'). */
function hostName(header: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(header) ?? /^([^:]+)(?::\d+)?$/.exec(header);
  return m ? m[1]! : header;
}

const SECURITY_HEADERS = { 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendError(res: ServerResponse, e: HttpError): void {
  if (res.headersSent) return;
  sendJson(res, e.status, e.toJSON(), { ...e.headers, ...(e.status === 413 ? { Connection: 'close' } : {}) });
}

export function createGlueServer(models: ServerModels, options: ServerOptions = {}): GlueServer {
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const queue = new JobQueue({ workers: 1, maxQueued: 8, timeoutMs: 300_000, ...options.queue });
  const heartbeatMs = (options.heartbeatSeconds ?? 15) * 1000;
  const log = options.log ?? (() => undefined);
  const startedAt = Date.now();
  let loopbackOnly = true;

  const modelsJson = {
    generator: {
      name: models.generatorName,
      kind: models.generatorKind,
      condition: models.generator.condition,
      default_size: models.generator.defaultSize,
      fixed_size: models.fixedSize,
    },
    encoders: models.encoders.map((e) => ({
      name: e.name,
      modality: e.modality,
      tokens: e.encoder.info.tokens,
      dim: e.encoder.info.dim,
      gluenet: e.gluenet,
      languages: e.languages,
      detects_language: Boolean(e.detectLanguage),
    })),
    native_text_encoder: models.native !== null,
    mixing: models.native !== null && models.encoders.some((e) => e.modality === 'audio'),
    defaults: models.defaults,
    schedulers: models.schedulers,
    limits,
    queue: { workers: queue.options.workers, max_queued: queue.options.maxQueued, timeout_s: queue.options.timeoutMs / 1000 },
  };

  async function parseRequest(req: IncomingMessage): Promise<GenerationSpec> {
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    const accept = req.headers.accept ?? '';
    if (type.startsWith('application/json')) {
      const body = await readBody(req, limits.maxJsonBytes, 'the JSON body');
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch (e) {
        throw new HttpError(400, 'invalid_json', `the body is not valid JSON (${(e as Error).message}); send an object like {"prompt": "a red circle"}`);
      }
      return parseGeneration(models, limits, { json }, accept);
    }
    if (type.startsWith('multipart/form-data')) {
      const boundary = multipartBoundary(req.headers['content-type'] as string);
      const body = await readBody(req, limits.maxUploadBytes, 'the upload');
      const parts = parseMultipart(body, boundary, DEFAULT_MULTIPART_LIMITS);
      const audio = parts.find((p) => p.name === 'audio' && p.data.length > 0);
      const decoded = audio ? await decodeWavOffThread(audio.data) : undefined;
      const points = parts.find((p) => p.name === 'points' && p.data.length > 0);
      const decodedPoints = points ? await readPlyOffThread(points.data) : undefined;
      return parseGeneration(models, limits, { parts, ...(decoded ? { decoded } : {}), ...(decodedPoints ? { decodedPoints } : {}) }, accept);
    }
    req.resume();
    throw new HttpError(
      415,
      'unsupported_media_type',
      `Content-Type '${type || '(none)'}' is not accepted; send application/json, or multipart/form-data with a WAV file in the field "audio" or a PLY file in the field "points"`,
    );
  }

  async function generate(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const spec = await parseRequest(req);
    checkGeneration(models, spec);
    const cancel = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) cancel.abort();
    });
    // Events raised while submitting (e.g. 'started' when a worker is free) wait for the stream.
    let sse: SseStream | null = null;
    const early: [string, unknown][] = [];
    const emit = (event: string, data: unknown): void => {
      if (sse) sse.send(event, data);
      else if (spec.stream) early.push([event, data]);
    };
    const id = `gen-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
    const job: Promise<GenerationResult> = queue.submit(
      (signal) => runGeneration(models, spec, { signal, onStep: (step, total) => emit('progress', { step, total }) }),
      {
        signal: cancel.signal,
        onPosition: (position) => emit('queued', { position }),
        onStart: () => emit('started', { id }),
      },
    );
    if (spec.stream) {
      sse = new SseStream(res, heartbeatMs, SECURITY_HEADERS);
      for (const [event, data] of early) sse.send(event, data);
    }
    try {
      const result = await job;
      const metadata = { id, ...generationMetadata(models, spec, result) };
      log(
        `generate ${id}: ${metadata.encoder} ${JSON.stringify(metadata.prompt.slice(0, 60))}${metadata.audio ? ` + ${metadata.audio.seconds}s audio` : ''}${metadata.points ? ` + ${metadata.points.count} points` : ''} -> ${metadata.n_images} image(s) in ${metadata.seconds} s`,
      );
      if (sse) {
        sse.send('result', { images: result.pngs.map((p) => Buffer.from(p).toString('base64')), metadata });
        sse.end();
      } else if (spec.format === 'json') {
        sendJson(res, 200, { images: result.pngs.map((p) => ({ png_base64: Buffer.from(p).toString('base64') })), metadata });
      } else {
        const png = singlePng(result);
        res.writeHead(200, {
          ...SECURITY_HEADERS,
          'Content-Type': 'image/png',
          'Content-Length': png.length,
          'Cache-Control': 'no-store',
          'X-Gluegen-Metadata': encodeURIComponent(JSON.stringify(metadata)),
        });
        res.end(png);
      }
    } catch (e) {
      const err = e instanceof HttpError ? e : new HttpError(500, 'generation_failed', `generation failed: ${(e as Error).message}`);
      if (err.code === 'cancelled') log(`generate ${id}: cancelled (client gone)`);
      if (sse) {
        sse.send('error', err.toJSON());
        sse.end();
      } else {
        sendError(res, err);
      }
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req.url);
    const host = req.headers.host ?? '';
    if (loopbackOnly && !isLoopback(hostName(host))) {
      req.resume();
      throw new HttpError(
        403,
        'forbidden_host',
        `Host '${host}' is not a loopback name; this server answers only localhost / 127.0.0.1 / [::1] (start it with --host to serve others)`,
      );
    }
    if (url.pathname === '/web' || url.pathname.startsWith('/web/')) return serveWeb(req, res, url.pathname);
    // HEAD is GET without the body (node:http drops the body of HEAD responses).
    const route = `${req.method === 'HEAD' ? 'GET' : req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /':
        return sendText(res, PAGE_HTML, 'text/html; charset=utf-8', {
          'Content-Security-Policy':
            "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
        });
      case 'GET /app.js':
        return sendText(res, PAGE_JS, 'text/javascript; charset=utf-8');
      case 'GET /app.css':
        return sendText(res, PAGE_CSS, 'text/css; charset=utf-8');
      case 'GET /healthz': {
        const m = process.memoryUsage();
        const q = queue.stats();
        return sendJson(res, 200, {
          status: 'ok',
          uptime_s: Math.round((Date.now() - startedAt) / 1000),
          queue: {
            workers: q.workers,
            max_queued: q.maxQueued,
            running: q.running,
            queued: q.queued,
            completed: q.completed,
            failed: q.failed,
            cancelled: q.cancelled,
            rejected: q.rejected,
          },
          memory: { rss_mb: Math.round(m.rss / 2 ** 20), heap_used_mb: Math.round(m.heapUsed / 2 ** 20) },
        });
      }
      case 'GET /v1/models':
        return sendJson(res, 200, modelsJson);
      case 'POST /v1/generate': {
        const origin = req.headers.origin;
        // 'null' is what sandboxed iframes and file: pages send: any web page could produce it.
        if (origin !== undefined && safeHost(origin) !== host.toLowerCase()) {
          req.resume();
          throw new HttpError(403, 'cross_origin', `requests from the page at '${origin}' are refused; use this server's own page or a non-browser client`);
        }
        return generate(req, res);
      }
      default: {
        req.resume();
        const methods: Record<string, string> = {
          '/': 'GET, HEAD',
          '/app.js': 'GET, HEAD',
          '/app.css': 'GET, HEAD',
          '/healthz': 'GET, HEAD',
          '/v1/models': 'GET, HEAD',
          '/v1/generate': 'POST',
        };
        const allow = methods[url.pathname];
        if (allow) throw new HttpError(405, 'method_not_allowed', `${req.method} ${url.pathname} is not supported; use ${allow}`, undefined, { Allow: allow });
        throw new HttpError(
          404,
          'not_found',
          `no route ${url.pathname}; the API is GET /v1/models, POST /v1/generate, GET /healthz, and the pages at / and /web/`,
        );
      }
    }
  }

  function serveWeb(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    req.resume();
    if (pathname === '/web') {
      res.writeHead(308, { ...SECURITY_HEADERS, Location: '/web/' });
      res.end();
      return;
    }
    const dir = options.webDir === undefined ? builtWebDir() : options.webDir;
    if (dir === null)
      throw new HttpError(404, 'not_found', 'the in-browser page is not built; run `npm run build:web` in the gluegen package, then reload /web/');
    const answer = serveStaticFile(dir, pathname.slice('/web/'.length), req, res, SECURITY_HEADERS);
    if (answer.status === 405) throw new HttpError(405, 'method_not_allowed', answer.message, undefined, { Allow: 'GET, HEAD' });
    if (answer.status === 400 || answer.status === 404) throw new HttpError(answer.status, answer.status === 400 ? 'bad_request' : 'not_found', answer.message);
  }

  const server = createServer({ requestTimeout: 120_000, headersTimeout: 30_000, keepAliveTimeout: 5_000 }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      const err = e instanceof HttpError ? e : new HttpError(500, 'internal', `internal error: ${(e as Error).message}`);
      if (err.status === 500) log(`error: ${(e as Error).stack ?? String(e)}`);
      sendError(res, err);
    });
  });

  return {
    server,
    queue,
    limits,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        loopbackOnly = isLoopback(host);
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The request target as a URL; a target no URL parser accepts is a 400, not a 500. */
function requestUrl(target: string | undefined): URL {
  const path = target ?? '/';
  try {
    // Prefixing the origin keeps '//' or '//evil/x' a path instead of a protocol-relative host.
    if (path.startsWith('/')) return new URL(`http://localhost${path}`);
  } catch {
    // fall through to the 400
  }
  throw new HttpError(400, 'invalid_url', `the request target '${path.slice(0, 80)}' is not a path; send a path such as /v1/generate`);
}

function safeHost(origin: string): string {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return '';
  }
}

function sendText(res: ServerResponse, body: string, type: string, headers: Record<string, string> = {}): void {
  res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache', ...headers });
  res.end(body);
}
