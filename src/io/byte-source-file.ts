// A ByteSource over a file on disk (Node): synchronous positioned reads through one descriptor, so a file
// of any size (past Node's 2 GiB readFile limit) is read piece by piece.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from '../errors.js';
import type { ByteSource } from './byte-source.js';

/** An open file as a ByteSource; call `close()` when done. */
export interface FileSource extends ByteSource {
  close(): void;
}

/** Open `path` for random access. Throws InputError naming the path when it cannot be read. */
export function openFileSource(path: string): FileSource {
  let fd: number;
  let size: number;
  try {
    fd = openSync(path, 'r');
    const stat = fstatSync(fd);
    if (stat.isDirectory()) {
      closeSync(fd);
      throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    }
    size = stat.size;
  } catch (e) {
    throw readError(path, e);
  }
  let open = true;
  return {
    name: path,
    size,
    read(offset, length) {
      if (!open) throw new Error(`internal: ${path} read after close`);
      const out = new Uint8Array(length);
      let done = 0;
      try {
        while (done < length) {
          const n = readSync(fd, out, done, Math.min(length - done, 1 << 30), offset + done);
          if (n === 0) throw new InputError(`${path}: file ended at byte ${offset + done} while reading ${length} bytes at ${offset}; was it truncated while being read?`);
          done += n;
        }
      } catch (e) {
        throw e instanceof InputError ? e : readError(path, e);
      }
      return out;
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

function readError(path: string, e: unknown): InputError {
  const code = (e as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = { ENOENT: 'no such file', EISDIR: 'is a directory', EACCES: 'permission denied', EPERM: 'permission denied' };
  return new InputError(`${path}: cannot read (${(code && reasons[code]) ?? (e as Error).message})`);
}
