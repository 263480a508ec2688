// Node file access: the one wording for failed file operations, a random-access ByteSource over a file,
// and a dataset folder or ZIP opened as a file table. The platform-neutral readers are in byte-source.ts
// and zip-reader.ts.
import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import { checkRead, type ByteSource } from './byte-source.js';
import { sortNames, type FileTable } from './file-table.js';
import { zipFileTable } from './zip-reader.js';

/** What a file operation was doing when it failed, as fileError words it. */
export type FileAction = 'read' | 'write' | 'list' | 'create directory';

/**
 * The one-line InputError for a failed file operation, `<path>: cannot <action>: <reason>`, for example
 * `data.zip: cannot read: no such file or directory`. Unknown codes give the system's message.
 */
export function fileError(path: string, action: FileAction, e: unknown): InputError {
  return new InputError(`${path}: cannot ${action}: ${failureReason(path, action, e)}`);
}

/** Why an operation on `path` failed, in a few words (fileError's reason). Unknown codes give the system's message. */
export function failureReason(path: string, action: FileAction, e: unknown): string {
  switch ((e as NodeJS.ErrnoException).code) {
    case 'ENOENT': return action === 'write' || action === 'create directory' ? missingEntryReason(path) : 'no such file or directory';
    case 'EACCES': return 'permission denied';
    case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a directory';
    case 'ENOTDIR': return action === 'list' ? 'not a directory' : 'a parent of this path is not a directory';
    case 'EEXIST': return 'already exists';
    case 'ENOSPC': return 'no space left on device';
    case 'EDQUOT': return 'disk quota exceeded';
    case 'EROFS': return 'read-only file system';
    case 'ELOOP': return 'too many levels of symbolic links';
    case 'ENAMETOOLONG': return 'name too long';
    default: return (e as Error).message;
  }
}

/**
 * Why creating `path` failed with ENOENT: its directory is missing, or is a dangling symbolic link, or exists
 * and still refuses new entries, as /proc and /sys do.
 */
function missingEntryReason(path: string): string {
  const dir = dirname(path);
  try {
    if (statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return `${dir} does not accept new entries (a read-only or special file system)`;
    if (lstatSync(dir, { throwIfNoEntry: false })?.isSymbolicLink()) return `${dir} is a symbolic link to ${readlinkSync(dir)}, which does not exist`;
  } catch {
    // A parent that cannot be looked at is reported as missing, the likelier cause.
  }
  return `directory ${dir} does not exist`;
}

/** Errno codes of failures that concern the user's files and disks rather than this program. */
const FILE_SYSTEM_CODES = new Set(['ENOENT', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'ENOTDIR', 'EISDIR', 'EEXIST', 'ELOOP', 'ENAMETOOLONG']);

/**
 * A raw Node file-system error that reached the top without being named by its caller, as fileError's one
 * line (the action guessed from the system call); null for any other error.
 */
export function escapedFileError(e: unknown): InputError | null {
  if (!(e instanceof Error)) return null;
  const { code, path, syscall } = e as NodeJS.ErrnoException;
  if (code === undefined || !FILE_SYSTEM_CODES.has(code)) return null;
  return fileError(path ?? syscall ?? 'file', actionOf(syscall, code), e);
}

/** System calls that read or look (an `open` among them, which may also have been for writing). */
const LOOKING_CALLS = new Set(['open', 'stat', 'lstat', 'read', 'access', 'readlink', 'realpath']);

/** Codes only a write can fail with. */
const WRITING_CODES = new Set(['EROFS', 'ENOSPC', 'EDQUOT', 'EEXIST']);

/** The action a failed system call was part of, for escapedFileError. */
function actionOf(syscall: string | undefined, code: string): FileAction {
  if (syscall === 'mkdir') return 'create directory';
  if (syscall === 'scandir' || syscall === 'opendir') return 'list';
  return WRITING_CODES.has(code) || (syscall !== undefined && !LOOKING_CALLS.has(syscall)) ? 'write' : 'read';
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
