import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as zlib from 'node:zlib';
import { crc32, ZipError, ZipReader } from '../../src/io/zip.js';
import { Rng } from '../../src/util/rng.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'torch');

interface Member {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
}

/**
 * Builds a zip from the APPNOTE layout, independently of the reader. With `zip64`, the central
 * directory saturates sizes and offsets at 0xffffffff and carries them in ZIP64 extra fields, and
 * the archive ends with a ZIP64 end record + locator, as writers do for > 4 GB files.
 */
function buildZip(members: Member[], opts: { zip64?: boolean; comment?: string; localExtra?: number } = {}): Uint8Array {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const stored = m.deflate ? zlib.deflateRawSync(m.data) : Buffer.from(m.data);
    const name = Buffer.from(m.name, 'utf8');
    const crc = zlib.crc32(m.data);
    const localExtra = Buffer.alloc(opts.localExtra ?? 0);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(m.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(m.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(localExtra.length, 28);
    parts.push(local, name, localExtra, stored);
    const extra = Buffer.alloc(opts.zip64 ? 28 : 0);
    if (opts.zip64) {
      extra.writeUInt16LE(1, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(m.data.length), 4);
      extra.writeBigUInt64LE(BigInt(stored.length), 12);
      extra.writeBigUInt64LE(BigInt(offset), 20);
    }
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(opts.zip64 ? 45 : 20, 4);
    c.writeUInt16LE(opts.zip64 ? 45 : 20, 6);
    c.writeUInt16LE(m.deflate ? 8 : 0, 10);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(opts.zip64 ? 0xffffffff : stored.length, 20);
    c.writeUInt32LE(opts.zip64 ? 0xffffffff : m.data.length, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt16LE(extra.length, 30);
    c.writeUInt32LE(opts.zip64 ? 0xffffffff : offset, 42);
    central.push(c, name, extra);
    offset += 30 + name.length + localExtra.length + stored.length;
  }
  const cd = Buffer.concat(central);
  const tail: Buffer[] = [];
  if (opts.zip64) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(0x06064b50, 0);
    rec.writeBigUInt64LE(44n, 4);
    rec.writeBigUInt64LE(BigInt(members.length), 24);
    rec.writeBigUInt64LE(BigInt(members.length), 32);
    rec.writeBigUInt64LE(BigInt(cd.length), 40);
    rec.writeBigUInt64LE(BigInt(offset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(offset + cd.length), 8);
    loc.writeUInt32LE(1, 16);
    tail.push(rec, loc);
  }
  const comment = Buffer.from(opts.comment ?? '', 'utf8');
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(opts.zip64 ? 0xffff : members.length, 8);
  eocd.writeUInt16LE(opts.zip64 ? 0xffff : members.length, 10);
  eocd.writeUInt32LE(opts.zip64 ? 0xffffffff : cd.length, 12);
  eocd.writeUInt32LE(opts.zip64 ? 0xffffffff : offset, 16);
  eocd.writeUInt16LE(comment.length, 20);
  // A plain Uint8Array copy: tests mutate copies made with .slice(), which on a Buffer would alias.
  return new Uint8Array(Buffer.concat([...parts, cd, ...tail, eocd, comment]));
}

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
        assert.deepEqual(zip.entries.map((e) => [e.name, e.method, e.uncompressedSize]), [['arc/data.pkl', 8, text.length], ['arc/data/0', 0, 3000], ['arc/empty', 0, 0]]);
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
    assert.deepEqual(zip.entries.map((e) => e.name), ['plain/data.pkl', 'plain/data/0', 'plain/data/1', 'plain/version']);
    assert.equal(new TextDecoder().decode(await zip.read(zip.entry('plain/version')!)).trim(), '3');
    const pkl = await zip.read(zip.entry('plain/data.pkl')!);
    assert.deepEqual([...pkl.subarray(0, 2)], [0x80, 0x02]); // pickle PROTO 2
    assert.equal(pkl[pkl.length - 1], 0x2e); // STOP
  } finally {
    await zip.close();
  }
});

test('not-a-zip, truncated and corrupt files give ZipError naming the file', async () => {
  const good = buildZip([{ name: 'a', data: blob }, { name: 'b', data: text, deflate: true }]);
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
