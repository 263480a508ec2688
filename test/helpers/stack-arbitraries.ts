// fast-check arbitraries for the canvas and generation properties: stacks that differ only in their tiles,
// and the canvas sides a caller might pass (whole multiples of tiles, and zero, negatives, fractions, NaN).
import fc from 'fast-check';
import type { LegoConfig } from '../../src/lego/config.js';

/** A stack of 1-4 bricks with tiles of 1-64 pixels (only the tiles matter to a canvas). */
export const stackConfig: fc.Arbitrary<LegoConfig> = fc.array(fc.constantFrom(1, 2, 4, 8, 12, 16, 32, 64), { minLength: 1, maxLength: 4 }).map((tiles) => ({
  imgResolution: Math.max(...tiles), imgChannels: 3, labelDim: 0, hiddenSize: 32, mlpRatio: 4, sigmaData: 0.5,
  bricks: tiles.map((resolution) => ({ resolution, patchSize: 1, heads: 1, depth: 1 })),
}));

/** Canvas sides: multiples of 16 up to 1024, small integers, any double, and edge values. */
export const canvasSide = fc.oneof(
  fc.integer({ min: 1, max: 64 }).map((k) => k * 16),
  fc.integer({ min: -64, max: 4096 }),
  fc.double(),
  fc.constantFrom(0, -0, -16, 16.5, NaN, Infinity, -Infinity, 2 ** 53, 65536),
);
