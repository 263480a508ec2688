// Atomic writes: build the output under a temporary name beside its final path, fsync it, rename it into place
// and fsync the directory, so readers (and a crash) see the old output or the whole new one, never a part.
// Async for one file written at once or streamed (checkpoints, images); sync for a dataset built entry by entry.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isUserError } from '../errors.js';
import { fileError } from './fs-files.js';

/** The name an output of `path` is built under: beside it, so the final rename stays on one file system. */
export function temporaryName(path: string): string {
  return `${path}.tmp-${process.pid}`;
}

/** True while a process with this id runs (signal 0 only checks; EPERM means it runs as another user). */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove the temporary outputs (`*.tmp-<pid>`, files or folders) that processes no longer running left in
 * `dir` when they were killed mid-write; returns their names. Outputs of running processes are kept.
 */
export function removeStaleTemporaries(dir: string): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const m = /\.tmp-(\d+)$/.exec(name);
    if (!m || Number(m[1]) === process.pid || processRuns(Number(m[1]))) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * What a failure while writing `path` is thrown as: a file-system error becomes fileError's one line naming
 * `path`; a user error, or an error without a system code (the writer's own), passes through unchanged.
 */
export function writeError(path: string, e: unknown): unknown {
  return isUserError(e) || !(e as NodeJS.ErrnoException).code ? e : fileError(path, 'write', e);
}

// ---------------------------------------------------------------------------------------------------------
// Async: one file

/**
 * Write `bytes` to `path` so that readers see either the old file or the whole new one, even after a crash:
 * write `path.tmp-<pid>` beside it, fsync, rename over `path`, fsync the directory. On failure the temp file
 * is removed and an InputError naming `path` is thrown.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  await writeAtomic(path, (file) => file.writeFile(bytes));
}

/**
 * The atomic write of writeFileAtomic around any writer, for files written in pieces. File-system errors name
 * `path` (writeError); the writer's own errors pass through. Either way the temp file is removed.
 *
 * @example
 * await writeAtomic('net.safetensors', async (file) => {
 *   await file.write(header);
 *   for (const t of tensors) await file.write(await t.bytes());
 * });
 */
export async function writeAtomic(path: string, write: (file: FileHandle) => Promise<void>): Promise<void> {
  const temp = temporaryName(path);
  try {
    const file = await open(temp, 'w');
    try {
      await write(file);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
    await syncDirectory(dirname(path));
  } catch (e) {
    // Best effort: where the temp file could not be made, removing it can fail too (ENOTDIR), and the
    // error worth reporting is the first one.
    await rm(temp, { force: true }).catch(() => {});
    throw writeError(path, e);
  }
}

/** Make the rename durable. Windows cannot open a directory for fsync, and NTFS journals renames anyway. */
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Sync: a file or a folder filled piece by piece, then committed

/** An output being built under its temporary name; end it with `commit()`, or `abort()` after a failure. */
export interface AtomicOutput {
  /** The temporary path being written (`path.tmp-<pid>`). */
  readonly temp: string;
  /**
   * Make the output durable and rename it to its final path, then fsync the directory. Throws writeError's
   * error naming the final path, after removing the temporary output.
   */
  commit(): void;
  /** Remove the temporary output; safe to call after a failed commit, or twice. */
  abort(): void;
}

/** An atomic file open for writing. */
export interface AtomicFile extends AtomicOutput {
  /** The descriptor to write through (writeSync); closed by commit and abort. */
  readonly fd: number;
}

/** Options for the sync atomic outputs. */
export interface AtomicOutputOptions {
  /**
   * Remove whatever is at the final path (a folder included) just before the rename, for outputs that may
   * replace another kind (a dataset ZIP over a dataset folder). The caller checks that it may go. Default:
   * rename over a file only.
   */
  removeExisting?: boolean;
}

/**
 * Open `path.tmp-<pid>` for writing; write through `fd`, then `commit()` fsyncs, closes and renames it to
 * `path`. Throws InputError naming `path` when the temporary file cannot be created.
 *
 * @example
 * const file = openAtomicFile('data.zip');
 * try {
 *   writeSync(file.fd, bytes);
 *   file.commit();
 * } catch (e) {
 *   file.abort();
 *   throw e;
 * }
 */
export function openAtomicFile(path: string, options: AtomicOutputOptions = {}): AtomicFile {
  const temp = temporaryName(path);
  let fd: number;
  try {
    fd = openSync(temp, 'w');
  } catch (e) {
    throw fileError(path, 'write', e);
  }
  let open = true;
  const close = () => {
    if (open) {
      open = false;
      closeSync(fd);
    }
  };
  const abort = () => {
    try {
      close();
    } finally {
      rmSync(temp, { force: true });
    }
  };
  const durable = () => {
    fsyncSync(fd);
    close();
  };
  return { fd, temp, commit: () => commitSync(path, temp, options, durable, abort), abort };
}

/**
 * Make the empty folder `path.tmp-<pid>`; fill it, then `commit()` renames it to `path`. The files inside are
 * not fsynced one by one (a dataset folder holds thousands); the rename is what makes the folder appear only
 * when complete. Throws InputError naming `path` when the folder cannot be made.
 */
export function makeAtomicFolder(path: string, options: AtomicOutputOptions = {}): AtomicOutput {
  const temp = temporaryName(path);
  try {
    mkdirSync(temp);
  } catch (e) {
    throw fileError(path, 'write', e);
  }
  const abort = () => rmSync(temp, { recursive: true, force: true });
  return { temp, commit: () => commitSync(path, temp, options, () => {}, abort), abort };
}

/**
 * The commit both sync outputs share: durable, then renamed into place; on failure cleaned up and named. An
 * existing output to replace is first renamed aside, not removed, so that a failed rename can put it back:
 * readers find the old output or the new one, never neither. Only a crash between the two renames leaves
 * the old one under its aside name.
 */
function commitSync(path: string, temp: string, { removeExisting = false }: AtomicOutputOptions, durable: () => void, abort: () => void): void {
  const aside = `${path}.old-${process.pid}`;
  let movedAside = false;
  try {
    durable();
    if (removeExisting && existsSync(path)) {
      renameSync(path, aside);
      movedAside = true;
    }
    renameSync(temp, path);
  } catch (e) {
    if (movedAside) putBack(aside, path);
    abort();
    throw writeError(path, e);
  }
  // The new output is in place: a failure from here on is reported, but nothing is rolled back.
  try {
    if (movedAside) rmSync(aside, { recursive: true, force: true });
    syncDirectorySync(dirname(path));
  } catch (e) {
    throw writeError(path, e);
  }
}

/** Rename the old output back after a failed commit; if even that fails, it stays aside rather than lost. */
function putBack(aside: string, path: string): void {
  try {
    renameSync(aside, path);
  } catch {
    // The commit's own error is the one reported.
  }
}

/** syncDirectory for the sync outputs. */
function syncDirectorySync(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
