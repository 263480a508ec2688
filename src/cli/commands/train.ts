// `lego train`: train a LEGO stack with the authors' recipe into an EDM-style run directory; resumable.
import { availableParallelism } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { InputError, UsageError } from '../../errors.js';
import { checkDatasetForModel } from '../../data/dataset-checks.js';
import { openTrainingData } from '../../data/dataset-reader.js';
import { removeStaleTemporaries } from '../../files/atomic-write.js';
import type { Dataset } from '../../data/dataset.js';
import { isLatentDataset, type LatentDataset } from '../../data/latent-dataset.js';
import { loadAnyCheckpoint } from '../../io/load-any.js';
import { readTrainingState } from '../../io/training-state-file.js';
import { train, type TrainingImages, type TrainStart } from '../../train/loop.js';
import { defaultMicroBatch } from '../../lego/micro-batch.js';
import { BUDGET_RULES } from '../../train/budget.js';
import { applyEmaFraction, BUDGET_DEFAULTS, TRAIN_DEFAULTS, type TrainOptions } from '../../train/options.js';
import {
  describeChanges, loadRunState, newestRunState, restoreOptions, RESTORABLE_OPTIONS,
  type DamagedState, type ExplicitOptions, type OptionChange, type RestorableOption, type ResumePoint,
} from '../../train/resume.js';
import {
  appendRunLog, createRunDir, dropStatsAfter, readRunOptions, resolveTrainingStateFile, runDirOf, setAsideDamaged, writeRunOptions,
} from '../../train/run-dir.js';
import { checkCondForArch, parseIntFlag, parseMicroBatch, parseNumberFlag, parseThreads, resolveArch } from '../args.js';

interface TrainFlags {
  data?: string;
  outdir: string;
  arch: string;
  cond?: boolean;
  batch: string;
  batchGpu?: string;
  microBatch?: string;
  lr: string;
  lrRampup: string;
  lrDecay?: string;
  ema: string;
  emaRampup: string;
  emaFraction?: string;
  duration: string;
  minutes?: string;
  xflip?: boolean;
  seed: string;
  tick: string;
  snap: string;
  dump: string;
  labelDropout: string;
  pMean: string;
  pStd: string;
  resume?: string;
  resumeFallback?: boolean;
  transfer?: string;
  threads?: string;
  dryRun?: boolean;
}

/**
 * The flag of each option a resume may change (its commander attribute and its own parse; checks between
 * flags come after). `parse` is called only when the flag has a value.
 */
const OPTION_FLAGS: { [K in RestorableOption]: { attr: keyof TrainFlags; parse: (flags: TrainFlags) => TrainOptions[K] } } = {
  data: { attr: 'data', parse: (f) => f.data ?? '' },
  cond: { attr: 'cond', parse: (f) => !!f.cond },
  batch: { attr: 'batch', parse: (f) => parseIntFlag('--batch', f.batch, { min: 1 }) },
  batchGpu: { attr: 'batchGpu', parse: (f) => parseIntFlag('--batch-gpu', f.batchGpu ?? '', { min: 1 }) },
  microBatch: { attr: 'microBatch', parse: (f) => parseIntFlag('--micro-batch', f.microBatch ?? '', { min: 1 }) },
  lr: { attr: 'lr', parse: (f) => parseNumberFlag('--lr', f.lr, { min: 0 }) },
  lrRampupKimg: { attr: 'lrRampup', parse: (f) => parseNumberFlag('--lr-rampup', f.lrRampup, { min: 0 }) },
  lrDecay: { attr: 'lrDecay', parse: (f) => parseLrDecay(f.lrDecay ?? '') },
  emaKimg: { attr: 'ema', parse: (f) => parseNumberFlag('--ema', f.ema, { min: 0 }) },
  emaRampup: { attr: 'emaRampup', parse: (f) => (f.emaRampup === 'none' ? null : parseNumberFlag('--ema-rampup', f.emaRampup, { min: 0 })) },
  durationKimg: { attr: 'duration', parse: (f) => parseNumberFlag('--duration', f.duration, { min: 0 }) },
  xflip: { attr: 'xflip', parse: (f) => !!f.xflip },
  seed: { attr: 'seed', parse: (f) => parseIntFlag('--seed', f.seed, { min: 0, max: 2 ** 32 - 1 }) },
  tickKimg: { attr: 'tick', parse: (f) => parseNumberFlag('--tick', f.tick, { min: 1e-6 }) },
  snapTicks: { attr: 'snap', parse: (f) => parseIntFlag('--snap', f.snap, { min: 1 }) },
  dumpTicks: { attr: 'dump', parse: (f) => parseIntFlag('--dump', f.dump, { min: 1 }) },
  labelDropout: { attr: 'labelDropout', parse: (f) => parseLabelDropout(f.labelDropout) },
  pMean: { attr: 'pMean', parse: (f) => parseNumberFlag('--p-mean', f.pMean) },
  pStd: { attr: 'pStd', parse: (f) => parseNumberFlag('--p-std', f.pStd, { min: 1e-6 }) },
  threads: { attr: 'threads', parse: (f) => parseThreads(f.threads) ?? null },
};

/** A flag whose value lies in [0, 1); `what` names it in the error ("a probability"). */
function parseUnitFraction(flag: string, value: string, what: string): number {
  const x = parseNumberFlag(flag, value, { min: 0 });
  if (x >= 1) throw new UsageError(`${flag}: expected ${what} in [0, 1), got ${x}`);
  return x;
}

/** `--label-dropout`: the probability that a training label is replaced by the null label. */
const parseLabelDropout = (value: string) => parseUnitFraction('--label-dropout', value, 'a probability');

/** `--lr-decay`: the last fraction of the run over which the learning rate falls to 0. */
const parseLrDecay = (value: string) => parseUnitFraction('--lr-decay', value, 'a fraction of the run');

const parseMinutes = (value: string) => parseNumberFlag('--minutes', value, { min: 1e-3 });
const parseEmaFraction = (value: string) => parseNumberFlag('--ema-fraction', value, { min: 1e-6 });

/** What the action trains, and the run directory it continues in place (null: a new one is created). */
interface Plan {
  options: TrainOptions;
  data: Dataset | LatentDataset;
  start: TrainStart;
  inPlace: InPlace | null;
}

/** A run resumed in its own directory: the state it continues from, states skipped as damaged, changed options. */
interface InPlace {
  runDir: string;
  point: ResumePoint;
  damaged: DamagedState[];
  changes: OptionChange[];
}

export function trainCommand(): Command {
  return new Command('train')
    .description('Train a LEGO diffusion model (EDM loss on every brick, Adam, EMA) into a resumable run directory')
    .option('--data <zip|dir>', 'dataset made by lego dataset (ZIP or folder of PNGs + dataset.json); required unless --resume names a run directory, whose recorded data is the default')
    .option('--outdir <dir>', 'where run directories are created', 'training-runs')
    .option('--arch <name|file.json>', `preset (e.g. lego_S_PG_64, or ${BUDGET_DEFAULTS.arch}: one global brick for small images; its image size and channels follow the data) or stack config JSON (${BUDGET_DEFAULTS.arch} with --minutes)`, 'lego_S_PG_64')
    .option('--cond', 'class-conditional on the dataset labels (a fraction, --label-dropout, replaced by the null label)')
    .option('--batch <n>', `images per optimiser step (${BUDGET_DEFAULTS.batch} with --minutes)`, '512')
    .option('--batch-gpu <n>', 'images per graph run; the rest accumulates over rounds (default: --batch)')
    .option('--micro-batch <n>', 'images per micro-batch inside a graph run: the same gradient up to float rounding, less memory (default: --batch-gpu, halved while its largest activation exceeds 32 MiB)')
    .option('--lr <lr>', `learning rate (${BUDGET_DEFAULTS.lr} with --minutes)`, String(TRAIN_DEFAULTS.lr))
    .option('--lr-rampup <kimg>', `learning-rate ramp-up length (${BUDGET_DEFAULTS.lrRampupKimg} with --minutes)`, String(TRAIN_DEFAULTS.lrRampupKimg))
    .option('--lr-decay <fraction>', `the learning rate falls linearly to 0 over this last fraction of the training length, in [0, 1) (default: ${TRAIN_DEFAULTS.lrDecay}, no decay; ${BUDGET_DEFAULTS.lrDecay} with --minutes)`)
    .option('--ema <kimg>', 'EMA half-life', String(TRAIN_DEFAULTS.emaKimg))
    .option('--ema-rampup <ratio>', 'EMA ramp-up ratio ("none" to disable)', String(TRAIN_DEFAULTS.emaRampup))
    .option('--ema-fraction <f>', `EMA half-life as a fraction of the training length, instead of --ema; needs an EMA ramp-up (default: none; ${BUDGET_DEFAULTS.emaFraction} with --minutes unless --ema is given)`)
    .option('--duration <kimg>', 'training length in thousands of images', '200000')
    .option('--minutes <m>', 'wall-clock budget instead of --duration, counted from the start of the process (start-up, data loading and compilation included): a short timed warm-up sets the training length once (default: none)')
    .option('--xflip', 'random horizontal flips')
    .option('--seed <n>', 'seed of every random stream of the run', '0')
    .option('--tick <kimg>', `progress report interval (${BUDGET_DEFAULTS.tickKimg} with --minutes)`, String(TRAIN_DEFAULTS.tickKimg))
    .option('--snap <ticks>', `network snapshot interval (${BUDGET_DEFAULTS.snapTicks} with --minutes; the end of a run always writes one)`, String(TRAIN_DEFAULTS.snapTicks))
    .option('--dump <ticks>', 'training state interval', String(TRAIN_DEFAULTS.dumpTicks))
    .option('--label-dropout <p>', `with --cond, the probability that a training label is replaced by the null label (what guidance samples from; ${BUDGET_DEFAULTS.labelDropout} with --minutes)`, String(TRAIN_DEFAULTS.labelDropout))
    .option('--p-mean <m>', `mean of ln(sigma) of the training noise levels, EDM's P_mean (${BUDGET_DEFAULTS.pMean} with --minutes)`, String(TRAIN_DEFAULTS.pMean))
    .option('--p-std <s>', `standard deviation of ln(sigma) of the training noise levels, EDM's P_std (${BUDGET_DEFAULTS.pStd} with --minutes)`, String(TRAIN_DEFAULTS.pStd))
    .option('--resume <dir|file>', 'continue a run: its directory (newest state) or a state in it, in that directory with its recorded options; or a bare training-state file or the authors\' training-state-*.pt, into a new run directory')
    .option('--resume-fallback', 'when the newest training state of the --resume directory does not load, set it aside as *.damaged and continue from the newest one that does')
    .option('--transfer <file>', 'start from a network snapshot\'s weights (ours or the authors\' .pkl) with a fresh optimiser')
    .option('--threads <n>', `threads per graph run (default for a new run: one per core, ${availableParallelism()} here; recorded, so a resumed run keeps it)`)
    .option('--dry-run', 'print the options and exit')
    .addHelpText('after', `
A run directory NNNNN-<data>-<arch>-batch<B> gets training_options.json, log.txt, stats.jsonl,
network-snapshot-KKKKKK.safetensors (EMA weights, self-describing) and training-state-KKKKKK.safetensors
(everything needed to continue bit for bit). Ctrl-C finishes the step, writes a state and exits 0.

--resume RUN_DIR continues in RUN_DIR, bit for bit, with every option in its training_options.json (--threads
too). A flag given again changes its option (--duration to train longer, --data for a moved dataset): log.txt
says what changed, and whether training stays bit-exact. The stack (--arch) and the directory cannot change.

--minutes M trains for M minutes of wall-clock time from the start of the process: after a timed warm-up (at
least ${BUDGET_RULES.warmupSteps} steps and ${BUDGET_RULES.warmupSeconds} s, at most ${BUDGET_RULES.warmupMaxFraction * 100}% of the budget) it sets the training length once, in images, keeping
${BUDGET_RULES.reserveFraction * 100}% of the time left plus ${BUDGET_RULES.reserveSeconds} s for snapshots and states, and records it in training_options.json (log.txt
says "budget ... duration set to ... kimg"); steps that would still run past the budget stop ${BUDGET_RULES.finalWriteSeconds} s before its
end, as Ctrl-C would. From then on the run depends on images alone: resumed, it
continues bit for bit with the recorded length (change it with --duration; --minutes cannot change). A run
stopped before that times a new warm-up when resumed, with the budget counted from the new start.

Examples:
  lego train --data mnist32.zip --arch lego_S_PG_64 --cond --batch 64 --duration 200 --tick 4
  lego train --data mnist32.zip --arch my-stack.json --batch 32 --lr 2e-4 --lr-rampup 10 --duration 100
  lego train --data mnist32.zip --cond --minutes 60
  lego train --resume training-runs/00003-mnist32-lego_S_PG_64-batch64`)
    .action(async (flags: TrainFlags, command: Command) => {
      const given = (attr: keyof TrainFlags) => command.getOptionValueSource(attr) === 'cli';
      const runDir = flags.resume === undefined ? null : runDirOf(flags.resume);
      const plan = runDir === null ? await planNewRun(flags, given) : await planResume(flags, given, runDir);
      const { options, data, start, inPlace } = plan;
      if (flags.dryRun) {
        if (inPlace && inPlace.changes.length > 0) process.stderr.write(`${describeChanges(inPlace.changes, options)}\n`);
        console.log(JSON.stringify(options, null, 2));
        return;
      }
      if (inPlace) await continueInPlace(inPlace, options);
      await runTraining(options, data, inPlace ? inPlace.runDir : createRunDir(options), start);
    });
}

// ---------------------------------------------------------------------------------------------
// A new run directory: a fresh run, a transfer, or a bare training-state file

/** The flag of each budget default that is not a length option (those are lengthOptions' own). */
const BUDGET_FLAGS = {
  arch: 'arch', batch: 'batch', lr: 'lr', lrRampupKimg: 'lrRampup', tickKimg: 'tick', snapTicks: 'snap',
  labelDropout: 'labelDropout', pMean: 'pMean', pStd: 'pStd',
} as const satisfies Partial<Record<keyof typeof BUDGET_DEFAULTS, keyof TrainFlags>>;

/** A new run's flags with --minutes: the budget's recipe in place of the defaults of the flags not given. */
function withBudgetRecipe(flags: TrainFlags, given: (attr: keyof TrainFlags) => boolean): TrainFlags {
  if (flags.minutes === undefined) return flags;
  const recipe = { ...flags };
  for (const [option, attr] of Object.entries(BUDGET_FLAGS) as [keyof typeof BUDGET_FLAGS, (typeof BUDGET_FLAGS)[keyof typeof BUDGET_FLAGS]][]) {
    if (!given(attr)) recipe[attr] = String(BUDGET_DEFAULTS[option]);
  }
  return recipe;
}

async function planNewRun(givenFlags: TrainFlags, given: (attr: keyof TrainFlags) => boolean): Promise<Plan> {
  const flags = withBudgetRecipe(givenFlags, given);
  if (flags.resumeFallback) throw new UsageError('--resume-fallback: needs --resume naming a run directory (one with training_options.json); it picks among that run\'s training states');
  if (flags.data === undefined) throw new UsageError('--data: required, unless --resume names a run directory (which records its data)');
  const length = lengthOptions(flags, given);
  const batch = OPTION_FLAGS.batch.parse(flags);
  const batchGpu = flags.batchGpu === undefined ? batch : parseIntFlag('--batch-gpu', flags.batchGpu, { min: 1, max: batch });
  if (batch % batchGpu !== 0) throw new UsageError(`--batch-gpu: ${batchGpu} does not divide --batch ${batch}`);
  const microFlag = parseMicroBatch(flags.microBatch, batchGpu, `the ${batchGpu} images of a graph run`);
  const data = openTrainingData(flags.data);
  const start: TrainStart = {};
  let config;
  const stateFile = flags.resume ? resolveTrainingStateFile(flags.resume, `--resume ${flags.resume}`) : null;
  if (stateFile) {
    start.resume = await readTrainingState(stateFile);
    config = start.resume.config;
  } else {
    config = resolveArch(flags.arch, { imgResolution: data.resolution, imgChannels: data.channels, labelDim: flags.cond ? data.labelDim : 0 });
    checkCondForArch(flags.arch, config, !!flags.cond);
  }
  if (flags.transfer) {
    const net = await loadAnyCheckpoint(flags.transfer);
    if (JSON.stringify(net.config) !== JSON.stringify(config)) throw new InputError(`${flags.transfer}: its stack differs from --arch ${flags.arch}`);
    start.transferWeights = net.weights;
  }
  const microBatch = microFlag ?? defaultMicroBatch(config, batchGpu);
  // A state from outside a run directory records no options: a conditional model keeps training on labels.
  const cond = !!flags.cond || (!!start.resume && config.labelDim > 0);
  checkDatasetForModel(data, config, { cond });
  const options: TrainOptions = {
    data: flags.data,
    outdir: flags.outdir,
    // A bare state's run is unknown: the new run is named "resumed", not after the default --arch.
    arch: stateFile ? 'resumed' : flags.arch,
    config,
    cond,
    batch,
    batchGpu,
    microBatch,
    lr: OPTION_FLAGS.lr.parse(flags),
    lrRampupKimg: OPTION_FLAGS.lrRampupKimg.parse(flags),
    lrDecay: length.lrDecay,
    emaKimg: length.emaKimg,
    emaRampup: length.emaRampup,
    emaFraction: length.emaFraction,
    durationKimg: length.durationKimg,
    minutes: length.minutes,
    xflip: OPTION_FLAGS.xflip.parse(flags),
    seed: OPTION_FLAGS.seed.parse(flags),
    tickKimg: OPTION_FLAGS.tickKimg.parse(flags),
    snapTicks: OPTION_FLAGS.snapTicks.parse(flags),
    dumpTicks: OPTION_FLAGS.dumpTicks.parse(flags),
    labelDropout: OPTION_FLAGS.labelDropout.parse(flags),
    resume: flags.resume ?? null,
    transfer: flags.transfer ?? null,
    // Recorded as a number: ONNX Runtime's own default (null, kept by older runs) uses one core here.
    threads: OPTION_FLAGS.threads.parse(flags) ?? Math.min(availableParallelism(), 256),
    pMean: OPTION_FLAGS.pMean.parse(flags),
    pStd: OPTION_FLAGS.pStd.parse(flags),
  };
  return { options: applyEmaFraction(options), data, start, inPlace: null };
}

/** The options of a new run that depend on its length: a budget or a duration, and the decay and EMA that follow it. */
type LengthOptions = Pick<TrainOptions, 'lrDecay' | 'emaKimg' | 'emaRampup' | 'emaFraction' | 'durationKimg' | 'minutes'>;

/**
 * A new run's length options from the flags: --minutes leaves the duration to its conversion and brings
 * BUDGET_DEFAULTS for the flags not given (no EMA fraction with --ema, or without a ramp-up to bridge the
 * warm-up); an EMA fraction leaves the half-life to applyEmaFraction.
 */
function lengthOptions(flags: TrainFlags, given: (attr: keyof TrainFlags) => boolean): LengthOptions {
  const minutes = flags.minutes === undefined ? null : parseMinutes(flags.minutes);
  if (minutes !== null && given('duration')) throw new UsageError('--minutes and --duration: give one; --minutes sets the training length from a wall-clock budget');
  if (flags.emaFraction !== undefined && given('ema')) throw new UsageError('--ema and --ema-fraction: give one; --ema-fraction sets the EMA half-life to a fraction of the training length');
  const emaRampup = OPTION_FLAGS.emaRampup.parse(flags);
  let lrDecay: number = TRAIN_DEFAULTS.lrDecay;
  let emaFraction: number | null = null;
  if (minutes !== null) {
    lrDecay = BUDGET_DEFAULTS.lrDecay;
    if (!given('ema') && emaRampup !== null) emaFraction = BUDGET_DEFAULTS.emaFraction;
  }
  if (flags.lrDecay !== undefined) lrDecay = OPTION_FLAGS.lrDecay.parse(flags);
  if (flags.emaFraction !== undefined) emaFraction = parseEmaFraction(flags.emaFraction);
  const options: LengthOptions = {
    lrDecay,
    emaKimg: emaFraction === null ? OPTION_FLAGS.emaKimg.parse(flags) : null,
    emaRampup,
    emaFraction,
    durationKimg: minutes === null ? OPTION_FLAGS.durationKimg.parse(flags) : null,
    minutes,
  };
  checkLengthOptions(options, () => '');
  return options;
}

/**
 * Checks between the length options a run will train with; `theRuns(attr)` marks a value the run recorded.
 * A budget's decay must start after its warm-up, and an EMA fraction needs a ramp-up to bridge the steps
 * before its half-life is known.
 */
function checkLengthOptions(options: LengthOptions, theRuns: (attr: keyof TrainFlags) => string): void {
  const maxDecay = 1 - BUDGET_RULES.warmupMaxFraction;
  if (options.minutes !== null && options.lrDecay > maxDecay) {
    throw new UsageError(`--lr-decay: ${options.lrDecay}${theRuns('lrDecay')} is over ${maxDecay} with --minutes; the decay would start inside the warm-up (up to ${BUDGET_RULES.warmupMaxFraction * 100}% of the budget)`);
  }
  if (options.emaFraction !== null && options.emaRampup === null) {
    throw new UsageError(`--ema-rampup: none with --ema-fraction ${options.emaFraction}${theRuns('emaFraction')}; the fraction needs an EMA ramp-up: keep one, or give the half-life with --ema`);
  }
}

// ---------------------------------------------------------------------------------------------
// Resuming a run directory in place

/** The options of the flags given on the command line, each parsed on its own. */
function explicitOptions(flags: TrainFlags, given: (attr: keyof TrainFlags) => boolean): ExplicitOptions {
  const explicit: ExplicitOptions = {};
  for (const option of RESTORABLE_OPTIONS) {
    const { attr, parse } = OPTION_FLAGS[option];
    if (given(attr)) setExplicit(explicit, option, parse(flags));
  }
  return explicit;
}

function setExplicit<K extends keyof ExplicitOptions>(explicit: ExplicitOptions, option: K, value: ExplicitOptions[K]): void {
  explicit[option] = value;
}

async function planResume(flags: TrainFlags, given: (attr: keyof TrainFlags) => boolean, runDir: string): Promise<Plan> {
  const resumePath = flags.resume ?? runDir;
  const namesDir = resolve(resumePath) === resolve(runDir);
  if (flags.resumeFallback && !namesDir) throw new UsageError(`--resume-fallback: needs --resume naming the run directory ${runDir}, not one of its states`);
  if (given('transfer')) throw new UsageError(`--transfer: ${runDir} continues from its training state; --transfer only starts a new run`);
  if (given('outdir') && resolve(flags.outdir) !== resolve(dirname(runDir))) {
    throw new UsageError(`--outdir: a resumed run continues in its own directory ${runDir}; drop --outdir`);
  }
  const recorded = readRunOptions(runDir);
  if (given('minutes') && parseMinutes(flags.minutes ?? '') !== recorded.minutes) {
    const budget = recorded.minutes === null ? 'has no budget' : `has a budget of ${recorded.minutes} min`;
    throw new UsageError(`--minutes: ${runDir} ${budget}; a run's budget is converted into its length once: use --duration to change its length`);
  }
  if (given('emaFraction') && parseEmaFraction(flags.emaFraction ?? '') !== recorded.emaFraction) {
    const fraction = recorded.emaFraction === null ? 'has no EMA fraction' : `has an EMA fraction of ${recorded.emaFraction}`;
    throw new UsageError(`--ema-fraction: ${runDir} ${fraction}; it sets the half-life once: use --ema to change the half-life`);
  }
  const restored = restoreOptions(recorded, explicitOptions(flags, given));
  const options = applyEmaFraction(restored.options);
  const changes = restored.changes;
  const theRuns = (attr: keyof TrainFlags) => (given(attr) ? '' : ' (the run\'s)');
  checkLengthOptions(options, theRuns);
  if (options.batch % options.batchGpu !== 0) {
    throw new UsageError(`--batch-gpu: ${options.batchGpu}${theRuns('batchGpu')} does not divide --batch ${options.batch}`);
  }
  if (options.batchGpu % options.microBatch !== 0) {
    throw new UsageError(`--micro-batch: ${options.microBatch}${theRuns('microBatch')} does not divide the ${options.batchGpu} images of a graph run`);
  }
  const config = options.config;
  if (options.cond && !recorded.cond && config.labelDim === 0) throw new UsageError(`--cond: the run's stack has no class input (labelDim 0); start a new run to train on labels`);
  const data = openRecordedDataset(options.data, given('data'));
  if (given('arch') && flags.arch !== options.arch) {
    const asked = resolveArch(flags.arch, { imgResolution: data.resolution, imgChannels: data.channels, labelDim: options.cond ? data.labelDim : 0 });
    if (JSON.stringify(asked) !== JSON.stringify(config)) {
      throw new UsageError(`--arch: ${flags.arch} is not the stack of ${runDir} (${options.arch}); a run keeps its stack: drop --arch, or start a new run with --transfer`);
    }
  }
  checkDatasetForModel(data, config, { cond: options.cond });
  const point = namesDir
    ? await newestRunState(runDir, config, { fallback: !!flags.resumeFallback })
    : { ...(await loadRunState(resumePath, config)), damaged: [] };
  return { options, data, start: { resume: point.state }, inPlace: { runDir, point, damaged: point.damaged, changes } };
}

/** The run's dataset; when it is the recorded path (no --data), a failure says so. */
function openRecordedDataset(path: string, givenAgain: boolean): Dataset | LatentDataset {
  try {
    return openTrainingData(path);
  } catch (e) {
    if (givenAgain || !(e instanceof InputError)) throw e;
    throw new InputError(`${e.message} (the dataset recorded in training_options.json; give --data if it moved)`);
  }
}

/**
 * Before continuing in place: set damaged states aside, say where the run continues from and what changed
 * (stderr and log.txt), record changed options, and drop the stats of ticks that will be reported again.
 */
async function continueInPlace({ runDir, point, damaged, changes }: InPlace, options: TrainOptions): Promise<void> {
  const note = (line: string) => {
    process.stderr.write(`${line}\n`);
    appendRunLog(runDir, line);
  };
  for (const { file, problem } of damaged) note(`${problem}; set aside as ${basename(setAsideDamaged(file))}`);
  const stale = removeStaleTemporaries(runDir);
  if (stale.length > 0) note(`removed ${stale.length} partial file${stale.length > 1 ? 's' : ''} of an interrupted write: ${stale.join(', ')}`);
  const progress = point.state.progress;
  note(`resuming from ${basename(point.file)} at kimg ${((progress?.nimg ?? 0) / 1000).toFixed(3)}`);
  if (changes.length > 0) {
    note(describeChanges(changes, options));
    await writeRunOptions(runDir, options);
  }
  if (progress) {
    const dropped = await dropStatsAfter(runDir, progress.tick);
    if (dropped > 0) note(`stats.jsonl: dropped ${dropped} line${dropped > 1 ? 's' : ''} past tick ${progress.tick}, which this run reports again`);
  }
}

// ---------------------------------------------------------------------------------------------
// Training with a progress bar and Ctrl-C

async function runTraining(options: TrainOptions, data: Dataset | LatentDataset, runDir: string, start: TrainStart): Promise<void> {
  const config = options.config;
  const images: TrainingImages = {
    count: data.count,
    resolution: data.resolution,
    channels: data.channels,
    labelDim: data.labelDim,
    latent: isLatentDataset(data),
    image: (i) => (isLatentDataset(data) ? data.getLatents(i) : data.getImage(i)),
    label: (i) => (data.labels ? data.labels[i] : null),
  };
  let stop = false;
  const onSignal = () => {
    if (stop) return;
    stop = true;
    process.stderr.write('\nstopping after this step; writing a training state...\n');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Until a budget is converted into kimg, the bar counts its minutes (the budget's clock starts with the process).
  let budgetMinutes = options.durationKimg === null;
  const minutesNow = () => Math.round(performance.now() / 600) / 100;
  const bar = process.stderr.isTTY
    ? new SingleBar({ format: 'train [{bar}] {value}/{total} {unit} | loss {loss} | {speed} s/kimg | ETA {eta_formatted}' })
    : null;
  if (options.durationKimg === null) bar?.start(options.minutes ?? 0, minutesNow(), { unit: 'min of the budget', loss: '-', speed: '-' });
  else bar?.start(options.durationKimg, (start.resume?.progress?.nimg ?? 0) / 1000, { unit: 'kimg', loss: '-', speed: '-' });
  console.log(`run directory: ${runDir}`);
  try {
    await train(options, images, runDir, start, {
      log: (line) => (bar ? bar.updateETA() : console.log(line)),
      onStep: ({ nimg, loss, secPerKimg }) => bar?.update(budgetMinutes ? minutesNow() : nimg / 1000, {
        loss: (loss / (config.imgChannels * config.imgResolution ** 2)).toFixed(4),
        speed: secPerKimg.toFixed(1),
      }),
      onDuration: (durationKimg, nimg) => {
        budgetMinutes = false;
        bar?.stop();
        bar?.start(durationKimg, nimg / 1000, { unit: 'kimg', loss: '-', speed: '-' });
      },
      stopRequested: () => stop,
    });
  } finally {
    bar?.stop();
    data.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
