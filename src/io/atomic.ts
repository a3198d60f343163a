/**
 * Atomic file writes: data goes to a temporary file in the target's directory, is fsynced, then
 * renamed over the target. rename(2) within one file system is atomic, so a crash or a full disk
 * leaves either the old file or the complete new one — never a half-written checkpoint.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { type FileHandle, mkdir, open, rename, rm, unlink } from 'node:fs/promises';
import * as path from 'node:path';

/** A fresh temporary name beside `target` (same directory, so the rename stays on one file system). */
function tempPathFor(target: string): string {
  const dir = path.dirname(target);
  const base = path.basename(target);
  return path.join(dir, `.${base}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** Makes the rename itself durable; some platforms cannot open directories, which is harmless. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Directory fsync is unsupported on some systems (e.g. Windows); the data itself is synced.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Writes `target` atomically with a callback that fills an open file handle — for large outputs
 * (multi-GB safetensors) written piece by piece without building one buffer. Parent directories
 * are created. On any failure the temporary file is removed and the error rethrown.
 */
export async function withAtomicFile(target: string, write: (handle: FileHandle) => Promise<void>): Promise<void> {
  await mkdir(path.dirname(path.resolve(target)), { recursive: true });
  const temp = tempPathFor(target);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx');
    await write(handle);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, target);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await syncDirectory(path.dirname(path.resolve(target)));
}

/**
 * Writes the folder `target` as one unit: `fill` writes (and may verify) the files in a temporary
 * sibling folder, which is then renamed into place. rename(2) cannot replace a non-empty folder, so
 * an existing one is moved aside first; a crash between the renames leaves the old complete folder.
 * On any failure the temporary folder is removed and the error rethrown.
 */
export async function withAtomicFolder(target: string, fill: (temp: string) => Promise<void>): Promise<void> {
  await mkdir(path.dirname(path.resolve(target)), { recursive: true });
  const temp = tempPathFor(target);
  await mkdir(temp);
  try {
    await fill(temp);
    if (fs.existsSync(target)) {
      const aside = `${temp}.old`;
      await rename(target, aside);
      await rename(temp, target);
      await rm(aside, { recursive: true, force: true });
    } else {
      await rename(temp, target);
    }
  } catch (err) {
    await rm(temp, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
  await syncDirectory(path.dirname(path.resolve(target)));
}

/** Writes all of `data` (bytes, or a string as UTF-8) to `target` atomically. */
export async function writeFileAtomic(target: string, data: Uint8Array | string): Promise<void> {
  await withAtomicFile(target, async (handle) => {
    await handle.writeFile(data);
  });
}

/** Synchronous twin of {@link writeFileAtomic}. */
export function writeFileAtomicSync(target: string, data: Uint8Array | string): void {
  fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  const temp = tempPathFor(target);
  let fd: number | undefined;
  try {
    fd = fs.openSync(temp, 'wx');
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(temp, target);
  } catch (err) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing; the original error is the one to report
      }
    }
    try {
      fs.unlinkSync(temp);
    } catch {
      // the temp file may never have been created
    }
    throw err;
  }
  try {
    const dirFd = fs.openSync(path.dirname(path.resolve(target)), 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  } catch {
    // Directory fsync is unsupported on some systems; the data itself is synced.
  }
}
