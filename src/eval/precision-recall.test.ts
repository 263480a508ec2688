// Improved precision and recall on 1-D point sets whose k-NN balls are easy to draw by hand.
import { describe, expect, it } from 'vitest';
import { precisionRecall } from './precision-recall.js';

describe('precisionRecall', () => {
  it('k = 1: real {0, 1, 2, 3} (radius 1 each), fake {0.5, 10, 3.9, -1.5}', async () => {
    // Inside the real balls: 0.5 and 3.9; not 10 or -1.5 (1.5 from 0). Fake radii (nearest other fake):
    // -1.5 and 0.5 -> 2, 3.9 -> 3.4, 10 -> 6.1; every real point lies in one of them.
    const real = Float32Array.of(0, 1, 2, 3);
    const fake = Float32Array.of(0.5, 10, 3.9, -1.5);
    expect(await precisionRecall(real, fake, 1, { k: 1 })).toEqual({ precision: 0.5, recall: 1, k: 1 });
    expect(await precisionRecall(fake, real, 1, { k: 1 })).toEqual({ precision: 1, recall: 0.5, k: 1 });
  });

  it('k = 3 (default): the third neighbour, the point itself not counted', async () => {
    // Real {0..4}: radii 3, 2, 2, 2, 3. Of the fakes only 6 (2 from 4) lies inside; -3.5's ball (radius 23.5)
    // covers every real point.
    const r = await precisionRecall(Float32Array.of(0, 1, 2, 3, 4), Float32Array.of(-3.5, 6, 7.5, 20), 1);
    expect(r).toEqual({ precision: 0.25, recall: 1, k: 3 });
  });

  it('works in several dimensions and across block boundaries (300 points)', async () => {
    const grid = Float32Array.from({ length: 600 }, (_, i) => (i % 2 === 0 ? Math.floor(i / 2) % 20 : Math.floor(i / 40)));
    const r = await precisionRecall(grid, grid, 2);
    expect(r).toEqual({ precision: 1, recall: 1, k: 3 });
  });
});
