// Node file helpers for safetensors (the format itself is in safetensors.ts, which runs in browsers too):
// read a whole file, read only the header of a huge one, write atomically (files/atomic-write.ts), whole
// or streamed one tensor at a time.

import { open, readFile, type FileHandle } from 'node:fs/promises';
import { writeAtomic, writeFileAtomic } from '../files/atomic-write.js';
import { fileError } from '../files/fs-files.js';
import { InputError } from '../errors.js';
import { numel } from '../graph/ops.js';
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
    // Nine bytes: the header length and the "{" after it, by which a file cut inside its header is told.
    const prefix = new Uint8Array(Math.min(9, fileSize));
    await file.read(prefix, 0, prefix.length, 0);
    if (prefix.length >= 8) {
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
      const needed = numel(t.shape) * DTYPE_BYTES[t.dtype];
      if (data.byteLength !== needed) throw new Error(`internal: writeSafetensorsStream: tensor "${name}" has ${data.byteLength} bytes, needs ${needed}`);
      await file.write(data);
    }
  });
}
