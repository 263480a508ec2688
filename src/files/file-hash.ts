// The SHA-256 of a file's bytes, read as a stream, so a multi-gigabyte checkpoint is hashed in little memory.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { fileError } from './fs-files.js';

/** The hex SHA-256 of the file at `path`. Throws InputError naming `path` when it cannot be read. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (e) {
    throw fileError(path, 'read', e);
  }
  return hash.digest('hex');
}
