// Property-test helpers for the parsers of outside input (files and flags): a parse either succeeds or
// refuses with a one-line user error, within a time and memory bound; and damaged copies of valid files
// (bit flips, overwritten lengths, cuts, insertions) as fast-check arbitraries, so failures shrink.
import fc from 'fast-check';
import { InputError, UsageError } from '../../src/errors.js';

/** The seed of every property, so a failure replays exactly. */
const PROPERTY_SEED = 20240611;

/** fast-check parameters: the fixed seed and `numRuns` runs (each suite keeps its runs small: tests, not a fuzzer). */
export const runs = (numRuns: number) => ({ seed: PROPERTY_SEED, numRuns });

/** An error class a parser may refuse with. */
type ErrorClass = abstract new (...args: never[]) => Error;

/** What a parse must stay within. */
export interface ParseLimits {
  /** The errors that count as a refusal; default InputError and UsageError. */
  refusals?: readonly ErrorClass[];
  /** The longest one parse may take, in ms; default 2000. */
  maxMs?: number;
  /** ArrayBuffer memory one parse may add; default 64 MB plus 64 bytes per input byte. */
  maxAllocBytes?: number;
}

/** The outcome of a parse that stayed within its limits. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: Error };

/** Why `e` is not an acceptable refusal, or null when it is: an allowed class, one line, non-empty, short. */
export function refusalProblem(e: unknown, refusals: readonly ErrorClass[] = [InputError, UsageError]): string | null {
  if (!(e instanceof Error)) return `threw a non-Error: ${String(e)}`;
  // Exact class for plain Error refusals: a TypeError or RangeError is a crash even where Error is allowed.
  const allowed = refusals.some((c) => (c === Error ? e.constructor === Error : e instanceof c));
  if (!allowed) return `crashed with ${e.name}: ${e.message}\n${e.stack ?? ''}`;
  if (e.message.startsWith('internal:')) return `broke an invariant: ${e.message}`;
  if (e.message.trim() === '') return `${e.name} with an empty message`;
  if (/[\n\r\u2028\u2029]/.test(e.message)) return `${e.name} message spans lines: ${JSON.stringify(e.message)}`;
  if (e.message.length > 300) return `${e.name} message of ${e.message.length} characters: ${e.message.slice(0, 120)}...`;
  return null;
}

/**
 * Run `parse` on an input of `inputBytes` bytes and check that it kept to `limits`: it returned, or it
 * refused with an allowed one-line error; it took under `maxMs`; and it grew ArrayBuffer memory by at most
 * `maxAllocBytes`. ArrayBuffer memory, not RSS, because a huge zero-filled allocation is calloc'd and
 * counts in RSS only when touched: a parser that believes a header claiming 1e12 bytes shows up here.
 * Throws (failing the property) otherwise.
 */
export function parseWithin<T>(parse: () => T, inputBytes: number, limits: ParseLimits = {}): Parsed<T> {
  const meter = startMeter();
  let outcome: Parsed<T>;
  try {
    outcome = { ok: true, value: parse() };
  } catch (e) {
    outcome = refused(e, limits);
  }
  meter.check(inputBytes, limits);
  return outcome;
}

function refused(e: unknown, { refusals }: ParseLimits): { ok: false; error: Error } {
  const problem = refusalProblem(e, refusals);
  if (problem) throw new Error(problem);
  return { ok: false, error: e as Error };
}

/** Time and ArrayBuffer memory since it started; `check` throws when either went past its limit. */
function startMeter() {
  const before = process.memoryUsage().arrayBuffers;
  const start = performance.now();
  return {
    check(inputBytes: number, { maxMs = 2000, maxAllocBytes = 64e6 + 64 * inputBytes }: ParseLimits): void {
      const ms = performance.now() - start;
      const grown = process.memoryUsage().arrayBuffers - before;
      if (ms > maxMs) throw new Error(`took ${ms.toFixed(0)} ms on ${inputBytes} bytes of input (limit ${maxMs} ms)`);
      if (grown > maxAllocBytes) throw new Error(`grew ArrayBuffer memory by ${(grown / 1e6).toFixed(0)} MB on ${inputBytes} bytes of input`);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Mutations of valid inputs

/** Byte values that mean something to the formats under test: zero, sign bits, pickle opcodes, JSON and ZIP marks. */
const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x28, 0x2e, 0x50, 0x4b, 0x52, 0x71, 0x7b, 0x7d, 0x8a, 0x93, 0x95];

/** 32-bit values a length or offset may be damaged into: zero, one, huge, negative as int32. */
const INTERESTING_U32 = [0, 1, 0x7f, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/**
 * Where an edit applies, so that it applies to an input of any length: a fraction of the length, or a byte
 * offset from the start or the end, where headers and end records are (clamped to the input).
 */
type Position = { fraction: number } | { fromStart: number } | { fromEnd: number };

/** One edit of a byte array. */
type Edit =
  | { kind: 'flip'; at: Position; bit: number }
  | { kind: 'byte'; at: Position; value: number }
  | { kind: 'u32'; at: Position; value: number; littleEndian: boolean }
  | { kind: 'u64'; at: Position; value: bigint }
  | { kind: 'cut'; at: Position }
  | { kind: 'delete'; at: Position; count: number }
  | { kind: 'insert'; at: Position; bytes: Uint8Array };

const position: fc.Arbitrary<Position> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ fraction: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ fromStart: fc.integer({ min: 0, max: 63 }) }) },
  { weight: 1, arbitrary: fc.record({ fromEnd: fc.integer({ min: 1, max: 64 }) }) },
);

/** The byte offset `at` names in an input of `length` bytes (0 to length). */
function offset(at: Position, length: number): number {
  if ('fraction' in at) return Math.floor(at.fraction * length);
  return 'fromStart' in at ? Math.min(at.fromStart, length) : Math.max(length - at.fromEnd, 0);
}

const edit: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('byte' as const), at: position, value: fc.oneof(fc.constantFrom(...INTERESTING_BYTES), fc.integer({ min: 0, max: 255 })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('u32' as const), at: position, value: fc.oneof(fc.constantFrom(...INTERESTING_U32), fc.nat()), littleEndian: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('u64' as const), at: position, value: fc.constantFrom(0n, 1n, 2n ** 32n, 10n ** 15n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cut' as const), at: position }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: position, count: fc.integer({ min: 1, max: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }) },
);

/** `bytes` with one edit applied (a new array; `bytes` is left alone). */
function applyEdit(bytes: Uint8Array, e: Edit): Uint8Array {
  const at = offset(e.at, bytes.length);
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  switch (e.kind) {
    case 'flip':
      if (at < out.length) out[at] ^= 1 << e.bit;
      return out;
    case 'byte':
      if (at < out.length) out[at] = e.value;
      return out;
    case 'u32':
      if (at + 4 <= out.length) view.setUint32(at, e.value >>> 0, e.littleEndian);
      return out;
    case 'u64':
      if (at + 8 <= out.length) view.setBigUint64(at, e.value, true);
      return out;
    case 'cut':
      return out.subarray(0, at);
    case 'delete': {
      const gone = Math.min(e.count, out.length - at);
      const rest = new Uint8Array(out.length - gone);
      rest.set(out.subarray(0, at));
      rest.set(out.subarray(at + gone), at);
      return rest;
    }
    case 'insert': {
      const grown = new Uint8Array(out.length + e.bytes.length);
      grown.set(out.subarray(0, at));
      grown.set(e.bytes, at);
      grown.set(out.subarray(at), at + e.bytes.length);
      return grown;
    }
  }
}

/** Damaged copies of `valid`: one to `maxEdits` edits of it (shrinking towards fewer, simpler edits). */
export function mutated(valid: Uint8Array, maxEdits = 4): fc.Arbitrary<Uint8Array> {
  return fc.array(edit, { minLength: 1, maxLength: maxEdits }).map((edits) => edits.reduce(applyEdit, valid));
}

/** Damaged copies of valid inputs drawn from `valid`. */
export function mutatedFrom(valid: fc.Arbitrary<Uint8Array>, maxEdits = 4): fc.Arbitrary<Uint8Array> {
  return valid.chain((bytes) => mutated(bytes, maxEdits));
}
