/**
 * Reading a request body into memory with a hard size limit: a declared Content-Length over the
 * limit is refused before a byte is read, a chunked body is cut off as soon as it passes the limit.
 * A refused body is drained (so the client can read the 413) up to a cap, then the socket is closed.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.js';

/** How much of an over-limit body is read and discarded before the connection is closed instead. */
const DRAIN_EXTRA = 1 << 20;

function tooLarge(limit: number, what: string, size: number | null): HttpError {
  const got = size === null ? 'more' : `${size} bytes`;
  return new HttpError(
    413,
    'payload_too_large',
    `${what} is ${got}; this server accepts at most ${limit} bytes (${(limit / 1024).toFixed(0)} KiB); send a shorter body${what.includes('upload') ? ' or a shorter / lower-rate WAV' : ''}`,
  );
}

function discard(req: IncomingMessage, alreadyRead: number, limit: number): void {
  let seen = alreadyRead;
  const cap = 2 * limit + DRAIN_EXTRA;
  req.removeAllListeners('data');
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > cap) req.destroy();
  });
  req.on('error', () => undefined);
  req.resume();
}

/** The whole body, at most `limit` bytes; `what` names it in errors ('the JSON body', 'the upload'). */
export function readBody(req: IncomingMessage, limit: number, what: string): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined) {
    const n = Number(declared);
    if (Number.isFinite(n) && n > limit) {
      discard(req, 0, limit);
      return Promise.reject(tooLarge(limit, what, n));
    }
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        discard(req, size, limit);
        reject(tooLarge(limit, what, null));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks, size));
    });
    const gone = (): void => {
      if (done) return;
      done = true;
      reject(new HttpError(400, 'client_gone', `the client closed the connection while sending ${what}`));
    };
    req.on('error', gone);
    req.on('aborted', gone);
  });
}
