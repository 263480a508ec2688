// Output files the user names on the command line: nothing is overwritten without --force, and every
// command refuses in the same words.
import { statSync } from 'node:fs';
import { InputError } from '../errors.js';
import { fileError } from './fs-files.js';

/** The one-line InputError for an output that exists when overwriting was not asked for. */
export function alreadyExists(dest: string): InputError {
  return new InputError(`${dest}: already exists; pass --force to overwrite it`);
}

/**
 * Throw InputError unless the file `dest` may be written: nothing is there, or a file is and `force` is set.
 * A directory is never replaced.
 *
 * @example
 * checkNewFile('net.safetensors', force); // before writing it
 */
export function checkNewFile(dest: string, force: boolean): void {
  let stat;
  try {
    stat = statSync(dest, { throwIfNoEntry: false });
  } catch (e) {
    throw fileError(dest, 'write', e);
  }
  if (!stat) return;
  if (stat.isDirectory()) throw new InputError(`${dest}: is a directory; name a file to write`);
  if (!force) throw alreadyExists(dest);
}
