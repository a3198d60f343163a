import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as zlib from 'node:zlib';
import { crc32, ZipError, ZipReader } from '../../src/io/zip.js';
import { Rng } from '../../src/util/rng.js';
import { buildZip } from './zip-builder.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'torch');

async function withZipFile(bytes: Uint8Array, body: (file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gluegen-zip-'));
  try {
    const file = path.join(dir, 'x.zip');
    await writeFile(file, bytes);
    await body(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const rng = new Rng(5);
const randomBytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => rng.int(256));
const text = new TextEncoder().encode('hello hello hello hello hello, zip');
const blob = randomBytes(3000);

test('crc32 matches zlib.crc32 and the standard check value', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(blob), zlib.crc32(blob));
  assert.equal(crc32(new Uint8Array(0)), 0);
});

for (const zip64 of [false, true]) {
  test(`stored and deflated entries, whole and ranged reads${zip64 ? ' (ZIP64 records)' : ''}`, async () => {
    const bytes = buildZip(
      [
        { name: 'arc/data.pkl', data: text, deflate: true },
        { name: 'arc/data/0', data: blob },
        { name: 'arc/empty', data: new Uint8Array(0) },
      ],
      { zip64, comment: 'a trailing comment', localExtra: 12 },
    );
    await withZipFile(bytes, async (file) => {
      const zip = await ZipReader.open(file);
      try {
        assert.deepEqual(
          zip.entries.map((e) => [e.name, e.method, e.uncompressedSize]),
          [
            ['arc/data.pkl', 8, text.length],
            ['arc/data/0', 0, 3000],
            ['arc/empty', 0, 0],
          ],
        );
        assert.deepEqual(await zip.read(zip.entry('arc/data.pkl')!), text);
        assert.deepEqual(await zip.read(zip.entry('arc/data/0')!), blob);
        assert.deepEqual(await zip.read(zip.entry('arc/empty')!), new Uint8Array(0));
        assert.deepEqual(await zip.readRange(zip.entry('arc/data/0')!, 1000, 24), blob.slice(1000, 1024));
        assert.deepEqual(await zip.readRange(zip.entry('arc/data.pkl')!, 6, 5), text.slice(6, 11));
        await assert.rejects(zip.readRange(zip.entry('arc/data/0')!, 2990, 20), /outside entry 'arc\/data\/0'/);
        await assert.rejects(zip.read(zip.entry('arc/data/0')!, 100), /above the 100-byte limit/);
      } finally {
        await zip.close();
      }
    });
  });
}

test('reads a torch.save zip (entries padded to 64-byte alignment with local extra fields)', async () => {
  const zip = await ZipReader.open(path.join(FIXTURES, 'plain.pt'));
  try {
    assert.deepEqual(
      zip.entries.map((e) => e.name),
      ['plain/data.pkl', 'plain/data/0', 'plain/data/1', 'plain/version'],
    );
    assert.equal(new TextDecoder().decode(await zip.read(zip.entry('plain/version')!)).trim(), '3');
    const pkl = await zip.read(zip.entry('plain/data.pkl')!);
    assert.deepEqual([...pkl.subarray(0, 2)], [0x80, 0x02]); // pickle PROTO 2
    assert.equal(pkl[pkl.length - 1], 0x2e); // STOP
  } finally {
    await zip.close();
  }
});

test('not-a-zip, truncated and corrupt files give ZipError naming the file', async () => {
  const good = buildZip([
    { name: 'a', data: blob },
    { name: 'b', data: text, deflate: true },
  ]);
  const check = async (bytes: Uint8Array, pattern: RegExp, read?: string): Promise<void> =>
    withZipFile(bytes, async (file) => {
      const attempt = async (): Promise<void> => {
        const zip = await ZipReader.open(file);
        try {
          if (read !== undefined) await zip.read(zip.entry(read)!);
        } finally {
          await zip.close();
        }
      };
      await assert.rejects(attempt, (e: Error) => e instanceof ZipError && e.message.includes(file) && pattern.test(e.message), pattern.source);
    });
  await check(new TextEncoder().encode('just some text, definitely not a zip archive'), /not a zip file/);
  await check(new Uint8Array(10), /not a zip file \(10 bytes/);
  await check(good.slice(0, good.length - 30), /not a zip file|corrupt|truncated/);
  await check(good.slice(0, 2000), /not a zip file/);
  const flipped = good.slice();
  flipped[30 + 1 + 100]! ^= 0xff; // a byte inside entry 'a' data
  await check(flipped, /CRC mismatch in entry 'a'/, 'a');
  const badDeflate = good.slice();
  badDeflate.fill(0xff, 30 + 1 + 3000 + 30 + 1, 30 + 1 + 3000 + 30 + 1 + 6); // entry 'b' compressed stream
  await check(badDeflate, /does not inflate|CRC mismatch/, 'b');
  // Central directory claims a local header where there is none.
  const cdStart = good.length - 22 - (46 + 1) * 2;
  const badOffset = good.slice();
  new DataView(badOffset.buffer).setUint32(cdStart + 42, 7, true);
  await check(badOffset, /no local header for 'a'/, 'a');
  // Central directory offset beyond the file.
  const badCd = good.slice();
  new DataView(badCd.buffer).setUint32(good.length - 22 + 16, 1e9, true);
  await check(badCd, /does not fit/);
});
