import { describe, expect, it } from 'vitest';
import { parseSkip, skipProblem, stopAfterAt } from './skip.js';

describe('brick skipping schedules', () => {
  it('parses the three forms', () => {
    expect(parseSkip('none')).toEqual({ kind: 'none' });
    expect(parseSkip('top:0.4')).toEqual({ kind: 'top', fraction: 0.4 });
    expect(parseSkip('last:1')).toEqual({ kind: 'last', fraction: 1 });
    expect(parseSkip('0.002-1:1, 1-80:0')).toEqual({
      kind: 'ranges',
      ranges: [{ sigmaLo: 0.002, sigmaHi: 1, stopAfter: 1 }, { sigmaLo: 1, sigmaHi: 80, stopAfter: 0 }],
    });
  });

  it('rejects what it cannot read, saying what it expected', () => {
    expect(() => parseSkip('top:1.5')).toThrow(/fraction in \[0, 1\]/);
    expect(() => parseSkip('middle:0.5')).toThrow(/expected none, top:F, last:F/);
    expect(() => parseSkip('5-1:1')).toThrow(/got "5-1:1"/);
    expect(() => parseSkip('top\ntop')).toThrow('got "top\\u000atop"'); // one line
  });

  it('reads numbers with exponents on either side of a range, as JavaScript prints small sigmas', () => {
    expect(parseSkip('0-5e-324:0')).toEqual({ kind: 'ranges', ranges: [{ sigmaLo: 0, sigmaHi: 5e-324, stopAfter: 0 }] });
    expect(parseSkip('2e-3-1e+2:1')).toEqual({ kind: 'ranges', ranges: [{ sigmaLo: 0.002, sigmaHi: 100, stopAfter: 1 }] });
    expect(parseSkip('top:1e-7')).toEqual({ kind: 'top', fraction: 1e-7 });
  });

  it('top:F drops the last brick for the last F of the steps (the reference case: 8 steps, from step 4)', () => {
    const s = parseSkip('top:0.5');
    expect(Array.from({ length: 8 }, (_, i) => stopAfterAt(s, i, 8, 1, 3))).toEqual([undefined, undefined, undefined, undefined, 1, 1, 1, 1]);
  });

  it('last:F drops the last brick for the first F of the steps', () => {
    const s = parseSkip('last:0.25');
    expect(Array.from({ length: 8 }, (_, i) => stopAfterAt(s, i, 8, 1, 3))).toEqual([1, 1, undefined, undefined, undefined, undefined, undefined, undefined]);
  });

  it('ranges pick by sigma', () => {
    const s = parseSkip('0-0.5:0,0.5-2:1');
    expect([10, 1, 0.1].map((sigma) => stopAfterAt(s, 0, 8, sigma, 3))).toEqual([undefined, 1, 0]);
  });

  it('names schedules a stack cannot follow', () => {
    expect(skipProblem(parseSkip('top:0.5'), 1)).toMatch(/no brick to skip/);
    expect(skipProblem(parseSkip('0-1:3'), 3)).toMatch(/brick 3 does not exist/);
    expect(skipProblem(parseSkip('top:0.5'), 3)).toBeNull();
  });
});
