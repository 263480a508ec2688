// Run directories: EDM-style names numbered past the highest id, snapshot and state file names by kimg,
// the newest snapshot or state of a directory, and the files a run resumed in place updates.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import {
  appendRunLog, createRunDir, dropStatsAfter, readRunOptions, resolveSnapshotFile, resolveTrainingStateFile, runDescription, runDirOf,
  setAsideDamaged, snapshotFile, trainingStateFile, trainingStateFiles,
} from './run-dir.js';

const tmp = mkdtempSync(join(tmpdir(), 'lego-run-dir-'));

describe('run names', () => {
  it('<data>-<arch>-batch<B>, a stack file by its base name', () => {
    expect(runDescription({ data: 'data/mnist32.zip', arch: 'lego_S_PG_64', batch: 64 })).toBe('mnist32-lego_S_PG_64-batch64');
    expect(runDescription({ data: 'mnist-dir', arch: 'stacks/tiny.json', batch: 8 })).toBe('mnist-dir-tiny-batch8');
  });

  it('snapshot and state files by whole kimg, six digits', () => {
    expect(basename(snapshotFile('run', 12_999))).toBe('network-snapshot-000012.safetensors');
    expect(basename(trainingStateFile('run', 200_000))).toBe('training-state-000200.safetensors');
  });

  it('numbers a new run one past the highest id and writes its options', () => {
    const outdir = join(tmp, 'runs');
    mkdirSync(join(outdir, '00007-old'), { recursive: true });
    const options = { outdir, data: 'mnist32.zip', arch: 'lego_S_PG_64', batch: 16 };
    const dir = createRunDir(options);
    expect(basename(dir)).toBe('00008-mnist32-lego_S_PG_64-batch16');
    expect(JSON.parse(readFileSync(join(dir, 'training_options.json'), 'utf8'))).toEqual(options);
    expect(runDirOf(dir)).toBe(dir);
    writeFileSync(join(dir, 'training-state-000001.safetensors'), '');
    expect(runDirOf(join(dir, 'training-state-000001.safetensors'))).toBe(dir);
    expect(runDirOf(join(dir, 'training-state-000009.safetensors'))).toBeNull(); // no such file: the caller says so
    expect(runDirOf(join(tmp, 'elsewhere', 'state.pt'))).toBeNull();
    expect(runDirOf(outdir)).toBeNull(); // no training_options.json: not a run
  });

  it('runs started at the same moment in one outdir each get a directory of their own', async () => {
    const outdir = join(tmp, 'together');
    const script = join(tmp, 'make-runs.mts');
    // Each process waits for the same moment, then makes 20 runs as fast as it can: ids are read and claimed at once.
    const start = Date.now() + 3000;
    writeFileSync(script, [
      `import { createRunDir } from ${JSON.stringify(new URL('./run-dir.ts', import.meta.url).pathname)};`,
      `while (Date.now() < ${start});`,
      `for (let i = 0; i < 20; i++) createRunDir({ outdir: ${JSON.stringify(outdir)}, data: 'd.zip', arch: 'a', batch: 1 });`,
    ].join('\n'));
    const exits = await Promise.all(Array.from({ length: 6 }, () => new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
      child.on('close', (code) => done({ code, stderr }));
    })));
    for (const e of exits) expect(e.code, e.stderr).toBe(0);
    const dirs = readdirSync(outdir).sort();
    expect(dirs).toEqual(Array.from({ length: 120 }, (_, i) => `${String(i).padStart(5, '0')}-d-a-batch1`));
  }, 60_000);
});

describe('finding files in a run', () => {
  const dir = join(tmp, 'found');
  mkdirSync(dir);
  for (const f of ['network-snapshot-000002.safetensors', 'network-snapshot-000010.safetensors', 'training-state-000002.safetensors', 'log.txt']) {
    writeFileSync(join(dir, f), '');
  }

  it('the newest snapshot or state of a directory; a file is itself', () => {
    expect(basename(resolveSnapshotFile(dir))).toBe('network-snapshot-000010.safetensors');
    expect(basename(resolveTrainingStateFile(dir))).toBe('training-state-000002.safetensors');
    expect(resolveSnapshotFile(join(dir, 'log.txt'))).toBe(join(dir, 'log.txt'));
  });

  it('errors name the path, or the label given', () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    expect(() => resolveSnapshotFile(empty)).toThrow(new InputError(`${empty}: a directory without network-snapshot-*.safetensors files; not a training run`));
    expect(() => resolveTrainingStateFile(empty, `--resume ${empty}`)).toThrow(`--resume ${empty}: no training-state-*.safetensors in this directory`);
    expect(() => resolveTrainingStateFile(join(tmp, 'nope'), '--resume nope')).toThrow('--resume nope: no such file or directory');
  });
});

describe('resuming in place', () => {
  const dir = join(tmp, 'in-place');
  mkdirSync(dir);

  it('lists the states newest first, and sets a damaged one aside', () => {
    for (const f of ['training-state-000001.safetensors', 'training-state-000003.pt', 'training-state-000002.safetensors.tmp-99', 'network-snapshot-000004.safetensors']) {
      writeFileSync(join(dir, f), '');
    }
    expect(trainingStateFiles(dir).map((f) => basename(f))).toEqual(['training-state-000003.pt', 'training-state-000001.safetensors']);
    expect(setAsideDamaged(join(dir, 'training-state-000003.pt'))).toBe(join(dir, 'training-state-000003.pt.damaged'));
    expect(trainingStateFiles(dir).map((f) => basename(f))).toEqual(['training-state-000001.safetensors']);
  });

  it('drops the stats past the resumed tick, and a line cut short', async () => {
    const line = (tick: number) => JSON.stringify({ tick, kimg: tick / 10 });
    writeFileSync(join(dir, 'stats.jsonl'), `${[1, 2, 3, 4].map(line).join('\n')}\n{"tick": 5, "kim`);
    expect(await dropStatsAfter(dir, 2)).toBe(3);
    expect(readFileSync(join(dir, 'stats.jsonl'), 'utf8')).toBe(`${line(1)}\n${line(2)}\n`);
    expect(await dropStatsAfter(dir, 2)).toBe(0);
    expect(await dropStatsAfter(join(tmp, 'found'), 0)).toBe(0); // no stats.jsonl yet
    expect(existsSync(join(tmp, 'found', 'stats.jsonl'))).toBe(false);
  });

  it('appends to log.txt', () => {
    appendRunLog(dir, 'one');
    appendRunLog(dir, 'two');
    expect(readFileSync(join(dir, 'log.txt'), 'utf8')).toBe('one\ntwo\n');
  });

  it('reads the recorded options, naming the file when they are not there', () => {
    expect(() => readRunOptions(dir)).toThrow(InputError);
    expect(() => readRunOptions(dir)).toThrow(join(dir, 'training_options.json'));
  });
});
