// Byte sources (memory, ranges, files) read strictly, a read past the end naming the file; fileError's one
// wording for failed file operations; a folder's readHead of a short file.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { ByteRange, memorySource } from './byte-source.js';
import { escapedFileError, fileError, folderFileTable, openFileSource, openFileTable } from './fs-files.js';

const tmp = mkdtempSync(join(tmpdir(), 'lego-files-'));

describe('byte sources', () => {
  it('memory sources and ranges read exactly, and refuse reads past their end naming the file', () => {
    const src = memorySource(Uint8Array.of(1, 2, 3, 4, 5), 'm.bin');
    expect([...src.read(1, 3)]).toEqual([2, 3, 4]);
    expect(src.read(5, 0).length).toBe(0);
    expect(() => src.read(3, 4)).toThrow('m.bin: 4 bytes at offset 3 run past the end of the file (5 bytes); truncated?');
    expect(() => src.read(-1, 1)).toThrow(InputError);
    const part = new ByteRange(src, 1, 3).asSource();
    expect([...part.read(1, 2)]).toEqual([3, 4]);
    expect(() => part.read(2, 2)).toThrow('m.bin: 2 bytes at 2 run past the end of a 3-byte block at offset 1; corrupt?');
  });

  it('a file source reads exactly, names the file when a read runs past its end, and refuses use after close', () => {
    const path = join(tmp, 'five.bin');
    writeFileSync(path, Uint8Array.of(1, 2, 3, 4, 5));
    const file = openFileSource(path);
    expect(file).toMatchObject({ name: path, size: 5 });
    expect([...file.read(2, 3)]).toEqual([3, 4, 5]);
    expect(() => file.read(2, 4)).toThrow(`${path}: 4 bytes at offset 2 run past the end of the file (5 bytes); truncated?`);
    file.close();
    expect(() => file.read(0, 1)).toThrow(/^internal: /);
  });

  it('a file that cannot be opened is named, in the fileError wording', () => {
    expect(() => openFileSource(join(tmp, 'nope.bin'))).toThrow(`${join(tmp, 'nope.bin')}: cannot read: no such file or directory`);
    expect(() => openFileSource(tmp)).toThrow(`${tmp}: cannot read: is a directory`);
    expect(() => openFileTable(join(tmp, 'nope.zip'))).toThrow(`${join(tmp, 'nope.zip')}: cannot read: no such file or directory`);
  });
});

describe('fileError', () => {
  it('says path, action and reason on one line', () => {
    const err = (code: string) => Object.assign(new Error(`${code}: raw`), { code });
    expect(fileError('a.zip', 'read', err('ENOENT')).message).toBe('a.zip: cannot read: no such file or directory');
    expect(fileError('out/a.zip', 'write', err('ENOENT')).message).toBe('out/a.zip: cannot write: directory out does not exist');
    expect(fileError('d', 'list', err('ENOTDIR')).message).toBe('d: cannot list: not a directory');
    expect(fileError('a.zip', 'read', err('EACCES')).message).toBe('a.zip: cannot read: permission denied');
    expect(fileError('a.zip', 'read', err('EWHATEVER')).message).toBe('a.zip: cannot read: EWHATEVER: raw');
    expect(fileError('a.zip', 'read', err('ENOENT'))).toBeInstanceOf(InputError);
  });

  it('a write refused where the directory exists (/proc) gives the real reason, not "does not exist"', () => {
    const enoent = Object.assign(new Error('ENOENT: raw'), { code: 'ENOENT' });
    expect(fileError(join(tmp, 'x.png'), 'write', enoent).message).toBe(`${join(tmp, 'x.png')}: cannot write: ${tmp} does not accept new entries (a read-only or special file system)`);
    expect(fileError(join(tmp, 'no', 'x.png'), 'write', enoent).message).toBe(`${join(tmp, 'no', 'x.png')}: cannot write: directory ${join(tmp, 'no')} does not exist`);
  });

  it('escapedFileError words raw file-system errors in one line and leaves other errors alone', () => {
    const raw = Object.assign(new Error('EROFS: read-only file system, open \'/ro/x\''), { code: 'EROFS', syscall: 'open', path: '/ro/x' });
    expect(escapedFileError(raw)?.message).toBe('/ro/x: cannot write: read-only file system');
    const missing = Object.assign(new Error('ENOENT'), { code: 'ENOENT', syscall: 'open', path: '/no/x' });
    expect(escapedFileError(missing)?.message).toBe('/no/x: cannot read: no such file or directory');
    const mkdir = Object.assign(new Error('EACCES'), { code: 'EACCES', syscall: 'mkdir', path: '/root/out' });
    expect(escapedFileError(mkdir)?.message).toBe('/root/out: cannot create directory: permission denied');
    expect(escapedFileError(new Error('plain'))).toBeNull();
    expect(escapedFileError(Object.assign(new Error('socket'), { code: 'ECONNRESET' }))).toBeNull();
  });
});

describe('folderFileTable', () => {
  it('readHead of a file shorter than asked gives the whole file', () => {
    const dir = join(tmp, 'folder');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'sub', 'short.bin'), Uint8Array.of(7, 8));
    writeFileSync(join(dir, '.hidden'), 'x');
    const table = folderFileTable(dir);
    expect(table.names).toEqual(['sub/short.bin']);
    expect([...table.readHead('sub/short.bin', 24)]).toEqual([7, 8]);
    expect([...table.readHead('sub/short.bin', 1)]).toEqual([7]);
    expect(() => table.read('missing.png')).toThrow(`${join(dir, 'missing.png')}: cannot read: no such file or directory`);
  });
});
