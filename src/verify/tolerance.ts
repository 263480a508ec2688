// How a recomputed output is judged against the authors' value (DESIGN.md "Contracts"). Per-pixel outputs
// are held to an absolute error and gradients to one relative to the tensor's largest magnitude. Scalar
// reductions (the loss) are held to an error relative to their own magnitude: a float32 sum over 10^4
// pixels rounds at about 1e-7 of its value, which for a loss in the thousands is several 1e-4 absolute.
import { numel } from '../graph/ops.js';

/** What an output is: its kind picks the tolerance of per-element outputs. */
export type CheckKind = 'forward' | 'gradient' | 'sampler';

/**
 * How an error is measured:
 * `abs` max |a - b|; `rel` max |a - b| / max(|b|, tiny), element by element (scalar reductions);
 * `rel-max` max |a - b| / max |b| over the whole tensor (gradients).
 */
export type ToleranceRule = 'abs' | 'rel' | 'rel-max';

/** One recomputed output: its error, the rule that measured it and the tolerance it is held to. */
export interface ReferenceCheck {
  name: string;
  kind: CheckKind;
  rule: ToleranceRule;
  /** The error as `rule` measures it. */
  error: number;
  tolerance: number;
  ok: boolean;
}

/** Tolerances of per-element outputs: forward absolute, gradients relative to max |ref|, sampler absolute. */
export const TOLERANCE: Record<CheckKind, number> = { forward: 1e-4, gradient: 1e-3, sampler: 1e-3 };

/** Tolerance of scalar reductions, relative to their magnitude: about ten float32 roundings. */
export const REDUCTION_TOLERANCE = 1e-6;

/** Floor of the magnitude divided by, so that a reference of exactly 0 gives a finite relative error. */
const TINY = 1e-30;

/**
 * True when an output is a reduction to be judged relative to its magnitude: it holds a single value,
 * or the file's notes define it as a sum or mean (e.g. `output.loss = sum(loss_per_pixel)/batch`).
 */
export function isReduction(name: string, shape: readonly number[], notes = ''): boolean {
  if (numel(shape) === 1) return true;
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\w.])${escaped}\\s*=\\s*(?:sum|mean)\\b`).test(notes);
}

/** The rule and tolerance an output is held to. A gradient keeps its rule even when it is a single value. */
export function toleranceFor(kind: CheckKind, reduction: boolean): { rule: ToleranceRule; tolerance: number } {
  if (kind === 'gradient') return { rule: 'rel-max', tolerance: TOLERANCE.gradient };
  if (reduction) return { rule: 'rel', tolerance: REDUCTION_TOLERANCE };
  return { rule: 'abs', tolerance: TOLERANCE[kind] };
}

/**
 * Compare a recomputed output with the reference, element by element (equal lengths). NaN counts as infinite
 * error. `abs` holds the output to that absolute tolerance instead of its kind's rule (a file format that
 * states its own, such as the VAE's).
 */
export function judge(
  name: string, kind: CheckKind, actual: ArrayLike<number>, expected: ArrayLike<number>, { reduction = false, abs }: { reduction?: boolean; abs?: number } = {},
): ReferenceCheck {
  if (actual.length !== expected.length) throw new Error(`internal: judge ${name}: ${actual.length} values against ${expected.length}`);
  const { rule, tolerance } = abs !== undefined ? { rule: 'abs' as const, tolerance: abs } : toleranceFor(kind, reduction);
  let maxErr = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    const err = rule === 'rel' ? diff / Math.max(Math.abs(expected[i]), TINY) : diff;
    maxErr = Number.isNaN(err) ? Infinity : Math.max(maxErr, err);
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  const error = rule === 'rel-max' ? maxErr / Math.max(maxRef, TINY) : maxErr;
  return { name, kind, rule, error, tolerance, ok: error <= tolerance };
}

/** The rule as printed beside each output, e.g. `abs 1e-4` or `rel 1e-6`. */
export function ruleLabel({ rule, tolerance }: Pick<ReferenceCheck, 'rule' | 'tolerance'>): string {
  return `${rule} ${tolerance.toExponential(0)}`;
}
