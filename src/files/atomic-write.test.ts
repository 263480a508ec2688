// Atomic writes (atomic-write.ts): the async file write and the sync file and folder outputs replace their
// destination whole, name the destination when they fail, and leave no temporary output behind.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { makeAtomicFolder, openAtomicFile, removeStaleTemporaries, temporaryName, writeAtomic, writeFileAtomic } from './atomic-write.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'atomic-write-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('replaces a file whole and leaves no temp file', async () => {
    const path = join(dir, 'out.bin');
    await writeFile(path, 'old contents');
    await writeFileAtomic(path, Uint8Array.of(1, 2, 3));
    expect([...(await readFile(path))]).toEqual([1, 2, 3]);
    expect(await readdir(dir)).toEqual(['out.bin']);
  });

  it('fails a write into a missing directory and leaves nothing', async () => {
    const path = join(dir, 'missing', 'net.safetensors');
    await expect(writeFileAtomic(path, new Uint8Array(8))).rejects.toThrow(InputError);
    await expect(writeFileAtomic(path, new Uint8Array(8))).rejects.toThrow(`${path}: cannot write: directory ${join(dir, 'missing')} does not exist`);
    expect(await readdir(dir)).toEqual([]);
  });

  it('names the destination when a parent is a file (the cleanup failing too does not hide it)', async () => {
    await writeFile(join(dir, 'parent'), '');
    const path = join(dir, 'parent', 'net.safetensors');
    await expect(writeFileAtomic(path, new Uint8Array(8))).rejects.toThrow(`${path}: cannot write: a parent of this path is not a directory`);
    expect(await readdir(dir)).toEqual(['parent']);
  });

  it('removes the temp file when the final rename fails', async () => {
    const path = join(dir, 'occupied');
    await mkdir(path);
    await writeFile(join(path, 'keep'), '');
    await expect(writeFileAtomic(path, new Uint8Array(8))).rejects.toThrow(InputError);
    expect(await readdir(dir)).toEqual(['occupied']);
  });

  it("passes the writer's own error through unchanged and removes the temp file", async () => {
    const path = join(dir, 'streamed.bin');
    const own = new Error('internal: writer broke');
    await expect(
      writeAtomic(path, async (file) => {
        await file.write(Uint8Array.of(1));
        throw own;
      }),
    ).rejects.toBe(own);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('sync atomic outputs', () => {
  it('a file is written under the temporary name and appears whole on commit', () => {
    const path = join(dir, 'data.zip');
    writeFileSync(path, 'old');
    const file = openAtomicFile(path);
    expect(file.temp).toBe(temporaryName(path));
    writeSync(file.fd, Uint8Array.of(7, 8));
    expect(readFileSync(path, 'utf8')).toBe('old');
    file.commit();
    expect([...readFileSync(path)]).toEqual([7, 8]);
    expect(readdirSync(dir)).toEqual(['data.zip']);
    file.abort();
    expect(readdirSync(dir)).toEqual(['data.zip']);
  });

  it('abort removes the temporary file and leaves the old output', () => {
    const path = join(dir, 'data.zip');
    writeFileSync(path, 'old');
    const file = openAtomicFile(path);
    writeSync(file.fd, Uint8Array.of(1));
    file.abort();
    file.abort();
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['data.zip']);
  });

  it('a folder replaces a file only with removeExisting; a failed commit names the path and cleans up', () => {
    const path = join(dir, 'dataset');
    mkdirSync(path);
    writeFileSync(join(path, 'old.png'), '');
    const refused = makeAtomicFolder(path);
    writeFileSync(join(refused.temp, 'new.png'), '');
    expect(() => refused.commit()).toThrow(`${path}: cannot write: `);
    expect(readdirSync(dir)).toEqual(['dataset']);
    const folder = makeAtomicFolder(path, { removeExisting: true });
    writeFileSync(join(folder.temp, 'new.png'), '');
    folder.commit();
    expect(readdirSync(path)).toEqual(['new.png']);
    expect(readdirSync(dir)).toEqual(['dataset']);
  });

  it('names the destination when the temporary output cannot be made', () => {
    const path = join(dir, 'missing', 'data.zip');
    expect(() => openAtomicFile(path)).toThrow(`${path}: cannot write: directory ${join(dir, 'missing')} does not exist`);
    expect(() => makeAtomicFolder(path)).toThrow(`${path}: cannot write: directory ${join(dir, 'missing')} does not exist`);
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });
});

describe('removeStaleTemporaries', () => {
  it('removes partial outputs of processes that no longer run, and keeps those of running ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lego-stale-'));
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(join(dir, `state.safetensors.tmp-${gone}`), 'partial');
    mkdirSync(join(dir, `data.zip.tmp-${gone}`));
    writeFileSync(join(dir, `mine.safetensors.tmp-${process.pid}`), 'being written');
    writeFileSync(join(dir, 'state.safetensors'), 'complete');
    expect(removeStaleTemporaries(dir).sort()).toEqual([`data.zip.tmp-${gone}`, `state.safetensors.tmp-${gone}`]);
    expect(readdirSync(dir).sort()).toEqual([`mine.safetensors.tmp-${process.pid}`, 'state.safetensors']);
    await rm(dir, { recursive: true, force: true });
  });
});
