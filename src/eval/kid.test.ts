// KID against unbiased MMD^2 values worked out by hand (subsets as large as the sets: no randomness left).
import { describe, expect, it } from 'vitest';
import { kid } from './kid.js';

describe('kid', () => {
  it('d = 1, x = {1, 2}, y = {0, 1}: k = (xy + 1)^3 gives 54/2 + 2/2 - 2 * 37/4 = 9.5', async () => {
    // k(1,2) = 27 (twice), k(0,1) = 1 (twice); cross terms k(1,0) + k(1,1) + k(2,0) + k(2,1) = 1 + 8 + 1 + 27 = 37.
    const r = await kid(Float32Array.of(1, 2), Float32Array.of(0, 1), 1, { subsets: 3 });
    expect(r.value).toBeCloseTo(9.5, 5);
    expect(r.std).toBeLessThan(1e-6);
    expect(r).toMatchObject({ subsets: 3, subsetSize: 2 });
  });

  it('d = 2 divides the dot product by d: x = {e1, e2}, y = {(1, 1), 0} gives 1 + 1 - 2 * 8.75/4 = -2.375', async () => {
    // Within x and within y the off-diagonal dots are 0: k = 1. Cross: dots 1, 0, 1, 0 -> 1.5^3 + 1 + 1.5^3 + 1 = 8.75.
    const r = await kid(Float32Array.of(1, 0, 0, 1), Float32Array.of(1, 1, 0, 0), 2, { subsets: 1 });
    expect(r.value).toBeCloseTo(-2.375, 5);
  });

  it('subsets of min(1000, n) rows by default, drawn reproducibly from the seed', async () => {
    const x = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i));
    const y = Float32Array.from({ length: 30 }, (_, i) => Math.cos(i));
    const a = await kid(x, y, 2, { subsets: 5, seed: 7 });
    const b = await kid(x, y, 2, { subsets: 5, seed: 7 });
    expect(a.subsetSize).toBe(15);
    expect(a.value).toBe(b.value);
    expect(a.std).toBeGreaterThan(0);
  });
});
