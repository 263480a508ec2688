// Seed splitting (seed-split.ts): static shards deal every seed to exactly one shard, blocks are aligned to
// the shard size whatever else is asked for, and tags name a seed list uniquely and tell its size.
import { describe, expect, it } from 'vitest';
import { cutSeeds, dealSeeds, rangeSeeds, seedRanges, seedsTag, tagSeedCount } from './seed-split.js';

describe('dealSeeds', () => {
  it('deals the seeds out in order: every N-th from the K-th, each seed to one shard', () => {
    const seeds = Array.from({ length: 10 }, (_, i) => 100 + i);
    expect(dealSeeds(seeds, 0, 3)).toEqual([100, 103, 106, 109]);
    expect(dealSeeds(seeds, 2, 3)).toEqual([102, 105, 108]);
    const all = [0, 1, 2].flatMap((k) => dealSeeds(seeds, k, 3)).sort((a, b) => a - b);
    expect(all).toEqual(seeds);
    expect(dealSeeds(seeds, 0, 1)).toEqual(seeds);
  });
});

describe('cutSeeds', () => {
  it('cuts into blocks aligned to multiples of the size, so more seeds add only new blocks', () => {
    expect(cutSeeds([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 4)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(cutSeeds([9, 3, 100, 2], 4)).toEqual([[2, 3], [9], [100]]);
    const first = cutSeeds(Array.from({ length: 16 }, (_, i) => i), 8);
    const more = cutSeeds(Array.from({ length: 24 }, (_, i) => i), 8);
    expect(more.slice(0, 2)).toEqual(first);
  });
});

describe('seed ranges and tags', () => {
  it('ranges round-trip', () => {
    const seeds = [0, 1, 2, 5, 7, 8];
    expect(seedRanges(seeds)).toEqual([[0, 2], [5, 5], [7, 8]]);
    expect(rangeSeeds(seedRanges(seeds))).toEqual(seeds);
  });

  it('tags consecutive seeds by their ends and any other list by ends, count and hash', () => {
    expect(seedsTag([8, 9, 10, 11, 12, 13, 14, 15])).toBe('000008-000015');
    const gappy = seedsTag([0, 3, 6, 9]);
    expect(gappy).toMatch(/^000000-000009-4-[0-9a-f]{8}$/);
    expect(seedsTag([0, 3, 6, 9, 12].slice(0, 4))).toBe(gappy);
    expect(seedsTag([0, 4, 6, 9])).not.toBe(gappy);
    expect(tagSeedCount('000008-000015')).toBe(8);
    expect(tagSeedCount(gappy)).toBe(4);
    expect(tagSeedCount('8-15')).toBeNull();
    expect(tagSeedCount('1234567-1234568')).toBe(2);
  });
});
