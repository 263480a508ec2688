// Flags shared by several commands and their parsers: every parser throws a UsageError naming the flag.
import { readFileSync } from 'node:fs';
import { fileError } from '../files/fs-files.js';
import { InputError, printable, UsageError } from '../errors.js';
import { parseConfigJson, type LegoConfig } from '../lego/config.js';
import { isPresetName, PRESETS, presetConfig, type PresetOptions } from '../lego/presets.js';
import { isNamedStack, SMALL_PRESETS, smallPresetConfig } from '../lego/small-presets.js';
import type { Precision } from '../nn/linear.js';
import { parseQueueUrl, type QueueAddress } from '../queue/address.js';

export function parseIntFlag(flag: string, value: string, { min = -Infinity, max = Infinity } = {}): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new UsageError(`${flag}: expected an integer, got "${value}"`);
  if (n < min || n > max) {
    const range = max === Infinity ? `>= ${min}` : `between ${min} and ${max}`;
    throw new UsageError(`${flag}: expected an integer ${range}, got ${n}`);
  }
  return n;
}

export function parseThreads(value: string | undefined): number | undefined {
  return value === undefined ? undefined : parseIntFlag('--threads', value, { min: 1, max: 256 });
}

export const threadsHelp = "Threads per graph run (default: ONNX Runtime's own choice)";

export const precisionHelp =
  'float32, or int8: every block Linear (qkv, attention output, MLP) as an 8-bit product, weights per output channel, activations per token';

/** `--precision`: how the bricks' block Linears multiply. */
export function parsePrecision(value: string): Precision {
  if (value !== 'float32' && value !== 'int8') throw new UsageError(`--precision: expected float32 or int8, got "${value}"`);
  return value;
}

/**
 * `--micro-batch`: images per piece of a `batch`-image graph run; null when the flag is absent (the
 * caller then takes defaultMicroBatch). `batchText` names the batch in the error, e.g. "--batch 8".
 */
export function parseMicroBatch(value: string | undefined, batch: number, batchText: string): number | null {
  if (value === undefined) return null;
  const micro = parseIntFlag('--micro-batch', value, { min: 1, max: batch });
  if (batch % micro !== 0) throw new UsageError(`--micro-batch: ${micro} does not divide ${batchText}`);
  return micro;
}

/**
 * `--arch`: an official preset name (`lego_S_PG_64`), one of our small presets (`lego_T_G_32`) or a JSON file
 * describing a custom stack.
 * Preset options (channels, classes, resolution) apply to presets only.
 */
export function resolveArch(value: string, options: PresetOptions = {}): LegoConfig {
  if (isNamedStack(value)) {
    try {
      return isPresetName(value) ? presetConfig(value, options) : smallPresetConfig(value, options);
    } catch (e) {
      throw new UsageError(`--arch ${value}: ${(e as Error).message}`);
    }
  }
  if (!value.endsWith('.json')) {
    throw new UsageError(`--arch: "${value}" is neither a preset (${[...Object.keys(PRESETS), ...Object.keys(SMALL_PRESETS)].join(', ')}) nor a .json stack config`);
  }
  let text: string;
  try {
    text = readFileSync(value, 'utf8');
  } catch (e) {
    throw fileError(value, 'read', e);
  }
  try {
    return parseConfigJson(text, value);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
}

/** `--seeds 0-63,100`: numbers and inclusive ranges, in the order given; each seed once (one image each). */
export function parseSeeds(value: string, flag = '--seeds'): number[] {
  const seeds: number[] = [];
  const ranges: [number, number][] = [];
  for (const part of value.split(',')) {
    const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (!m) throw new UsageError(`${flag}: expected numbers or ranges like 0-63,100; got "${printable(value, 60)}"`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new UsageError(`${flag}: range ${part.trim()} runs backwards`);
    if (hi > 2 ** 32 - 1) throw new UsageError(`${flag}: seeds must be below 2^32, got ${hi}`);
    if (seeds.length + hi - lo + 1 > 10_000_000) throw new UsageError(`${flag}: more than ten million seeds`);
    ranges.push([lo, hi]);
    for (let s = lo; s <= hi; s++) seeds.push(s);
  }
  const repeated = firstRepeat(ranges);
  if (repeated !== null) throw new UsageError(`${flag}: seed ${repeated} is given twice in "${printable(value, 60)}"; each seed makes one image`);
  return seeds;
}

/** The smallest seed that two of the inclusive ranges share, or null; by sorting ranges, not listing seeds. */
function firstRepeat(ranges: readonly [number, number][]): number | null {
  let reach = -1; // the highest seed of the ranges so far
  for (const [lo, hi] of [...ranges].sort(([a], [b]) => a - b)) {
    if (lo <= reach) return lo;
    reach = Math.max(reach, hi);
  }
  return null;
}

/** `--sigma-min` and `--sigma-max`: the sampler's noise range, which must run from low to high. */
export function parseSigmaRange(min: string, max: string): { sigmaMin: number; sigmaMax: number } {
  const sigmaMin = parseNumberFlag('--sigma-min', min, { min: 1e-9 });
  const sigmaMax = parseNumberFlag('--sigma-max', max, { min: 1e-9 });
  if (sigmaMin >= sigmaMax) throw new UsageError(`--sigma-min: ${sigmaMin} is not below --sigma-max ${sigmaMax}; the sampler runs from sigma-max down to sigma-min`);
  return { sigmaMin, sigmaMax };
}

/** `--cfg` against the model: guidance mixes class-conditional and unconditional outputs, so it needs classes. */
export function checkGuidance(cfgScale: number, config: LegoConfig, network: string): void {
  if (cfgScale !== 1 && config.labelDim === 0) {
    throw new UsageError(`--cfg ${cfgScale}: ${network} is unconditional (labelDim 0), so there is nothing to guide; drop --cfg`);
  }
}

/**
 * `--cond` against a JSON stack for training: its labelDim is fixed, so it must agree (a preset takes its
 * labelDim from the data when --cond is given, and 0 otherwise).
 */
export function checkCondForArch(arch: string, config: LegoConfig, cond: boolean): void {
  if (isNamedStack(arch)) return;
  if (config.labelDim > 0 && !cond) {
    throw new UsageError(`--arch ${arch} has labelDim ${config.labelDim}: pass --cond to train on the dataset's labels, or set labelDim 0`);
  }
  if (config.labelDim === 0 && cond) {
    throw new UsageError(`--cond: --arch ${arch} has labelDim 0 (no class input); set labelDim to the number of classes, or drop --cond`);
  }
}

/** A finite number flag. */
export function parseNumberFlag(flag: string, value: string, { min = -Infinity, max = Infinity } = {}): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag}: expected a number, got "${value}"`);
  if (n < min || n > max) throw new UsageError(`${flag}: expected a number in [${min}, ${max}], got ${n}`);
  return n;
}

/** `--shard K/N`: shard K (0 to N-1) of N, each taking every N-th seed. */
export function parseShard(value: string): { k: number; n: number } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!m) throw new UsageError(`--shard: expected K/N with K from 0 to N-1, e.g. 0/4; got "${printable(value, 40)}"`);
  const [k, n] = [Number(m[1]), Number(m[2])];
  if (!(n >= 1 && n <= 1_000_000 && k < n)) throw new UsageError(`--shard: expected K/N with N from 1 to 1000000 and K from 0 to N-1; got ${k}/${n}`);
  return { k, n };
}

/** `--queue URL` (or a command's URL argument): the queue's Redis. */
export function parseQueueFlag(value: string, flag = '--queue'): QueueAddress {
  const address = parseQueueUrl(value);
  if (typeof address === 'string') throw new UsageError(`${flag}: ${address}`);
  return address;
}
