/** The bounded multipart/form-data parser, against bodies written by hand and by the platform's FormData. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from '../../src/server/http-error.js';
import { multipartBoundary, parseMultipart } from '../../src/server/multipart.js';

test('parses what the platform FormData serializes: text fields and a binary file', async () => {
  const bytes = new Uint8Array(300).map((_, i) => (i * 37) % 256); // includes CR, LF and '-' bytes
  const fd = new FormData();
  fd.set('prompt', 'un chat à Paris — 猫');
  fd.set('seed', '42');
  fd.set('audio', new Blob([bytes], { type: 'audio/wav' }), 'son "1".wav');
  const res = new Response(fd);
  const body = Buffer.from(await res.arrayBuffer());
  const parts = parseMultipart(body, multipartBoundary(res.headers.get('content-type')!));
  assert.deepEqual(
    parts.map((p) => [p.name, p.filename, p.contentType]),
    [
      ['prompt', undefined, 'text/plain'],
      ['seed', undefined, 'text/plain'],
      ['audio', 'son %221%22.wav', 'audio/wav'], // undici percent-escapes quotes in file names
    ],
  );
  assert.equal(parts[0]!.data.toString('utf8'), 'un chat à Paris — 猫');
  assert.deepEqual(new Uint8Array(parts[2]!.data), bytes);
});

test('a hand-written body: preamble, quoted boundary, escaped names, empty part, epilogue', () => {
  const body = Buffer.from(
    'preamble to ignore\r\n--a b\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nline one\r\nline two\r\n' +
      '--a b\r\ncontent-disposition: form-data; name=empty\r\n\r\n\r\n--a b--\r\nepilogue',
  );
  const parts = parseMultipart(body, multipartBoundary('multipart/form-data; boundary="a b"'));
  assert.deepEqual(
    parts.map((p) => [p.name, p.data.toString()]),
    [
      ['prompt', 'line one\r\nline two'],
      ['empty', ''],
    ],
  );
});

test('malformed bodies and limits give 400 (or 413 for an over-long text field)', () => {
  const ok = (s: string): Buffer => Buffer.from(s);
  const cases: [string, Buffer, RegExp, number?][] = [
    ['no boundary in body', ok('hello'), /never occurs/],
    ['truncated part', ok('--B\r\nContent-Disposition: form-data; name="x"\r\n\r\nabc'), /not closed/],
    ['no blank line', ok('--B\r\nContent-Disposition: form-data; name="x"'), /no blank line/],
    ['no disposition', ok('--B\r\nContent-Type: text/plain\r\n\r\nabc\r\n--B--'), /Content-Disposition/],
    ['no name', ok('--B\r\nContent-Disposition: form-data\r\n\r\nabc\r\n--B--'), /no field name/],
    ['junk after boundary', ok('--Bxyz\r\n'), /CRLF/],
    ['too many parts', ok(`${'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n'.repeat(3)}--B--`), /more than 2 parts/],
    ['long field', ok(`--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n${'x'.repeat(20)}\r\n--B--`), /at most 10 bytes/, 413],
    ['long headers', ok(`--B\r\nContent-Disposition: form-data; name="a"; x="${'y'.repeat(100)}"\r\n\r\n1\r\n--B--`), /headers are over 64 bytes/],
  ];
  for (const [what, body, message, status = 400] of cases) {
    assert.throws(
      () => parseMultipart(body, 'B', { maxParts: 2, maxFieldBytes: 10, maxHeaderBytes: 64 }),
      (e: unknown) => e instanceof HttpError && e.status === status && message.test(e.message),
      what,
    );
  }
  assert.throws(() => multipartBoundary('multipart/form-data'), /no boundary/);
  assert.equal(multipartBoundary('multipart/form-data; charset=utf-8; boundary=----x1'), '----x1');
});
