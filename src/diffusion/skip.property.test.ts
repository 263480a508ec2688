// Property tests of brick skipping schedules (skip.ts parseSkip): every schedule written in the flag's syntax
// reads back as itself; any other text is refused with a one-line Error (which the CLI wraps in a UsageError
// naming --skip), quickly; skipProblem then vets a parsed schedule against any stack without crashing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseWithin, runs } from '../../test/helpers/parse-property.js';
import { parseSkip, skipProblem, stopAfterAt, type SkipSchedule } from './skip.js';

const fraction = fc.oneof(fc.constantFrom(0, 0.25, 0.5, 1), fc.double({ min: 0, max: 1, noNaN: true }));
const sigma = fc.oneof(fc.constantFrom(0, 0.002, 1, 80), fc.double({ min: 0, max: 1e6, noNaN: true }));
const schedule: fc.Arbitrary<{ text: string; parsed: SkipSchedule }> = fc.oneof(
  fc.constantFrom({ text: 'none', parsed: { kind: 'none' } as SkipSchedule }, { text: '', parsed: { kind: 'none' } as SkipSchedule }),
  fc.tuple(fc.constantFrom('top' as const, 'last' as const), fraction).map(([kind, f]) => ({ text: `${kind}:${f}`, parsed: { kind, fraction: f } })),
  fc.array(fc.tuple(sigma, sigma, fc.integer({ min: 0, max: 99 })), { minLength: 1, maxLength: 4 }).map((ranges) => {
    const sorted = ranges.map(([a, b, k]) => ({ sigmaLo: Math.min(a, b), sigmaHi: Math.max(a, b), stopAfter: k }));
    return { text: sorted.map((r) => `${r.sigmaLo}-${r.sigmaHi}:${r.stopAfter}`).join(','), parsed: { kind: 'ranges' as const, ranges: sorted } };
  }),
);

describe('--skip properties', () => {
  it('a schedule written in the syntax reads back as itself', () => {
    fc.assert(
      fc.property(schedule, ({ text, parsed }) => {
        expect(parseSkip(text)).toEqual(parsed);
      }),
      runs(500),
    );
  });

  it('any text gives a schedule or a one-line Error; skipProblem then never crashes', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.array(fc.constantFrom('top', 'last', 'none', ':', '-', ',', '.', 'e', 'E', '+', '\n', ' ', '0', '1', '80', '1e400', '99999999999999999999'), { maxLength: 10 }).map((t) => t.join('')),
    );
    fc.assert(
      fc.property(text, fc.integer({ min: 0, max: 6 }), (t, bricks) => {
        const outcome = parseWithin(() => parseSkip(t), t.length, { refusals: [Error] });
        if (!outcome.ok) return;
        const problem = skipProblem(outcome.value, bricks);
        if (problem === null) {
          for (let step = 0; step < 4; step++) {
            const k = stopAfterAt(outcome.value, step, 4, 80 / (step + 1), bricks);
            expect(k === undefined || (Number.isInteger(k) && k >= 0 && k < bricks)).toBe(true);
          }
        } else expect(problem).not.toMatch(/\n/);
      }),
      runs(1500),
    );
  });
});
