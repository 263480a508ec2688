// Property tests of the `--seeds` parser (args.ts parseSeeds): lists of numbers and ranges read back as the
// seeds they name, in order; any other text is refused with a one-line UsageError naming the flag, quickly.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseWithin, runs } from '../../test/helpers/parse-property.js';
import { UsageError } from '../errors.js';
import { parseSeeds } from './args.js';

/** A seed or an inclusive range of them, written as the flag takes it. */
const part = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 32 - 1 }).map((s) => ({ text: String(s), seeds: [s] })),
  fc.tuple(fc.integer({ min: 0, max: 2 ** 32 - 101 }), fc.integer({ min: 0, max: 100 })).map(([lo, n]) => ({ text: `${lo}-${lo + n}`, seeds: Array.from({ length: n + 1 }, (_, i) => lo + i) })),
);

describe('--seeds properties', () => {
  it('numbers and ranges, each seed once, read back as the seeds they name, in order', () => {
    const disjoint = fc.array(part, { minLength: 1, maxLength: 5 }).filter((parts) => new Set(parts.flatMap((p) => p.seeds)).size === parts.reduce((n, p) => n + p.seeds.length, 0));
    fc.assert(
      fc.property(disjoint, fc.constantFrom(',', ', ', ' ,'), (parts, comma) => {
        expect(parseSeeds(parts.map((p) => p.text).join(comma))).toEqual(parts.flatMap((p) => p.seeds));
      }),
      runs(300),
    );
  });

  it('any text gives seeds below 2^32 or a one-line UsageError naming the flag', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.array(fc.oneof(fc.constantFrom('-', ',', ' ', '\n', '0', '9', '4294967295', '4294967296', '1e3', '0x10', '99999999999999999999'), fc.nat().map(String)), { maxLength: 8 }).map((t) => t.join('')),
    );
    fc.assert(
      fc.property(text, (t) => {
        const outcome = parseWithin(() => parseSeeds(t), t.length, { refusals: [UsageError] });
        if (outcome.ok) expect(outcome.value.every((s) => Number.isInteger(s) && s >= 0 && s < 2 ** 32)).toBe(true);
        else expect(outcome.error.message).toMatch(/^--seeds: /);
      }),
      runs(1500),
    );
  });
});
