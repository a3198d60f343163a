/** The file-source seam over a local folder (node:fs): see file-source.ts. */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { checkRelativePath, type FileSource, FileSourceError } from './file-source.js';

export function folderFiles(dir: string): FileSource {
  const describe = (path: string): string => join(dir, checkRelativePath(path));
  return {
    location: dir,
    describe,
    sub: (path) => folderFiles(describe(path)),
    async bytes(path) {
      const file = describe(path);
      try {
        const buf = await readFile(resolve(file));
        return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') throw new FileSourceError(`${file} does not exist`, 'missing');
        throw new FileSourceError(`cannot read ${file} (${code === 'EISDIR' ? 'it is a folder' : (e as Error).message})`, 'unreadable');
      }
    },
  };
}
