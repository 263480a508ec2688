// Writing a dataset on Node: `--dest x.zip` (an uncompressed ZIP, as EDM's dataset_tool writes) or a
// folder, built under a temporary name and renamed into place only when complete (files/atomic-write.ts),
// so a failed or interrupted run leaves nothing half-written.
import { existsSync, readdirSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import { DATASET_JSON } from './dataset-json.js';
import { convertDataset, type ConvertHooks, type ConvertOptions, type ConvertSummary, type DatasetSink } from './dataset-convert.js';
import { makeAtomicFolder, openAtomicFile, writeError } from '../files/atomic-write.js';
import { alreadyExists } from '../files/destination.js';
import { ensureDir } from '../files/ensure-dir.js';
import type { ImageSource } from './image-source.js';
import { convertLatentDataset, type LatentConvertOptions, type LatentConvertSummary } from './latent-dataset-convert.js';
import type { Vae } from '../vae/vae.js';
import { ZipWriter } from '../files/zip-writer.js';

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
 * Encode `source` with the VAE into a latent dataset at `dest` (a ZIP or a folder, as writeDataset): the
 * authors' latent format, float32 .npy (C, h, w) members and dataset.json. Nothing is left behind on failure.
 *
 * @example
 * await writeLatentDataset(openImageSource('photos/'), 'latents.zip', await loadVae('sd-vae-ft-ema'), { resolution: 256, transform: 'center-crop' });
 */
export async function writeLatentDataset(source: ImageSource, dest: string, vae: Vae, options: LatentConvertOptions & { force?: boolean } = {}, hooks: ConvertHooks = {}): Promise<LatentConvertSummary & { dest: string; bytes: number }> {
  checkDestination(dest, options.force ?? false);
  const sink = dest.toLowerCase().endsWith('.zip') ? zipSink(dest) : folderSink(dest);
  try {
    const summary = await convertLatentDataset(source, vae, options, sink, hooks);
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
  let stat;
  try {
    stat = statSync(dest, { throwIfNoEntry: false });
  } catch (e) {
    throw writeError(dest, e);
  }
  if (!stat) return;
  if (!force) throw alreadyExists(dest);
  if (stat.isDirectory() && !existsSync(join(dest, DATASET_JSON)) && readdirSync(dest).length > 0) {
    throw new InputError(`${dest}: a folder that is not a dataset (no ${DATASET_JSON}); refusing to replace it even with --force`);
  }
}

/** Run one step of writing `dest`, naming `dest` in file-system errors (writeError). */
function guarded<T>(dest: string, step: () => T): T {
  try {
    return step();
  } catch (e) {
    throw writeError(dest, e);
  }
}

/** Writes go through a 4 MiB buffer: thousands of small PNGs would otherwise be a system call each. */
function zipSink(dest: string): PendingSink & { bytes: number } {
  const file = openAtomicFile(dest, { removeExisting: true });
  const buffer = new Uint8Array(4 << 20);
  let used = 0;
  const flush = () => {
    let done = 0;
    while (done < used) done += writeSync(file.fd, buffer, done, used - done);
    used = 0;
  };
  const zip = new ZipWriter((chunk) => {
    if (used + chunk.length > buffer.length) flush();
    if (chunk.length > buffer.length) {
      writeSync(file.fd, chunk);
    } else {
      buffer.set(chunk, used);
      used += chunk.length;
    }
  });
  return {
    add: (name, bytes) => guarded(dest, () => zip.add(name, bytes)),
    get bytes() {
      return zip.bytesWritten;
    },
    commit: () => {
      guarded(dest, () => {
        zip.finish();
        flush();
      });
      file.commit();
    },
    abort: file.abort,
  };
}

function folderSink(dest: string): PendingSink & { bytes: number } {
  const folder = makeAtomicFolder(dest, { removeExisting: true });
  let bytes = 0;
  const made = new Set<string>();
  return {
    add: (name, data) =>
      guarded(dest, () => {
        const dir = dirname(name);
        if (dir !== '.' && !made.has(dir)) {
          ensureDir(join(folder.temp, dir));
          made.add(dir);
        }
        writeFileSync(join(folder.temp, name), data);
        bytes += data.length;
      }),
    get bytes() {
      return bytes;
    },
    commit: folder.commit,
    abort: folder.abort,
  };
}
