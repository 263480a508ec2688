// Node file access for the data modules: one-line errors for failed file operations, a random-access
// byte source over a file, and a dataset folder or ZIP opened as a file table.
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { sortNames, type FileTable } from './file-table.js';
import { zipFileTable, type ByteSource } from './zip-reader.js';

/** One-line InputError for a failed file operation: `path: cannot read: no such file or directory`. */
export function fileError(path: string, action: 'read' | 'write' | 'list', e: unknown): InputError {
  const code = (e as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = {
    ENOENT: action === 'write' ? 'its directory does not exist' : 'no such file or directory',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'not a directory',
    ENOSPC: 'no space left on device',
    EROFS: 'read-only file system',
  };
  return new InputError(`${path}: cannot ${action}: ${(code && reasons[code]) ?? (e as Error).message}`);
}

/** A file opened for random access. Call `close()` when done. */
export interface FileSource extends ByteSource {
  close(): void;
}

/** Open `path` as a byte source. Throws InputError naming the path. */
export function openFileSource(path: string): FileSource {
  let fd: number;
  let size: number;
  try {
    fd = openSync(path, 'r');
    size = fstatSync(fd).size;
  } catch (e) {
    throw fileError(path, 'read', e);
  }
  return {
    size,
    read: (offset, length) => readAt(fd, path, offset, Math.max(0, Math.min(length, size - offset))),
    close: () => closeSync(fd),
  };
}

function readAt(fd: number, path: string, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  try {
    while (done < length) {
      const n = readSync(fd, out, done, length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
  } catch (e) {
    throw fileError(path, 'read', e);
  }
  return out.subarray(0, done);
}

/** Every file under `dir` (recursively; names starting with '.' skipped) as a file table. */
export function folderFileTable(dir: string): FileTable {
  const names: string[] = [];
  const walk = (rel: string) => {
    const abs = rel ? join(dir, rel) : dir;
    let entries;
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch (e) {
      throw fileError(abs, 'list', e);
    }
    for (const d of entries) {
      if (d.name.startsWith('.')) continue;
      const name = rel ? `${rel}/${d.name}` : d.name;
      const isDir = d.isDirectory() || (d.isSymbolicLink() && statSync(join(dir, name), { throwIfNoEntry: false })?.isDirectory());
      if (isDir) walk(name);
      else names.push(name);
    }
  };
  walk('');
  const path = (name: string) => join(dir, name);
  return {
    names: sortNames(names),
    where: dir,
    read: (name) => {
      try {
        return readFileSync(path(name));
      } catch (e) {
        throw fileError(path(name), 'read', e);
      }
    },
    readHead: (name, length) => {
      const file = openFileSource(path(name));
      try {
        return file.read(0, length);
      } finally {
        file.close();
      }
    },
    close: () => {},
  };
}

/** A dataset folder, or a ZIP archive, as a file table. Throws InputError naming `path`. */
export function openFileTable(path: string): FileTable {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) throw new InputError(`${path}: no such file or directory`);
  if (stat.isDirectory()) return folderFileTable(path);
  const file = openFileSource(path);
  try {
    return zipFileTable(file, path);
  } catch (e) {
    file.close();
    throw e;
  }
}
