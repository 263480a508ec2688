// Flags shared by several commands and their parsers: every parser throws a UsageError naming the flag.
import { readFileSync } from 'node:fs';
import { fileError } from '../data/fs-files.js';
import { InputError, UsageError } from '../errors.js';
import { parseConfigJson, type LegoConfig } from '../lego/config.js';
import { isPresetName, PRESETS, presetConfig, type PresetOptions } from '../lego/presets.js';

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

export const threadsHelp = 'Threads per graph run (default: one per core)';

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
 * `--arch`: an official preset name (`lego_S_PG_64`) or a JSON file describing a custom stack.
 * Preset options (channels, classes, resolution) apply to presets only.
 */
export function resolveArch(value: string, options: PresetOptions = {}): LegoConfig {
  if (isPresetName(value)) {
    try {
      return presetConfig(value, options);
    } catch (e) {
      throw new UsageError(`--arch ${value}: ${(e as Error).message}`);
    }
  }
  if (!value.endsWith('.json')) {
    throw new UsageError(`--arch: "${value}" is neither a preset (${Object.keys(PRESETS).join(', ')}) nor a .json stack config`);
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

/** `--seeds 0-63,100`: numbers and inclusive ranges, in the order given. */
export function parseSeeds(value: string, flag = '--seeds'): number[] {
  const seeds: number[] = [];
  for (const part of value.split(',')) {
    const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (!m) throw new UsageError(`${flag}: expected numbers or ranges like 0-63,100; got "${value}"`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new UsageError(`${flag}: range ${part.trim()} runs backwards`);
    if (hi > 2 ** 32 - 1) throw new UsageError(`${flag}: seeds must be below 2^32, got ${hi}`);
    if (seeds.length + hi - lo + 1 > 10_000_000) throw new UsageError(`${flag}: more than ten million seeds`);
    for (let s = lo; s <= hi; s++) seeds.push(s);
  }
  return seeds;
}

/** A finite number flag. */
export function parseNumberFlag(flag: string, value: string, { min = -Infinity, max = Infinity } = {}): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag}: expected a number, got "${value}"`);
  if (n < min || n > max) throw new UsageError(`${flag}: expected a number in [${min}, ${max}], got ${n}`);
  return n;
}
