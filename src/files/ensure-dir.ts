// Creating a directory and its missing parents one plain mkdir at a time, every failure a one-line error.
// Node's mkdir(path, { recursive: true }) spins forever where a parent answers ENOENT to mkdir (/proc, /sys).
import { lstatSync, mkdirSync, readlinkSync, statSync } from 'node:fs';
import { dirname, normalize } from 'node:path';
import { InputError } from '../errors.js';
import { failureReason } from './fs-files.js';

/**
 * Make sure the directory `path` exists: walk up to its first existing ancestor, then create each missing
 * component with a non-recursive mkdir. Throws InputError `<path>: cannot create directory: <reason>`,
 * the reason naming what is in the way: a file, a dangling symbolic link, a read-only or special file
 * system, a missing permission.
 *
 * @example
 * ensureDir('out/000000'); // creates out/ and out/000000/ as needed
 */
export function ensureDir(path: string): void {
  const missing: string[] = [];
  let dir = normalize(path);
  while (!isDirectory(path, dir)) {
    missing.unshift(dir);
    const parent = dirname(dir);
    if (parent === dir) throw cannotCreate(path, `${dir} does not exist`);
    dir = parent;
  }
  for (const component of missing) {
    try {
      mkdirSync(component);
    } catch (e) {
      // Made by someone else in the meantime: as good as made here.
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(component, { throwIfNoEntry: false })?.isDirectory()) continue;
      throw cannotCreate(path, failureReason(component, 'create directory', e));
    }
  }
}

/**
 * Whether `dir` (`path` or one of its ancestors) is an existing directory; false when nothing is there. Throws
 * InputError naming `path` when something mkdir cannot replace is: a file, or a dangling symbolic link.
 */
function isDirectory(path: string, dir: string): boolean {
  let stat;
  try {
    stat = statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ENOTDIR: a file further up, which the walk reaches next.
    if (code === 'ENOTDIR') return false;
    if (code !== 'ENOENT') throw cannotCreate(path, failureReason(dir, 'read', e));
    if (lstatSync(dir, { throwIfNoEntry: false })?.isSymbolicLink()) {
      throw cannotCreate(path, `${dir} is a symbolic link to ${readlinkSync(dir)}, which does not exist`);
    }
    return false;
  }
  if (stat.isDirectory()) return true;
  throw cannotCreate(path, dir === normalize(path) ? 'a file of that name exists' : `${dir} is a file, not a directory`);
}

function cannotCreate(path: string, reason: string): InputError {
  return new InputError(`${path}: cannot create directory: ${reason}`);
}
