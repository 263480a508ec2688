// Fréchet distance: the statistics of a hand-made feature set and closed forms for Gaussians.
import { describe, expect, it } from 'vitest';
import { frechetDistance, gaussianStats, type GaussianStats } from './fd.js';

const stats = (mu: number[], sigma: number[]): GaussianStats => ({ count: 10, dim: mu.length, mu: Float64Array.from(mu), sigma: Float64Array.from(sigma) });

describe('gaussianStats', () => {
  it('the square (0,0), (2,0), (0,2), (2,2) has mean (1, 1) and covariance diag(4/3, 4/3) (n - 1 normalisation)', () => {
    const s = gaussianStats(Float32Array.of(0, 0, 2, 0, 0, 2, 2, 2), 2);
    expect(s.count).toBe(4);
    expect([...s.mu]).toEqual([1, 1]);
    expect([...s.sigma].map((v) => +v.toFixed(12))).toEqual([4 / 3, 0, 0, 4 / 3].map((v) => +v.toFixed(12)));
  });
});

describe('frechetDistance', () => {
  it('is 0 between identical statistics', () => {
    const s = stats([1, 2], [2, 1, 1, 2]);
    expect(Math.abs(frechetDistance(s, s))).toBeLessThan(1e-12);
  });

  it('diagonal covariances: |dmu|^2 + sum (sqrt(v1) - sqrt(v2))^2', () => {
    // dmu = (1, 2); standard deviations (2, 3) vs (1, 1): 5 + 1 + 4 = 10.
    expect(frechetDistance(stats([0, 0], [4, 0, 0, 9]), stats([1, 2], [1, 0, 0, 1]))).toBeCloseTo(10, 12);
  });

  it('non-diagonal: S1 = [[2, 1], [1, 2]] against I is tr(S1) + 2 - 2 tr(S1^1/2) = 4 - 2 sqrt 3', () => {
    expect(frechetDistance(stats([0, 0], [2, 1, 1, 2]), stats([0, 0], [1, 0, 0, 1]))).toBeCloseTo(4 - 2 * Math.sqrt(3), 12);
  });

  it('is symmetric', () => {
    const a = stats([0.5, -1], [3, 0.5, 0.5, 1]);
    const b = stats([0, 2], [1, -0.2, -0.2, 2]);
    expect(frechetDistance(a, b)).toBeCloseTo(frechetDistance(b, a), 12);
  });
});
