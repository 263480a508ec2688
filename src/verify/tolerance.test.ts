// The judging rules: a loss summed over many pixels is held to an error relative to its size, while
// per-pixel outputs keep the absolute rule, and each check says which rule judged it.
import { describe, expect, it } from 'vitest';
import { isReduction, judge, ruleLabel } from './tolerance.js';

const notes = 'loss = mean over bricks of weight*(D_k - images)^2; output.loss = sum(loss_per_pixel)/batch; grad.* = d output.loss / d weight';

describe('isReduction', () => {
  it('a single value, or an output the notes define as a sum or mean', () => {
    expect(isReduction('output.loss', [1], '')).toBe(true);
    expect(isReduction('output.loss', [], '')).toBe(true);
    expect(isReduction('output.loss', [4], notes)).toBe(true);
    expect(isReduction('output.loss_per_pixel', [4, 3, 16, 16], notes)).toBe(false);
    expect(isReduction('output.D', [3, 3, 16, 16], 'output.D = all bricks')).toBe(false);
  });
});

describe('judge', () => {
  it('a loss of ~5000 off by 2e-4 passes the relative rule', () => {
    const check = judge('output.loss', 'forward', [5000.0002], [5000], { reduction: true });
    expect(check).toMatchObject({ rule: 'rel', tolerance: 1e-6, ok: true });
    expect(check.error).toBeCloseTo(4e-8, 12);
    expect(ruleLabel(check)).toBe('rel 1e-6');
  });

  it('a per-pixel output off by 2e-4 fails the absolute rule', () => {
    const check = judge('output.loss_per_pixel', 'forward', [1.5, 2.0002], [1.5, 2], { reduction: false });
    expect(check).toMatchObject({ rule: 'abs', tolerance: 1e-4, ok: false });
    expect(check.error).toBeCloseTo(2e-4, 8);
    expect(ruleLabel(check)).toBe('abs 1e-4');
  });

  it('a loss off by 1e-5 of its value fails', () => {
    const check = judge('output.loss', 'forward', [5000 * (1 + 1e-5)], [5000], { reduction: true });
    expect(check.rule).toBe('rel');
    expect(check.ok).toBe(false);
    expect(check.error).toBeCloseTo(1e-5, 10);
  });

  it('gradients stay relative to the largest magnitude, even when single values', () => {
    const check = judge('grad.w', 'gradient', [1.001, 0.5], [1, 0.5], { reduction: true });
    expect(check).toMatchObject({ rule: 'rel-max', tolerance: 1e-3 });
    expect(check.error).toBeCloseTo(1e-3, 8);
  });

  it('NaN is an error, never a pass; a zero reference gives a finite relative error', () => {
    expect(judge('output.loss', 'forward', [NaN], [5000], { reduction: true }).ok).toBe(false);
    expect(judge('output.loss', 'forward', [0], [0], { reduction: true })).toMatchObject({ error: 0, ok: true });
  });
});
