// Resuming a run in its own directory: the recorded options with the flags given again laid over them, and
// the newest training state that loads (a damaged newer one is named, and skipped only when asked).
import { basename } from 'node:path';
import { InputError } from '../errors.js';
import { readTrainingState } from '../io/training-state-file.js';
import type { LoadedTrainingState } from '../io/training-state.js';
import type { LegoConfig } from '../lego/config.js';
import type { TrainOptions } from './options.js';
import { trainingStateFiles } from './run-dir.js';

// ---------------------------------------------------------------------------------------------
// Options

/**
 * The options a flag given again may change when a run resumes. The rest stay as recorded: the stack
 * (`arch`, `config`), where the run lives (`outdir`), how it started (`resume`, `transfer`), what sets the
 * length and the EMA half-life once (`minutes`, `emaFraction`).
 */
export const RESTORABLE_OPTIONS = [
  'data', 'cond', 'batch', 'batchGpu', 'microBatch', 'lr', 'lrRampupKimg', 'lrDecay', 'emaKimg', 'emaRampup',
  'durationKimg', 'xflip', 'seed', 'tickKimg', 'snapTicks', 'dumpTicks', 'labelDropout', 'pMean', 'pStd', 'threads',
] as const satisfies readonly (keyof TrainOptions)[];
export type RestorableOption = (typeof RESTORABLE_OPTIONS)[number];

/** The options given explicitly on the command line of a resume; an absent field keeps the recorded value. */
export type ExplicitOptions = { [K in RestorableOption]?: TrainOptions[K] };

/** One option a resume changed. */
export interface OptionChange<K extends RestorableOption = RestorableOption> {
  option: K;
  from: TrainOptions[K];
  to: TrainOptions[K];
}

/**
 * Options that change only how long the run goes and how it reports, never the numbers it computes; the
 * length only while the learning rate does not decay towards the end of the run.
 */
const KEEPS_BIT_EXACT: ReadonlySet<RestorableOption> = new Set(['durationKimg', 'tickKimg', 'snapTicks', 'dumpTicks']);

/**
 * The options to resume a run with: `recorded` (its training_options.json, key order kept) with each
 * `explicit` value laid over it, and the options that changed. Cross-option checks (batch splits) are the
 * caller's.
 *
 * @example
 * const { options, changes } = restoreOptions(readRunOptions(runDir), { durationKimg: 400 });
 * // changes: [{ option: 'durationKimg', from: 200, to: 400 }]
 */
export function restoreOptions(recorded: TrainOptions, explicit: ExplicitOptions): { options: TrainOptions; changes: OptionChange[] } {
  const options = { ...recorded };
  const changes: OptionChange[] = [];
  for (const option of RESTORABLE_OPTIONS) {
    const value = explicit[option];
    if (value === undefined || value === recorded[option]) continue;
    setOption(options, option, value);
    changes.push({ option, from: recorded[option], to: value });
  }
  return { options, changes };
}

function setOption<K extends RestorableOption>(options: TrainOptions, option: K, value: TrainOptions[K]): void {
  options[option] = value;
}

/**
 * One log line on what a resume changed, and whether the continuation still matches an uninterrupted run bit
 * for bit; `lrDecay` is the resumed run's (a decay ties the learning rate to the length).
 */
export function describeChanges(changes: readonly OptionChange[], { lrDecay = 0 }: { lrDecay?: number } = {}): string {
  const list = changes.map(({ option, from, to }) => `${option} ${JSON.stringify(from)} -> ${JSON.stringify(to)}`).join(', ');
  const exact = changes.every((c) => KEEPS_BIT_EXACT.has(c.option) && !(c.option === 'durationKimg' && lrDecay > 0));
  return `resuming with options changed from training_options.json: ${list}; ` +
    (exact ? 'these change only the length and reporting, so training stays bit-exact' : 'the continuation is no longer bit-exact with the run as recorded');
}

// ---------------------------------------------------------------------------------------------
// Training states

/** A training state that loaded, and the file it came from. */
export interface ResumePoint {
  file: string;
  state: LoadedTrainingState;
}

/** A training state that does not load: the file and the one-line error that says why (naming the file). */
export interface DamagedState {
  file: string;
  problem: string;
}

/**
 * Load a training state of a run and check that it holds the run's stack. Throws InputError naming the file.
 */
export async function loadRunState(file: string, config: LegoConfig): Promise<ResumePoint> {
  let state: LoadedTrainingState;
  try {
    state = await readTrainingState(file);
  } catch (e) {
    // File-system errors (unreadable file) are as much a damaged state as a bad header.
    if (e instanceof InputError || typeof (e as NodeJS.ErrnoException).code === 'string') throw new InputError(problemOf(file, e as Error));
    throw e;
  }
  if (JSON.stringify(state.config) !== JSON.stringify(config)) {
    throw new InputError(`${file}: its stack differs from the run's (training_options.json config); not a state of this run`);
  }
  return { file, state };
}

/** An error's message as a problem of `file`: already naming it, or prefixed with its name. */
function problemOf(file: string, e: Error): string {
  return e.message.includes(file) ? e.message : `${file}: ${e.message}`;
}

/**
 * The newest training state of `runDir` that loads and holds the run's stack, and the newer ones that do
 * not (newest first). When the newest is damaged, `fallback` false throws InputError in one line naming it,
 * its problem and the state that could be used instead; `fallback` true returns the older state and the
 * damaged list for the caller to report.
 */
export async function newestRunState(runDir: string, config: LegoConfig, { fallback }: { fallback: boolean }): Promise<ResumePoint & { damaged: DamagedState[] }> {
  const files = trainingStateFiles(runDir);
  if (files.length === 0) throw new InputError(`${runDir}: no training-state-*.safetensors in this run directory`);
  const damaged: DamagedState[] = [];
  for (const file of files) {
    let point: ResumePoint;
    try {
      point = await loadRunState(file, config);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      damaged.push({ file, problem: e.message });
      continue;
    }
    if (damaged.length > 0 && !fallback) throw new InputError(damagedMessage(damaged, point.file));
    return { ...point, damaged };
  }
  throw new InputError(damagedMessage(damaged, null));
}

/** "<newest>: <problem>; <what could be used instead>", one line. */
function damagedMessage(damaged: readonly DamagedState[], usable: string | null): string {
  const [newest] = damaged;
  const older = damaged.slice(1).map((d) => basename(d.file));
  const others = older.length > 0 ? `; ${older.join(', ')} ${older.length === 1 ? 'is' : 'are'} damaged too` : '';
  if (usable === null) return `${newest.problem}${others}; no earlier training state of this run loads`;
  return `${newest.problem}${others}; the previous state ${usable} loads: add --resume-fallback to continue from it`;
}
