// ensureDir: missing parents created one by one; a file, a dangling symbolic link or a file system that
// refuses new directories (/proc) is a one-line error naming the path, never an endless loop.
import { existsSync, mkdtempSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inputError } from '../../test/helpers/input-error.js';
import { ensureDir } from './ensure-dir.js';

const tmp = mkdtempSync(join(tmpdir(), 'lego-ensure-dir-'));

describe('ensureDir', () => {
  it('creates missing parents, and accepts a directory that exists', () => {
    const dir = join(tmp, 'a', 'b', 'c');
    ensureDir(dir);
    expect(statSync(dir).isDirectory()).toBe(true);
    ensureDir(dir);
    ensureDir(`${join(tmp, 'a')}/`);
  });

  it('refuses a file in the way, naming the path', () => {
    const file = join(tmp, 'file.png');
    writeFileSync(file, 'x');
    inputError(() => ensureDir(file), `${file}: cannot create directory: a file of that name exists`);
    inputError(() => ensureDir(join(file, 'sub', 'deeper')), `${join(file, 'sub', 'deeper')}: cannot create directory: ${file} is a file, not a directory`);
  });

  it('refuses to create through a dangling symbolic link', () => {
    const link = join(tmp, 'dangling');
    symlinkSync(join(tmp, 'nowhere', 'target'), link);
    inputError(() => ensureDir(link), `${link}: cannot create directory: ${link} is a symbolic link to ${join(tmp, 'nowhere', 'target')}, which does not exist`);
    inputError(() => ensureDir(join(link, 'sub')), `${join(link, 'sub')}: cannot create directory: ${link} is a symbolic link`);
    expect(existsSync(join(tmp, 'nowhere'))).toBe(false);
  });

  it.runIf(process.platform === 'linux' && existsSync('/proc/self'))('gives the real reason where mkdir answers ENOENT (/proc), at once', () => {
    const start = performance.now();
    const message = inputError(() => ensureDir('/proc/lego-test/out'), '/proc/lego-test/out: cannot create directory: /proc does not accept new entries');
    expect(message).not.toContain('does not exist');
    expect(performance.now() - start).toBeLessThan(1000);
  });
});
