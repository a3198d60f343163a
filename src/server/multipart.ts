/**
 * A small, bounded multipart/form-data parser (RFC 7578) for bodies already read into memory
 * (readBody caps their size). Parts are text fields or files; limits on the number of parts, the
 * size of each part's headers and of each text field keep a hostile body from costing more than
 * its bytes. Every failure is an HttpError 400 naming what was malformed.
 */
import { HttpError } from './http-error.js';

export interface MultipartPart {
  /** The form field name (Content-Disposition name). */
  name: string;
  /** Set for file parts (Content-Disposition filename), possibly ''. */
  filename?: string;
  /** The part's Content-Type, lower-cased without parameters; 'text/plain' when absent. */
  contentType: string;
  data: Buffer;
}

export interface MultipartLimits {
  maxParts: number; // 16
  maxHeaderBytes: number; // 4096 per part
  /** Largest non-file part (a text field). */
  maxFieldBytes: number; // 16384
}

export const DEFAULT_MULTIPART_LIMITS: MultipartLimits = { maxParts: 16, maxHeaderBytes: 4096, maxFieldBytes: 16384 };

const bad = (message: string): HttpError => new HttpError(400, 'invalid_multipart', `malformed multipart/form-data body: ${message}`);

/** The boundary parameter of a multipart/form-data Content-Type header. */
export function multipartBoundary(contentType: string): string {
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;,]{1,70}))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) throw bad(`the Content-Type '${contentType}' has no boundary=... parameter (1 to 70 characters)`);
  return boundary;
}

/** Parses one part's header block into {name, filename, contentType}. */
function parsePartHeaders(block: string, index: number): Omit<MultipartPart, 'data'> {
  let disposition: string | null = null;
  let contentType = 'text/plain';
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw bad(`part ${index} has a header line without a colon: '${line.slice(0, 60)}'`);
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'content-disposition') disposition = value;
    else if (key === 'content-type') contentType = value.split(';')[0]!.trim().toLowerCase() || 'text/plain';
  }
  if (disposition === null || !/^form-data\s*(;|$)/i.test(disposition)) throw bad(`part ${index} has no 'Content-Disposition: form-data' header`);
  const param = (key: string): string | undefined => {
    const m = new RegExp(`;\\s*${key}="((?:[^"\\\\]|\\\\.)*)"|;\\s*${key}=([^;\\s"]+)`, 'i').exec(disposition as string);
    if (!m) return undefined;
    return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
  };
  const name = param('name');
  if (name === undefined || name === '') throw bad(`part ${index} has no field name (Content-Disposition: form-data; name="...")`);
  const filename = param('filename');
  return { name, contentType, ...(filename !== undefined ? { filename } : {}) };
}

/** Splits a multipart/form-data body into its parts. */
export function parseMultipart(body: Buffer, boundary: string, limits: MultipartLimits = DEFAULT_MULTIPART_LIMITS): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const nextDelimiter = Buffer.from(`\r\n--${boundary}`);
  // The first delimiter opens the body or follows a preamble line.
  let at = body.subarray(0, delimiter.length).equals(delimiter) ? 0 : body.indexOf(nextDelimiter);
  if (at < 0) throw bad(`the boundary '${boundary}' never occurs`);
  if (at > 0) at += 2;
  const parts: MultipartPart[] = [];
  for (;;) {
    at += delimiter.length;
    if (body[at] === 0x2d && body[at + 1] === 0x2d) return parts; // '--': the closing delimiter
    while (body[at] === 0x20 || body[at] === 0x09) at++; // transport padding
    if (body[at] !== 0x0d || body[at + 1] !== 0x0a) throw bad(`a boundary line is not followed by CRLF (byte ${at})`);
    at += 2;
    if (parts.length >= limits.maxParts) throw bad(`more than ${limits.maxParts} parts`);
    const headerEnd = body.indexOf('\r\n\r\n', at);
    if (headerEnd < 0 || headerEnd - at > limits.maxHeaderBytes) {
      throw bad(
        headerEnd < 0 ? `part ${parts.length} has no blank line after its headers` : `part ${parts.length}'s headers are over ${limits.maxHeaderBytes} bytes`,
      );
    }
    const head = parsePartHeaders(body.subarray(at, headerEnd).toString('utf8'), parts.length);
    const dataStart = headerEnd + 4;
    const dataEnd = body.indexOf(nextDelimiter, dataStart);
    if (dataEnd < 0) throw bad(`part '${head.name}' is not closed by a boundary (truncated body?)`);
    if (head.filename === undefined && dataEnd - dataStart > limits.maxFieldBytes) {
      throw new HttpError(
        413,
        'payload_too_large',
        `form field '${head.name}' is ${dataEnd - dataStart} bytes; text fields may be at most ${limits.maxFieldBytes} bytes`,
        head.name,
      );
    }
    parts.push({ ...head, data: body.subarray(dataStart, dataEnd) });
    at = dataEnd + 2;
  }
}
