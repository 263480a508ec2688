// Checkpoint files on disk (Node): read with errors naming the path, write atomically.
import { readFile } from 'node:fs/promises';
import { fileError } from '../files/fs-files.js';
import type { LegoConfig } from '../lego/config.js';
import type { Weights } from '../lego/model.js';
import { decodeCheckpoint, encodeCheckpoint, type LegoCheckpoint } from './checkpoint.js';
import { writeFileAtomic } from '../files/atomic-write.js';

export async function loadCheckpoint(path: string): Promise<LegoCheckpoint> {
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch (e) {
    throw fileError(path, 'read', e);
  }
  return decodeCheckpoint(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength), path);
}

export async function saveCheckpoint(path: string, config: LegoConfig, weights: Weights, extra: Record<string, string> = {}): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(config, weights, extra));
}
