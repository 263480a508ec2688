// EDM-style run directories: outdir/NNNNN-<data>-<arch>-batch<B> holding training_options.json, log.txt,
// stats.jsonl, network-snapshot-KKKKKK.safetensors and training-state-KKKKKK.safetensors (KKKKKK the
// whole kimg trained); finding the newest snapshot or state in one, and the files a resumed run updates.
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import { ensureDir } from '../files/ensure-dir.js';
import { fileError } from '../files/fs-files.js';
import { isNamedStack } from '../lego/small-presets.js';
import { parseTrainOptions, type TrainOptions } from './options.js';

/** The options of the run (as started, or as last resumed with changes), beside its other files. */
const OPTIONS_FILE = 'training_options.json';
/** The run's log, appended to by every start and resume. */
export const LOG_FILE = 'log.txt';
/** One JSON line per tick. */
export const STATS_FILE = 'stats.jsonl';

// ---------------------------------------------------------------------------------------------
// Names

/** `<data>-<arch>-batch<B>`: the dataset's base name (without .zip), a preset's name or a stack file's base name. */
export function runDescription({ data, arch, batch }: Pick<TrainOptions, 'data' | 'arch' | 'batch'>): string {
  const archName = isNamedStack(arch) ? arch : basename(arch, '.json');
  return `${basename(data).replace(/\.zip$/, '')}-${archName}-batch${batch}`;
}

const kimgTag = (nimg: number) => String(Math.floor(nimg / 1000)).padStart(6, '0');

/** runDir/network-snapshot-KKKKKK.safetensors for a snapshot taken after `nimg` images. */
export function snapshotFile(runDir: string, nimg: number): string {
  return join(runDir, `network-snapshot-${kimgTag(nimg)}.safetensors`);
}

/** runDir/training-state-KKKKKK.safetensors for a state written after `nimg` images. */
export function trainingStateFile(runDir: string, nimg: number): string {
  return join(runDir, `training-state-${kimgTag(nimg)}.safetensors`);
}

// ---------------------------------------------------------------------------------------------
// Creating and finding

/**
 * Create options.outdir/NNNNN-<runDescription>, NNNNN one past the highest run id there, and write
 * `options` (all of them: the training options) into it as training_options.json. Returns its path.
 */
export function createRunDir(options: Pick<TrainOptions, 'outdir' | 'data' | 'arch' | 'batch'>): string {
  ensureDir(options.outdir);
  const dir = claimRunDir(options.outdir, runDescription(options));
  try {
    writeFileSync(join(dir, OPTIONS_FILE), `${JSON.stringify(options, null, 2)}\n`);
  } catch (e) {
    throw fileError(join(dir, OPTIONS_FILE), 'write', e);
  }
  return dir;
}

/** Runs started at once in one outdir that may each see the others' ids before making their own. */
const RUN_ID_ATTEMPTS = 100;

/**
 * Make outdir/NNNNN-description with NNNNN one past the highest id there. Two runs started at the same
 * moment can pick the same id: the one whose mkdir fails with EEXIST picks again.
 */
function claimRunDir(outdir: string, description: string): string {
  for (let attempt = 0; ; attempt++) {
    const ids = readdirSync(outdir).map((f) => /^(\d{5})-/.exec(f)).filter((m) => m !== null).map((m) => Number(m[1]));
    const dir = join(outdir, `${String(ids.length ? Math.max(...ids) + 1 : 0).padStart(5, '0')}-${description}`);
    try {
      mkdirSync(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt + 1 >= RUN_ID_ATTEMPTS) throw fileError(dir, 'create directory', e);
    }
  }
}

/** `path` itself when it is a file, else the name-wise last file in it that `pattern` matches; null when none does. */
function newestIn(path: string, pattern: RegExp, label: string): string | null {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new InputError(`${label}: no such file or directory`);
  }
  if (!isDir) return path;
  const files = readdirSync(path).filter((f) => pattern.test(f)).sort();
  return files.length === 0 ? null : join(path, files[files.length - 1]);
}

/**
 * The network a path names: the file itself, or a run directory's newest network-snapshot-* (ours or the
 * authors' .pkl). Errors start with `label` (default: the path).
 */
export function resolveSnapshotFile(path: string, label = path): string {
  const file = newestIn(path, /^network-snapshot-\d+\.(safetensors|pkl)$/, label);
  if (file === null) throw new InputError(`${label}: a directory without network-snapshot-*.safetensors files; not a training run`);
  return file;
}

/**
 * The training state a path names: the file itself, or a run directory's newest training-state-* (ours or
 * the authors' .pt). Errors start with `label` (default: the path).
 */
export function resolveTrainingStateFile(path: string, label = path): string {
  const file = newestIn(path, /^training-state-\d+\.(safetensors|pt)$/, label);
  if (file === null) throw new InputError(`${label}: no training-state-*.safetensors in this directory`);
  return file;
}

// ---------------------------------------------------------------------------------------------
// Resuming in place

/**
 * The run directory a `--resume` path continues: the path itself when it holds training_options.json, or the
 * directory of a state file that does; null for anything else (a bare state file, the authors' .pt).
 */
export function runDirOf(path: string): string | null {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    return null;
  }
  const dir = isDir ? path : dirname(path);
  return existsSync(join(dir, OPTIONS_FILE)) ? dir : null;
}

/** The training options recorded in a run directory. Throws InputError naming the file. */
export function readRunOptions(runDir: string): TrainOptions {
  const file = join(runDir, OPTIONS_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw fileError(file, 'read', e);
  }
  return parseTrainOptions(text, file);
}

/** Replace a run's training_options.json (atomically), so that a later resume restores these options. */
export async function writeRunOptions(runDir: string, options: TrainOptions): Promise<void> {
  await writeFileAtomic(join(runDir, OPTIONS_FILE), new TextEncoder().encode(`${JSON.stringify(options, null, 2)}\n`));
}

/** A run directory's training-state-* files (ours or the authors' .pt), newest first. */
export function trainingStateFiles(runDir: string): string[] {
  return readdirSync(runDir).filter((f) => /^training-state-\d+\.(safetensors|pt)$/.test(f)).sort().reverse().map((f) => join(runDir, f));
}

/** Append one line to the run's log.txt. */
export function appendRunLog(runDir: string, line: string): void {
  appendFileSync(join(runDir, LOG_FILE), `${line}\n`);
}

/**
 * Drop the stats.jsonl lines past `tick` (and any line cut short by a kill): a run resumed from the state of
 * that tick reports the later ticks again. Returns how many lines were dropped.
 */
export async function dropStatsAfter(runDir: string, tick: number): Promise<number> {
  const file = join(runDir, STATS_FILE);
  if (!existsSync(file)) return 0;
  const lines = readFileSync(file, 'utf8').split('\n').filter((line) => line !== '');
  const kept = lines.filter((line) => {
    try {
      const stats = JSON.parse(line) as { tick?: unknown };
      return typeof stats.tick === 'number' && stats.tick <= tick;
    } catch {
      return false;
    }
  });
  if (kept.length < lines.length) await writeFileAtomic(file, new TextEncoder().encode(kept.map((line) => `${line}\n`).join('')));
  return lines.length - kept.length;
}

/** Rename a training state that does not load to `<name>.damaged`, out of the way of later resumes. Returns the new path. */
export function setAsideDamaged(file: string): string {
  const aside = `${file}.damaged`;
  renameSync(file, aside);
  return aside;
}
