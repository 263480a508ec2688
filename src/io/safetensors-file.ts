// Node file helpers for safetensors (the format itself is in safetensors.ts, which runs in browsers too):
// read a whole file, read only the header of a huge one, write atomically (temp file, fsync, rename), whole
// or streamed one tensor at a time.

import { open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileError } from '../data/fs-files.js';
import { InputError, isUserError } from '../errors.js';
import {
  DTYPE_BYTES, MAX_HEADER_BYTES, parseSafetensors, parseSafetensorsHeader, safetensorsPrefix, serializeSafetensors,
  type SafetensorsHeader, type StoredTensor, type StreamedTensor, type TensorEntry,
} from './safetensors.js';

/** Read and parse a whole safetensors file. Throws InputError naming `path` when it is missing or malformed. */
export async function readSafetensorsFile(path: string): Promise<{ metadata: Record<string, string>; tensors: Map<string, StoredTensor> }> {
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch (e) {
    throw fileError(path, 'read', e);
  }
  return parseSafetensors(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength), path);
}

/** Read and parse only the header (the first 8 + N bytes), so huge files can be inspected cheaply. */
export async function readSafetensorsHeaderFile(path: string): Promise<SafetensorsHeader> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (e) {
    throw fileError(path, 'read', e);
  }
  try {
    const fileSize = (await file.stat()).size;
    const prefix = new Uint8Array(Math.min(8, fileSize));
    await file.read(prefix, 0, prefix.length, 0);
    if (prefix.length === 8) {
      const end = 8 + Number(new DataView(prefix.buffer).getBigUint64(0, true));
      // Read the header only when its length is plausible; otherwise let the parser report the bad length.
      if (end <= fileSize && end <= 8 + MAX_HEADER_BYTES) {
        const bytes = new Uint8Array(end);
        await file.read(bytes, 0, end, 0);
        return parseSafetensorsHeader(bytes, path, fileSize);
      }
    }
    return parseSafetensorsHeader(prefix, path, fileSize);
  } catch (e) {
    throw e instanceof InputError ? e : fileError(path, 'read', e);
  } finally {
    await file.close();
  }
}

/** Serialize tensors and metadata and write them to `path` atomically (see writeFileAtomic). */
export async function writeSafetensorsFile(path: string, tensors: Iterable<[string, TensorEntry]>, metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}

/**
 * Write a safetensors file tensor by tensor: the header first, then each tensor's bytes as `bytes()` makes
 * them, so only one tensor is in memory at a time. Atomic like writeFileAtomic. An error from `bytes()`
 * (an InputError naming the input, say) passes through unchanged, and no file is left behind.
 */
export async function writeSafetensorsStream(path: string, tensors: readonly [string, StreamedTensor][], metadata?: Record<string, string>): Promise<void> {
  const { prefix } = safetensorsPrefix(tensors, metadata);
  await writeAtomic(path, async (file) => {
    await file.write(prefix);
    for (const [name, t] of tensors) {
      const data = await t.bytes();
      const needed = t.shape.reduce((n, d) => n * d, DTYPE_BYTES[t.dtype]);
      if (data.byteLength !== needed) throw new Error(`internal: writeSafetensorsStream: tensor "${name}" has ${data.byteLength} bytes, needs ${needed}`);
      await file.write(data);
    }
  });
}

/**
 * Write `bytes` to `path` so that readers see either the old file or the whole new one, even after a crash:
 * write `path.tmp-<pid>` beside it, fsync, rename over `path`, fsync the directory. On failure the temp file
 * is removed and an InputError naming `path` is thrown.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  await writeAtomic(path, (file) => file.writeFile(bytes));
}

/** The atomic-write pattern around any writer; file-system errors name `path`, the writer's own pass through. */
async function writeAtomic(path: string, write: (file: FileHandle) => Promise<void>): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
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
    await rm(temp, { force: true });
    if (isUserError(e) || !(e as NodeJS.ErrnoException).code) throw e; // not a file-system error: the writer's own
    throw fileError(path, 'write', e);
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
