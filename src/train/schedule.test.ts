// The learning-rate schedule with its decay at the end of a run, and the EMA half-life with its ramp-up.
import { describe, expect, it } from 'vitest';
import { emaBeta, learningRate, lrDecayFactor } from './schedule.js';

/** The authors' ramp-up alone, written out: the schedule without a decay must stay exactly this. */
const rampUp = (lr: number, rampupKimg: number, nimg: number) => (rampupKimg > 0 ? lr * Math.min(nimg / (rampupKimg * 1000), 1) : lr);

describe('learningRate', () => {
  it('without a decay, or with fraction 0 or an unknown length, is the ramp-up bit for bit', () => {
    for (const lr of [1e-4, 3e-4, 0.01]) {
      for (const rampupKimg of [0, 0.05, 10, 10000]) {
        for (const nimg of [0, 8, 512, 4096, 49_152, 10_000_000, 200_000_000]) {
          const expected = rampUp(lr, rampupKimg, nimg);
          expect(learningRate(lr, rampupKimg, nimg)).toBe(expected);
          expect(learningRate(lr, rampupKimg, nimg, { fraction: 0, durationKimg: 200 })).toBe(expected);
          expect(learningRate(lr, rampupKimg, nimg, { fraction: 0.2, durationKimg: Infinity })).toBe(expected);
        }
      }
    }
  });

  it('falls linearly to 0 over the last fraction of the run', () => {
    const decay = { fraction: 0.2, durationKimg: 100 }; // decay from 80000 images to 100000
    const lr = (nimg: number) => learningRate(1e-3, 10, nimg, decay);
    expect(lr(5000)).toBe(5e-4); // still ramping up
    expect(lr(79_999)).toBe(1e-3);
    expect(lr(80_000)).toBe(1e-3); // the decay starts
    expect(lr(90_000)).toBeCloseTo(5e-4, 15); // halfway
    expect(lr(99_488)).toBeCloseTo(1e-3 * (512 / 20_000), 15); // the last step of 512 images
    expect(lr(100_000)).toBe(0);
  });

  it('multiplies the ramp-up where both apply', () => {
    const decay = { fraction: 0.5, durationKimg: 10 };
    expect(learningRate(1e-3, 10, 7500, decay)).toBeCloseTo(1e-3 * 0.75 * 0.5, 15);
  });
});

describe('lrDecayFactor', () => {
  it('is 1 before the decay, (total - nimg) / (fraction * total) in it, and 0 at the end', () => {
    const decay = { fraction: 0.25, durationKimg: 4 };
    expect(lrDecayFactor(decay, 0)).toBe(1);
    expect(lrDecayFactor(decay, 3000)).toBe(1);
    expect(lrDecayFactor(decay, 3500)).toBe(0.5);
    expect(lrDecayFactor(decay, 3992)).toBeCloseTo(8 / 1000, 15);
    expect(lrDecayFactor(decay, 4000)).toBe(0);
    expect(lrDecayFactor(decay, 5000)).toBe(0);
  });

  it('is 1 for an empty or unknown length', () => {
    expect(lrDecayFactor({ fraction: 0.2, durationKimg: 0 }, 0)).toBe(1);
    expect(lrDecayFactor({ fraction: 0.2, durationKimg: Infinity }, 1e9)).toBe(1);
  });
});

describe('emaBeta', () => {
  it('an unknown half-life (Infinity) follows the ramp-up exactly as a long enough one does', () => {
    for (const nimg of [0, 8, 800, 4000]) expect(emaBeta(Infinity, 0.05, nimg, 8)).toBe(emaBeta(0.2, 0.05, nimg, 8));
    expect(emaBeta(Infinity, 0.05, 8000, 8)).not.toBe(emaBeta(0.2, 0.05, 8000, 8)); // past 0.2 kimg / 0.05
  });
});
