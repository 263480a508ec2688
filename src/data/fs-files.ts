// Node file access: the one wording for failed file operations, a random-access ByteSource over a file,
// and a dataset folder or ZIP opened as a file table. The platform-neutral readers are in byte-source.ts
// and zip-reader.ts.
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import { checkRead, type ByteSource } from './byte-source.js';
import { sortNames, type FileTable } from './file-table.js';
import { zipFileTable } from './zip-reader.js';

/**
 * The one-line InputError for a failed file operation, `<path>: cannot <action>: <reason>`, for example
 * `data.zip: cannot read: no such file or directory`. Unknown codes give the system's message.
 */
export function fileError(path: string, action: 'read' | 'write' | 'list', e: unknown): InputError {
  const code = (e as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = {
    ENOENT: action === 'write' ? `directory ${dirname(path)} does not exist` : 'no such file or directory',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: action === 'list' ? 'not a directory' : 'a parent of this path is not a directory',
    ENOSPC: 'no space left on device',
    EROFS: 'read-only file system',
  };
  return new InputError(`${path}: cannot ${action}: ${(code && reasons[code]) ?? (e as Error).message}`);
}

/** An open file as a ByteSource; call `close()` when done. */
export interface FileSource extends ByteSource {
  close(): void;
}

/**
 * Open `path` for random access: synchronous positioned reads through one descriptor, so a file of any size
 * (past Node's 2 GiB readFile limit) is read piece by piece. Reads are strict (ByteSource). Throws InputError
 * naming the path when it cannot be opened or is a directory.
 *
 * @example
 * const file = openFileSource('net.pkl');
 * const head = file.read(0, Math.min(4, file.size)); // clamp: a read past the end throws
 * file.close();
 */
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
    throw fileError(path, 'read', e);
  }
  let open = true;
  return {
    name: path,
    size,
    read(offset, length) {
      if (!open) throw new Error(`internal: ${path} read after close`);
      checkRead(path, size, offset, length);
      const out = new Uint8Array(length);
      let done = 0;
      try {
        while (done < length) {
          const n = readSync(fd, out, done, Math.min(length - done, 1 << 30), offset + done);
          if (n === 0) throw new InputError(`${path}: file ended at byte ${offset + done} while reading ${length} bytes at ${offset}; was it truncated while being read?`);
          done += n;
        }
      } catch (e) {
        throw e instanceof InputError ? e : fileError(path, 'read', e);
      }
      return out;
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
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
        return file.read(0, Math.min(length, file.size));
      } finally {
        file.close();
      }
    },
    close: () => {},
  };
}

/** A dataset folder, or a ZIP archive, as a file table. Throws InputError naming `path`. */
export function openFileTable(path: string): FileTable {
  let stat;
  try {
    stat = statSync(path);
  } catch (e) {
    throw fileError(path, 'read', e);
  }
  if (stat.isDirectory()) return folderFileTable(path);
  const file = openFileSource(path);
  try {
    return zipFileTable(file);
  } catch (e) {
    file.close();
    throw e;
  }
}
