// Mergeable sums (feature-sums.ts): shards' sums added give the mean and covariance of all rows at once.
import { describe, expect, it } from 'vitest';
import { Rng } from '../random.js';
import { gaussianStats } from './fd.js';
import { addSums, emptySums, featureSums, sumsToGaussian } from './feature-sums.js';

function randomRows(n: number, d: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  // An offset mean, as real features have: the sums must not lose the covariance to cancellation.
  return Float32Array.from({ length: n * d }, (_, i) => 5 + (i % d) + rng.normal());
}

describe('feature sums', () => {
  it('summed shards give the two-pass mean and covariance of all rows', () => {
    const d = 6;
    const all = randomRows(50, d, 1);
    const parts = [all.subarray(0, 7 * d), all.subarray(7 * d, 31 * d), all.subarray(31 * d)];
    const merged = parts.map((p) => featureSums(p, d)).reduce(addSums, emptySums(d));
    expect(merged.count).toBe(50);
    const direct = gaussianStats(all, d);
    const fromSums = sumsToGaussian(merged);
    for (let j = 0; j < d; j++) expect(fromSums.mu[j]).toBeCloseTo(direct.mu[j], 12);
    for (let j = 0; j < d * d; j++) expect(fromSums.sigma[j]).toBeCloseTo(direct.sigma[j], 10);
    // Symmetric to the last bit, as the eigen solver expects.
    for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) expect(fromSums.sigma[j * d + k]).toBe(fromSums.sigma[k * d + j]);
  });
});
