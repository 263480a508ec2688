// Writing a dataset on Node: `--dest x.zip` (an uncompressed ZIP, as EDM's dataset_tool writes) or a
// folder, built under a temporary name and renamed into place only when complete, so a failed or
// interrupted run leaves nothing half-written.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import { DATASET_JSON } from './dataset-json.js';
import { convertDataset, type ConvertHooks, type ConvertOptions, type ConvertSummary, type DatasetSink } from './dataset-convert.js';
import { fileError } from './fs-files.js';
import type { ImageSource } from './image-source.js';
import { ZipWriter } from './zip-writer.js';

/** A sink being written under a temporary name. */
interface PendingSink extends DatasetSink {
  /** Make it durable and move it to its final name. */
  commit(): void;
  /** Remove the temporary output. */
  abort(): void;
}

/** Options for writeDataset, on top of the conversion's. */
export interface WriteOptions extends ConvertOptions {
  /** Replace an existing destination (default: refuse). */
  force?: boolean;
}

/** Summary of a written dataset. */
export interface WriteSummary extends ConvertSummary {
  dest: string;
  /** Bytes of the ZIP, or of the files in the folder. */
  bytes: number;
}

/**
 * Convert `source` into a dataset at `dest`: a ZIP when it ends in `.zip`, else a folder. Throws
 * InputError when `dest` exists (unless `force`) or any image is unusable; then nothing is left behind.
 *
 * @example
 * writeDataset(openImageSource('mnist'), 'mnist32.zip', { resolution: 32, transform: 'pad' });
 */
export function writeDataset(source: ImageSource, dest: string, options: WriteOptions = {}, hooks: ConvertHooks = {}): WriteSummary {
  checkDestination(dest, options.force ?? false);
  const sink = dest.toLowerCase().endsWith('.zip') ? zipSink(dest) : folderSink(dest);
  try {
    const summary = convertDataset(source, options, sink, hooks);
    sink.commit();
    return { ...summary, dest, bytes: sink.bytes };
  } catch (e) {
    sink.abort();
    throw e;
  }
}

/**
 * Throw InputError unless `dest` can be written: its directory exists, and it does not, or `force` is set
 * and it is a file or a dataset folder (one holding dataset.json, or empty): --force never deletes other folders.
 */
export function checkDestination(dest: string, force: boolean): void {
  if (!existsSync(dirname(dest))) throw new InputError(`${dest}: cannot write: directory ${dirname(dest)} does not exist`);
  const stat = statSync(dest, { throwIfNoEntry: false });
  if (!stat) return;
  if (!force) throw new InputError(`${dest}: already exists; pass --force to overwrite it`);
  if (stat.isDirectory() && !existsSync(join(dest, DATASET_JSON)) && readdirSync(dest).length > 0) {
    throw new InputError(`${dest}: a folder that is not a dataset (no ${DATASET_JSON}); refusing to replace it even with --force`);
  }
}

const temporaryName = (dest: string) => `${dest}.tmp-${process.pid}`;

/** Writes go through a 4 MiB buffer: thousands of small PNGs would otherwise be a system call each. */
function zipSink(dest: string): PendingSink & { bytes: number } {
  const temp = temporaryName(dest);
  let fd: number | null;
  try {
    fd = openSync(temp, 'w');
  } catch (e) {
    throw fileError(dest, 'write', e);
  }
  const buffer = new Uint8Array(4 << 20);
  let used = 0;
  const flush = () => {
    let done = 0;
    while (done < used) done += writeSync(fd as number, buffer, done, used - done);
    used = 0;
  };
  const zip = new ZipWriter((chunk) => {
    if (used + chunk.length > buffer.length) flush();
    if (chunk.length > buffer.length) {
      writeSync(fd as number, chunk);
    } else {
      buffer.set(chunk, used);
      used += chunk.length;
    }
  });
  const guard = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      throw e instanceof InputError || !(e as NodeJS.ErrnoException).code ? e : fileError(dest, 'write', e);
    }
  };
  return {
    add: (name, bytes) => guard(() => zip.add(name, bytes)),
    get bytes() {
      return zip.bytesWritten;
    },
    commit: () =>
      guard(() => {
        zip.finish();
        flush();
        fsyncSync(fd as number);
        closeSync(fd as number);
        fd = null;
        if (existsSync(dest)) rmSync(dest, { recursive: true });
        renameSync(temp, dest);
        syncDirectory(dirname(dest));
      }),
    abort: () => {
      if (fd !== null) closeSync(fd);
      fd = null;
      rmSync(temp, { force: true });
    },
  };
}

function folderSink(dest: string): PendingSink & { bytes: number } {
  const temp = temporaryName(dest);
  let bytes = 0;
  const made = new Set<string>();
  const guard = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      throw fileError(dest, 'write', e);
    }
  };
  guard(() => mkdirSync(temp));
  return {
    add: (name, data) =>
      guard(() => {
        const dir = dirname(name);
        if (dir !== '.' && !made.has(dir)) {
          mkdirSync(join(temp, dir), { recursive: true });
          made.add(dir);
        }
        writeFileSync(join(temp, name), data);
        bytes += data.length;
      }),
    get bytes() {
      return bytes;
    },
    commit: () =>
      guard(() => {
        if (existsSync(dest)) rmSync(dest, { recursive: true });
        renameSync(temp, dest);
        syncDirectory(dirname(dest));
      }),
    abort: () => rmSync(temp, { recursive: true, force: true }),
  };
}

/** Make a rename durable (as writeFileAtomic does). Windows cannot open a directory for fsync. */
function syncDirectory(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
