import { describe, expect, it } from 'vitest';
import { parseSkip, stopAfterAt } from './skip.js';
import { dialSchedule, evaluationsPerStep, planCost } from './skip-plan.js';

describe('the brick dial', () => {
  it('with one brick dropped, runs the same bricks as top:F and last:F at every step', () => {
    for (const mode of ['top', 'last'] as const) {
      for (const fraction of [0, 0.2, 0.5, 0.8, 1]) {
        for (const steps of [1, 7, 12, 18]) {
          const dial = dialSchedule({ mode, fraction, dropped: 1 }, steps, 3);
          const cli = parseSkip(`${mode}:${fraction}`);
          for (let i = 0; i < steps; i++) {
            expect(stopAfterAt(dial, i, steps, 1, 3)).toBe(stopAfterAt(cli, i, steps, 1, 3));
          }
        }
      }
    }
  });

  it('drops deeper into the stack when asked, and never past brick 0', () => {
    expect(dialSchedule({ mode: 'top', fraction: 0.5, dropped: 2 }, 4, 3).stopAfter).toEqual([null, null, 0, 0]);
    expect(dialSchedule({ mode: 'last', fraction: 0.25, dropped: 9 }, 4, 3).stopAfter).toEqual([0, null, null, null]);
    expect(dialSchedule({ mode: 'none', fraction: 1, dropped: 1 }, 3, 3).stopAfter).toEqual([null, null, null]);
  });

  it('counts Heun evaluations and the cost saved', () => {
    expect(evaluationsPerStep(4)).toEqual([2, 2, 2, 1]);
    expect(evaluationsPerStep(3, 'euler')).toEqual([1, 1, 1]);
    // Bricks cost 1, 2, 7; the last two steps (3 evaluations) skip brick 2: 21 of 70 units saved.
    const cost = planCost(dialSchedule({ mode: 'top', fraction: 0.5, dropped: 1 }, 4, 3), evaluationsPerStep(4), [1, 2, 7]);
    expect(cost.full).toBe(70);
    expect(cost.planned).toBe(70 - 3 * 7);
    expect(cost.savedFraction).toBeCloseTo(0.3, 12);
  });
});
