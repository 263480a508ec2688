// File-system faults during atomic writes (atomic-write.ts), injected through mocks of node:fs and
// node:fs/promises, since tests run as root and chmod stops nothing: a full disk, a read-only directory or
// file system, I/O errors on close and on the directory fsync, and a destination in the way, for the async
// and the sync entry points. Each failure must leave the old output or the whole new one, no temporary
// output, and throw a one-line InputError naming the destination.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InputError } from '../errors.js';
import { makeAtomicFolder, openAtomicFile, writeAtomic, writeError, writeFileAtomic } from './atomic-write.js';

/** The steps of an atomic write a fault can hit. */
type Step = 'create' | 'write' | 'sync' | 'close' | 'moveAside' | 'rename' | 'removeOld' | 'syncDir';

/** The next `step` fails with `code`, once; `hit` records that it did. */
const injected = vi.hoisted(() => ({ fault: null as { step: string; code: string; hit: boolean } | null }));

/** Throw the armed fault if it is for `step`. */
const failAt = vi.hoisted(() => (step: string) => {
  const f = injected.fault;
  if (!f || f.hit || f.step !== step) return;
  f.hit = true;
  throw Object.assign(new Error(`${f.code}: injected fault at ${step}`), { code: f.code, syscall: step });
});

/** Temporary outputs are named `<path>.tmp-<pid>`: everything else is a destination or an old output. */
const isTemp = vi.hoisted(() => (path: unknown) => String(path).includes('.tmp-'));

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const dirs = new Set<number>(); // descriptors opened on directories (for their fsync)
  return {
    ...real,
    openSync: (path: string, flags: string) => {
      if (flags === 'w' && isTemp(path)) failAt('create');
      const fd = real.openSync(path, flags);
      if (flags === 'r' && real.statSync(path).isDirectory()) dirs.add(fd);
      return fd;
    },
    mkdirSync: (path: string, options?: object) => {
      if (isTemp(path)) failAt('create');
      return real.mkdirSync(path, options);
    },
    writeSync: (fd: number, ...rest: [Uint8Array]) => {
      failAt('write');
      return real.writeSync(fd, ...rest);
    },
    writeFileSync: (path: string, ...rest: [Uint8Array]) => {
      if (isTemp(path)) failAt('write');
      return real.writeFileSync(path, ...rest);
    },
    fsyncSync: (fd: number) => {
      failAt(dirs.has(fd) ? 'syncDir' : 'sync');
      return real.fsyncSync(fd);
    },
    closeSync: (fd: number) => {
      const dir = dirs.delete(fd);
      real.closeSync(fd); // closed either way, as a failing close(2) does
      if (!dir) failAt('close');
    },
    renameSync: (from: string, to: string) => {
      failAt(isTemp(from) ? 'rename' : 'moveAside');
      return real.renameSync(from, to);
    },
    rmSync: (path: string, options?: object) => {
      if (!isTemp(path)) failAt('removeOld');
      return real.rmSync(path, options);
    },
  };
});

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  /** The handle with its write, sync and close failing where a fault is armed. */
  const faulty = (handle: import('node:fs/promises').FileHandle, dir: boolean) =>
    new Proxy(handle, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        const step = prop === 'write' || prop === 'writeFile' ? 'write' : prop === 'sync' ? (dir ? 'syncDir' : 'sync') : prop === 'close' && !dir ? 'close' : null;
        return async (...args: unknown[]) => {
          if (step === 'close') {
            await value.apply(target, args); // closed either way, as a failing close(2) does
            failAt(step);
            return;
          }
          if (step) failAt(step);
          return value.apply(target, args);
        };
      },
    });
  return {
    ...real,
    open: async (path: string, flags: string) => {
      if (flags === 'w' && isTemp(path)) failAt('create');
      return faulty(await real.open(path, flags), flags === 'r');
    },
    rename: async (from: string, to: string) => {
      failAt(isTemp(from) ? 'rename' : 'moveAside');
      return real.rename(from, to);
    },
  };
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'atomic-faults-'));
  injected.fault = null;
});
afterEach(async () => {
  injected.fault = null;
  await rm(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------------
// The entry points, each writing NEW to `path`

const NEW = Uint8Array.of(1, 2, 3, 4);

/** How each entry point is used: the async ones directly, the sync ones as their callers do (try, abort, writeError). */
const entryPoints: Record<string, { folder: boolean; removeExisting: boolean; write: (path: string) => Promise<void> }> = {
  writeFileAtomic: { folder: false, removeExisting: false, write: (path) => writeFileAtomic(path, NEW) },
  'writeAtomic (streamed)': {
    folder: false,
    removeExisting: false,
    write: (path) =>
      writeAtomic(path, async (file) => {
        await file.write(NEW.subarray(0, 2));
        await file.write(NEW.subarray(2));
      }),
  },
  openAtomicFile: { folder: false, removeExisting: false, write: async (path) => syncFile(path, false) },
  'openAtomicFile (removeExisting)': { folder: false, removeExisting: true, write: async (path) => syncFile(path, true) },
  'makeAtomicFolder (removeExisting)': {
    folder: true,
    removeExisting: true,
    write: async (path) => {
      const folder = makeAtomicFolder(path, { removeExisting: true });
      try {
        writeFileSync(join(folder.temp, 'new.bin'), NEW);
        folder.commit();
      } catch (e) {
        folder.abort();
        throw writeError(path, e);
      }
    },
  },
};

function syncFile(path: string, removeExisting: boolean): void {
  const file = openAtomicFile(path, { removeExisting });
  try {
    writeSync(file.fd, NEW);
    file.commit();
  } catch (e) {
    file.abort();
    throw writeError(path, e);
  }
}

/** What is at `path` now: nothing, the old output or the new one (anything else fails the test). */
function outputAt(path: string, folder: boolean): 'none' | 'old' | 'new' {
  const names = readdirSync(dir);
  if (!names.includes('out')) return 'none';
  if (folder) {
    const inside = readdirSync(path);
    if (inside.length === 1 && inside[0] === 'new.bin' && Buffer.from(NEW).equals(readFileSync(join(path, 'new.bin')))) return 'new';
    expect(inside).toEqual(['old.bin']);
    return 'old';
  }
  const bytes = readFileSync(path);
  if (Buffer.from(NEW).equals(bytes)) return 'new';
  expect(bytes.toString()).toBe('old');
  return 'old';
}

/** A one-line InputError naming the destination. */
async function expectRefusal(write: Promise<void>, path: string): Promise<void> {
  const error = await write.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(InputError);
  expect((error as Error).message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot write: [^\\n]+$`));
}

// ---------------------------------------------------------------------------------------------------------
// Faults

/** Faults and the errors the system gives for them; steps after the rename leave the new output. */
const FAULTS: { step: Step; codes: string[]; after: boolean; onlyRemoveExisting?: boolean }[] = [
  { step: 'create', codes: ['EACCES', 'EROFS', 'ENOSPC'], after: false },
  { step: 'write', codes: ['ENOSPC', 'EIO'], after: false },
  { step: 'sync', codes: ['ENOSPC', 'EIO'], after: false },
  { step: 'close', codes: ['EIO', 'ENOSPC'], after: false },
  { step: 'moveAside', codes: ['EACCES', 'EROFS'], after: false, onlyRemoveExisting: true },
  { step: 'rename', codes: ['EACCES', 'EROFS', 'ENOSPC'], after: false },
  { step: 'removeOld', codes: ['EIO'], after: true, onlyRemoveExisting: true },
  { step: 'syncDir', codes: ['EIO'], after: true },
];

describe('atomic writes under injected faults leave the old output or the new one, and no temporary output', () => {
  for (const [name, { folder, removeExisting, write }] of Object.entries(entryPoints)) {
    describe(name, () => {
      for (const { step, codes, after, onlyRemoveExisting } of FAULTS) {
        if (onlyRemoveExisting && !removeExisting) continue;
        if (folder && (step === 'sync' || step === 'close')) continue; // a folder's files are not fsynced one by one
        for (const code of codes) {
          for (const old of [true, false]) {
            if (onlyRemoveExisting && !old) continue;
            it(`${code} at ${step}${old ? ', replacing an old output' : ''}`, async () => {
              const path = join(dir, 'out');
              if (old && folder) {
                mkdirSync(path);
                writeFileSync(join(path, 'old.bin'), 'old');
              } else if (old) writeFileSync(path, 'old');
              injected.fault = { step, code, hit: false };
              await expectRefusal(write(path), path);
              expect(injected.fault.hit).toBe(true);
              injected.fault = null;
              expect(outputAt(path, folder)).toBe(after ? 'new' : old ? 'old' : 'none');
              // Nothing else: only a failure to delete the replaced output leaves it, under its aside name.
              const aside = step === 'removeOld' ? [`out.old-${process.pid}`] : [];
              expect(readdirSync(dir).filter((n) => n !== 'out' && !aside.includes(n))).toEqual([]);
            });
          }
        }
      }

      it('a destination in the way (a folder where a file goes, or the reverse without removeExisting) stays as it was', async () => {
        const path = join(dir, 'out');
        if (folder || removeExisting) return; // these replace whatever is there, by design
        mkdirSync(path);
        writeFileSync(join(path, 'keep'), 'kept');
        await expectRefusal(write(path), path);
        expect(readdirSync(dir)).toEqual(['out']);
        expect(readFileSync(join(path, 'keep'), 'utf8')).toBe('kept');
      });

      it('a file where a parent directory should be: refused, nothing made', async () => {
        writeFileSync(join(dir, 'parent'), 'a file');
        const path = join(dir, 'parent', 'out');
        await expectRefusal(write(path), path);
        expect(readdirSync(dir)).toEqual(['parent']);
        rmSync(join(dir, 'parent'));
      });
    });
  }
});
