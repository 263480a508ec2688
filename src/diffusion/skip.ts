// Brick skipping schedules (the paper's sampling-time skipping, done for real): which brick the stack
// stops after at each sampler step. PG stacks drop their top (global, last) brick at low noise, PR
// stacks their last (local) brick at high noise; any per-sigma schedule can be given.

import { printable } from '../errors.js';

export type SkipSchedule =
  | { kind: 'none' }
  /** Drop the last brick for the last `fraction` of the steps (PG: the top, global brick at low noise). */
  | { kind: 'top'; fraction: number }
  /** Drop the last brick for the first `fraction` of the steps (PR: the last, local brick at high noise). */
  | { kind: 'last'; fraction: number }
  /** Steps whose sigma lies in [sigmaLo, sigmaHi] stop after `stopAfter`; others run every brick. */
  | { kind: 'ranges'; ranges: { sigmaLo: number; sigmaHi: number; stopAfter: number }[] }
  /** Step i stops after brick `stopAfter[i]`; null (or past the end): every brick. The web app's brick dial. */
  | { kind: 'steps'; stopAfter: readonly (number | null)[] };

/** A non-negative decimal as JavaScript prints one: `0.4`, `80`, `2e-3`, `1e+21`. */
const NUMBER = '[0-9.]+(?:[eE][+-]?[0-9]+)?';
const FRACTION_SPEC = new RegExp(`^(top|last):(${NUMBER})$`);
const RANGE_SPEC = new RegExp(`^\\s*(${NUMBER})-(${NUMBER}):(\\d+)\\s*$`);

export const SKIP_SYNTAX = 'none, top:F, last:F (F in [0, 1]) or sigma ranges like 0-1:1,1-80:2 (LO-HI:BRICK)';

/** Parse `none`, `top:0.4`, `last:0.3` or `0.002-1:1,1-80:2`. Throws Error naming the problem. */
export function parseSkip(spec: string): SkipSchedule {
  const s = spec.trim();
  if (s === '' || s === 'none') return { kind: 'none' };
  const frac = FRACTION_SPEC.exec(s);
  if (frac) {
    const fraction = Number(frac[2]);
    if (!(fraction >= 0 && fraction <= 1)) throw new Error(`expected a fraction in [0, 1] after "${frac[1]}:", got "${printable(frac[2], 40)}"`);
    return { kind: frac[1] as 'top' | 'last', fraction };
  }
  const ranges = s.split(',').map((part) => {
    const m = RANGE_SPEC.exec(part);
    const [lo, hi, k] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [NaN, NaN, NaN];
    if (!m || !Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi || lo < 0) {
      throw new Error(`expected ${SKIP_SYNTAX}; got "${printable(part.trim(), 60)}"`);
    }
    return { sigmaLo: lo, sigmaHi: hi, stopAfter: k };
  });
  return { kind: 'ranges', ranges };
}

/** Check a schedule against a stack of `bricks` bricks; returns a problem or null. */
export function skipProblem(schedule: SkipSchedule, bricks: number): string | null {
  if ((schedule.kind === 'top' || schedule.kind === 'last') && bricks < 2) return `a stack of ${bricks} brick has no brick to skip`;
  if (schedule.kind === 'ranges') {
    const bad = schedule.ranges.find((r) => r.stopAfter >= bricks);
    if (bad) return `brick ${bad.stopAfter} does not exist (the stack has bricks 0..${bricks - 1})`;
  }
  if (schedule.kind === 'steps') {
    const bad = schedule.stopAfter.find((k) => k !== null && !(Number.isInteger(k) && k >= 0 && k < bricks));
    if (bad !== undefined) return `brick ${bad} does not exist (the stack has bricks 0..${bricks - 1})`;
  }
  return null;
}

/** The brick to stop after at step i of `steps` (sigma is the step's starting noise level); undefined: all. */
export function stopAfterAt(schedule: SkipSchedule, step: number, steps: number, sigma: number, bricks: number): number | undefined {
  switch (schedule.kind) {
    case 'none':
      return undefined;
    case 'top':
      return step >= steps - Math.round(schedule.fraction * steps) ? bricks - 2 : undefined;
    case 'last':
      return step < Math.round(schedule.fraction * steps) ? bricks - 2 : undefined;
    case 'ranges':
      return schedule.ranges.find((r) => sigma >= r.sigmaLo && sigma <= r.sigmaHi)?.stopAfter;
    case 'steps':
      return schedule.stopAfter[step] ?? undefined;
  }
}
