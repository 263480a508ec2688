// Property tests of generation options (generate.ts generateProblem): whatever the canvas, batch, class and
// schedule, it returns null only when generate can run them (a tileable canvas whose latents fit a typed
// array, a positive batch, a class the model has, a schedule its stack allows), else one short line.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runs } from '../../test/helpers/parse-property.js';
import { canvasSide, stackConfig } from '../../test/helpers/stack-arbitraries.js';
import { generateProblem, type GenerateOptions } from './generate.js';
import { skipProblem, type SkipSchedule } from './skip.js';

/** Most elements one typed array holds everywhere this runs (V8 and browsers): the latents of a batch must fit. */
const MAX_ELEMENTS = 2 ** 31 - 1;

const skip: fc.Arbitrary<SkipSchedule | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constant({ kind: 'none' as const }),
  fc.record({ kind: fc.constantFrom('top' as const, 'last' as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('steps' as const), stopAfter: fc.array(fc.oneof(fc.constant(null), fc.integer({ min: -1, max: 5 }), fc.double()), { maxLength: 4 }) }),
);

const options = fc.record(
  {
    seeds: fc.array(fc.nat(), { maxLength: 20 }),
    batch: fc.oneof(fc.integer({ min: -2, max: 4096 }), fc.double()),
    width: canvasSide,
    height: canvasSide,
    classLabel: fc.oneof(fc.constant('random' as const), fc.integer({ min: -2, max: 12 }), fc.double()),
    skip,
  },
  { requiredKeys: ['seeds'] },
);

describe('generate option properties', () => {
  it('returns null exactly when generate can run the options, else one short line', () => {
    const conditional = stackConfig.chain((cfg) => fc.record({ labelDim: fc.integer({ min: 0, max: 10 }), imgChannels: fc.constantFrom(1, 3, 4) }).map((extra) => ({ ...cfg, ...extra })));
    fc.assert(
      fc.property(conditional, options, (cfg, o) => {
        const problem = generateProblem(cfg, o as GenerateOptions);
        const width = o.width ?? cfg.imgResolution;
        const height = o.height ?? cfg.imgResolution;
        const batch = o.batch ?? 8;
        const tiles = [height, width].every((n) => Number.isInteger(n) && n > 0 && cfg.bricks.every((b) => n % b.resolution === 0));
        const runnable =
          o.seeds.length > 0 &&
          tiles &&
          Number.isInteger(batch) &&
          batch > 0 &&
          Math.min(batch, o.seeds.length) * cfg.imgChannels * height * width <= MAX_ELEMENTS &&
          (typeof o.classLabel !== 'number' || (Number.isInteger(o.classLabel) && o.classLabel >= 0 && o.classLabel < cfg.labelDim)) &&
          (o.skip === undefined || skipProblem(o.skip, cfg.bricks.length) === null);
        expect(problem === null).toBe(runnable);
        if (problem !== null) expect(problem).toMatch(/^[^\n]{1,200}$/);
      }),
      runs(2000),
    );
  });
});
