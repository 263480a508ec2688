// The brick dial: a skipping plan in terms a person sets (drop the top or last bricks for a part of the
// trajectory) turned into a per-step schedule, and its predicted cost from per-brick call costs.
import { stopAfterAt, type SkipSchedule } from './skip.js';

export interface DialSetting {
  /** 'top': drop bricks for the last `fraction` of the steps (low noise, PG); 'last': the first (high noise, PR). */
  mode: 'none' | 'top' | 'last';
  fraction: number;
  /** How many bricks from the end of the stack are dropped in those steps (1 .. bricks-1). */
  dropped: number;
}

/** The per-step schedule of a dial setting; with `dropped` 1 it equals `top:F` / `last:F` step for step. */
export function dialSchedule(setting: DialSetting, steps: number, bricks: number): SkipSchedule & { kind: 'steps' } {
  const dropped = Math.min(Math.max(1, Math.round(setting.dropped)), bricks - 1);
  // Which steps are in the part: exactly the steps where `top:F` / `last:F` drop a brick.
  const part: SkipSchedule = setting.mode === 'none' ? { kind: 'none' } : { kind: setting.mode, fraction: setting.fraction };
  const stopAfter = Array.from({ length: steps }, (_, i) =>
    bricks > 1 && stopAfterAt(part, i, steps, 0, bricks) !== undefined ? bricks - 1 - dropped : null,
  );
  return { kind: 'steps', stopAfter };
}

/** Network evaluations per step of the EDM sampler: Heun corrects every step but the last. */
export function evaluationsPerStep(steps: number, solver: 'heun' | 'euler' = 'heun'): number[] {
  return Array.from({ length: steps }, (_, i) => (solver === 'heun' && i < steps - 1 ? 2 : 1));
}

export interface PlanCost {
  /** Cost of running every brick at every evaluation (units of `brickCost`). */
  full: number;
  planned: number;
  /** 1 - planned / full. */
  savedFraction: number;
}

/** Cost of a schedule given what one call of each brick costs (FLOPs or measured milliseconds). */
export function planCost(schedule: SkipSchedule & { kind: 'steps' }, evaluations: readonly number[], brickCost: readonly number[]): PlanCost {
  const all = brickCost.reduce((a, b) => a + b, 0);
  let full = 0;
  let planned = 0;
  evaluations.forEach((evals, i) => {
    const last = schedule.stopAfter[i] ?? brickCost.length - 1;
    full += evals * all;
    planned += evals * brickCost.slice(0, last + 1).reduce((a, b) => a + b, 0);
  });
  return { full, planned, savedFraction: full > 0 ? 1 - planned / full : 0 };
}
