// Training options: one typed record with the authors' defaults (train.py / EDM training_loop),
// validated in cli/, saved as training_options.json in the run directory and read back from it on resume.
import { LOSS_DEFAULTS } from '../diffusion/loss.js';
import { InputError } from '../errors.js';
import { validateConfig, type LegoConfig } from '../lego/config.js';

export interface TrainOptions {
  /** Dataset path (ZIP or folder in the EDM format). */
  data: string;
  /** Where run directories are created. */
  outdir: string;
  /** The architecture as given (preset name or config file) and the resolved stack. */
  arch: string;
  config: LegoConfig;
  /** Train class-conditionally on the dataset's labels. */
  cond: boolean;
  /** Images per optimiser step. */
  batch: number;
  /** Images per graph run; batch / batchGpu rounds are accumulated (default: batch). */
  batchGpu: number;
  /** Images per micro-batch inside one graph run (default: defaultMicroBatch in lego/micro-batch.ts). */
  microBatch: number;
  /** Learning rate (default 1e-4). */
  lr: number;
  /** Learning-rate ramp-up in kimg (default 10000). */
  lrRampupKimg: number;
  /** The learning rate falls linearly to 0 over this last fraction of durationKimg, in [0, 1) (default 0: no decay). */
  lrDecay: number;
  /** EMA half-life in kimg (default 500); null until emaFraction can set it (the duration is known). */
  emaKimg: number | null;
  /** EMA ramp-up ratio, null to disable (default 0.05). */
  emaRampup: number | null;
  /** EMA half-life as a fraction of durationKimg, written into emaKimg once the duration is known (default null: emaKimg as given). */
  emaFraction: number | null;
  /** Training length in kimg; null until a `minutes` budget is converted into it (after a timed warm-up). */
  durationKimg: number | null;
  /** Wall-clock budget in minutes, counted from the start of the process (default null: train for durationKimg). */
  minutes: number | null;
  /** Random horizontal flips of training images. */
  xflip: boolean;
  /** Seed of every random stream of the run. */
  seed: number;
  /** Progress report interval in kimg (default 50). */
  tickKimg: number;
  /** Network snapshot every this many ticks (default 50). */
  snapTicks: number;
  /** Training state every this many ticks (default 500). */
  dumpTicks: number;
  /** Probability that a training label is replaced by the null label (default 0.1). */
  labelDropout: number;
  /** Continue from a training state (file). */
  resume: string | null;
  /** Start from a network's weights with a fresh optimiser (file). */
  transfer: string | null;
  /** Intra-op threads (a new run from the CLI records one per core; null: ONNX Runtime's own default, one core here). */
  threads: number | null;
  /** ln(sigma) ~ N(pMean, pStd). */
  pMean: number;
  pStd: number;
}

export const TRAIN_DEFAULTS = {
  lr: 1e-4,
  lrRampupKimg: 10000,
  lrDecay: 0,
  emaKimg: 500,
  emaRampup: 0.05,
  tickKimg: 50,
  snapTicks: 50,
  dumpTicks: 500,
  labelDropout: 0.1,
  ...LOSS_DEFAULTS,
} as const;

/**
 * Defaults of a run with a wall-clock budget (`minutes`), each applied only where its own flag is not given:
 * the one-hour recipe (docs/studies/one-hour.md): a small stack, small batches at a high learning rate with
 * a short ramp-up, a decay to 0 at the end, an EMA as long as a fixed part of the run (not when --ema is
 * given or the EMA has no ramp-up), reports every few seconds. Runs without a budget keep TRAIN_DEFAULTS.
 */
export const BUDGET_DEFAULTS = {
  arch: 'lego_T_G_32',
  batch: 32,
  lr: 2e-3,
  lrRampupKimg: 2,
  lrDecay: 0.2,
  emaFraction: 0.05,
  tickKimg: 4,
  snapTicks: 25,
  labelDropout: 0.1,
  pMean: 0.6,
  pStd: 1.2,
} as const;

/**
 * `options` with emaKimg = emaFraction * durationKimg, when a fraction is set, the duration is known and no
 * half-life is set yet; else `options` itself. The key order is kept.
 */
export function applyEmaFraction(options: TrainOptions): TrainOptions {
  if (options.emaFraction === null || options.emaKimg !== null || options.durationKimg === null) return options;
  return { ...options, emaKimg: options.emaFraction * options.durationKimg };
}

// ---------------------------------------------------------------------------------------------
// Reading a recorded record back

const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 1;
const isFiniteNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

/** What each kind of field accepts, and how an error says so. */
const KINDS = {
  string: [(v: unknown) => typeof v === 'string', 'a string'],
  'string|null': [(v: unknown) => v === null || typeof v === 'string', 'a string or null'],
  boolean: [(v: unknown) => typeof v === 'boolean', 'true or false'],
  number: [isFiniteNumber, 'a number'],
  'number|null': [(v: unknown) => v === null || isFiniteNumber(v), 'a number or null'],
  count: [isCount, 'a positive integer'],
  'count|null': [(v: unknown) => v === null || isCount(v), 'a positive integer or null'],
  fraction: [(v: unknown) => isFiniteNumber(v) && (v as number) >= 0 && (v as number) < 1, 'a number in [0, 1)'],
  'positive|null': [(v: unknown) => v === null || (isFiniteNumber(v) && (v as number) > 0), 'a positive number or null'],
  seed: [(v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 32, 'an integer in [0, 2^32)'],
  config: [(v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v), 'a stack config object'],
} as const satisfies Record<string, readonly [(v: unknown) => boolean, string]>;

/** The kind of every field: a field added to TrainOptions without a kind here does not compile. */
const FIELDS: { [K in keyof TrainOptions]-?: keyof typeof KINDS } = {
  data: 'string',
  outdir: 'string',
  arch: 'string',
  config: 'config',
  cond: 'boolean',
  batch: 'count',
  batchGpu: 'count',
  microBatch: 'count',
  lr: 'number',
  lrRampupKimg: 'number',
  lrDecay: 'fraction',
  emaKimg: 'number|null',
  emaRampup: 'number|null',
  emaFraction: 'positive|null',
  durationKimg: 'number|null',
  minutes: 'positive|null',
  xflip: 'boolean',
  seed: 'seed',
  tickKimg: 'number',
  snapTicks: 'count',
  dumpTicks: 'count',
  labelDropout: 'fraction',
  resume: 'string|null',
  transfer: 'string|null',
  threads: 'count|null',
  pMean: 'number',
  pStd: 'number',
};

/**
 * Options added after the first runs, with the value that gives an older record's behaviour: a
 * training_options.json without them still loads, and gets them (at the end of its key order).
 */
const ADDED_FIELDS: Partial<TrainOptions> = { lrDecay: 0, emaFraction: null, minutes: null };

/**
 * The options recorded in a run's training_options.json (`text`), every field checked. The record keeps the
 * file's key order, so a resumed run writes the same metadata as the run it continues. Throws InputError
 * naming `source` and the field.
 */
export function parseTrainOptions(text: string, source: string): TrainOptions {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${source}: not JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new InputError(`${source}: expected a JSON object of training options`);
  const record = { ...json } as Record<string, unknown>;
  for (const [field, value] of Object.entries(ADDED_FIELDS)) if (!(field in record)) record[field] = value;
  assertTrainOptions(record, source);
  checkPending(record, source);
  return record;
}

function assertTrainOptions(json: object, source: string): asserts json is TrainOptions {
  const record = json as Record<string, unknown>;
  for (const [field, kind] of Object.entries(FIELDS)) {
    const [accepts, expected] = KINDS[kind];
    if (!(field in record)) throw new InputError(`${source}: "${field}" is missing; expected ${expected}`);
    if (!accepts(record[field])) throw new InputError(`${source}: "${field}" is ${JSON.stringify(record[field])}; expected ${expected}`);
  }
  try {
    validateConfig(record.config as LegoConfig, `${source}: config`);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
}

/** A duration or EMA half-life left null is set later, which needs what sets it. */
function checkPending(options: TrainOptions, source: string): void {
  if (options.durationKimg === null && options.minutes === null) throw new InputError(`${source}: "durationKimg" is null without "minutes"; expected a number`);
  if (options.emaKimg === null && options.emaFraction === null) throw new InputError(`${source}: "emaKimg" is null without "emaFraction"; expected a number`);
  if (options.emaKimg === null && options.emaRampup === null) throw new InputError(`${source}: "emaKimg" is null with "emaRampup" null; the EMA needs a half-life or a ramp-up`);
}
