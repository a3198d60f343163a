import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { withAtomicFile, writeFileAtomic, writeFileAtomicSync } from '../../src/io/atomic.js';

async function scratchDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'gluegen-atomic-'));
}

test('writeFileAtomic creates parent directories and writes exactly the data, leaving no temp file', async () => {
  const dir = await scratchDir();
  try {
    const target = path.join(dir, 'a', 'b', 'ckpt.bin');
    const data = new Uint8Array([0, 1, 2, 250, 255]);
    await writeFileAtomic(target, data);
    assert.deepEqual(new Uint8Array(await readFile(target)), data);
    await writeFileAtomic(target, 'héllo');
    assert.equal(await readFile(target, 'utf8'), 'héllo');
    assert.deepEqual(await readdir(path.join(dir, 'a', 'b')), ['ckpt.bin']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a failing write leaves the old file intact and removes the temp file', async () => {
  const dir = await scratchDir();
  try {
    const target = path.join(dir, 'ckpt.bin');
    await writeFile(target, 'old');
    await assert.rejects(
      withAtomicFile(target, async (handle) => {
        await handle.write(new Uint8Array(1000));
        throw new Error('disk full (simulated)');
      }),
      /disk full/,
    );
    assert.equal(await readFile(target, 'utf8'), 'old');
    assert.deepEqual(await readdir(dir), ['ckpt.bin']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a failing rename (target is a non-empty directory) cleans up, async and sync', async () => {
  const dir = await scratchDir();
  try {
    const target = path.join(dir, 'busy');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'inside'), 'x');
    await assert.rejects(writeFileAtomic(target, 'data'));
    assert.throws(() => writeFileAtomicSync(target, 'data'));
    assert.deepEqual(await readdir(dir), ['busy']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('writeFileAtomicSync writes and overwrites', async () => {
  const dir = await scratchDir();
  try {
    const target = path.join(dir, 'nested', 'x.json');
    writeFileAtomicSync(target, '{"a":1}');
    writeFileAtomicSync(target, new Uint8Array([123, 125]));
    assert.equal(fs.readFileSync(target, 'utf8'), '{}');
    assert.deepEqual(fs.readdirSync(path.join(dir, 'nested')), ['x.json']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
