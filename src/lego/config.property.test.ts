// Property tests of canvas sizes (config.ts canvasProblem): a canvas is accepted exactly when it is a positive
// whole number of pixels that every brick's tile divides; otherwise the reason is one short line.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runs } from '../../test/helpers/parse-property.js';
import { canvasSide, stackConfig } from '../../test/helpers/stack-arbitraries.js';
import { canvasProblem } from './config.js';

describe('canvas size properties', () => {
  it('accepts exactly the positive whole sizes every tile divides, and says why otherwise in one line', () => {
    fc.assert(
      fc.property(stackConfig, canvasSide, canvasSide, (cfg, height, width) => {
        const fits = [height, width].every((n) => Number.isInteger(n) && n > 0 && cfg.bricks.every((b) => n % b.resolution === 0));
        const problem = canvasProblem(cfg, height, width);
        expect(problem === null).toBe(fits);
        if (problem !== null) expect(problem).toMatch(/^canvas [^\n]{1,200}$/);
      }),
      runs(2000),
    );
  });
});
