// Benchmark helpers (bench.ts): the median reported, the untimed warm-up, and inputs that are the same on
// every call so forward and training-step timings run on the same data.
import { describe, expect, it } from 'vitest';
import { presetConfig } from '../lego/presets.js';
import { median, timeRuns } from '../timing.js';
import { benchInputs } from './bench.js';

describe('median', () => {
  it('takes the middle value, the upper one of an even count, without reordering its input', () => {
    const xs = [3, 1, 2, 10];
    expect(median([5, 1, 3])).toBe(3);
    expect(median(xs)).toBe(3);
    expect(xs).toEqual([3, 1, 2, 10]);
  });
});

describe('timeRuns', () => {
  it('runs once more than it times', async () => {
    let runs = 0;
    const seconds = await timeRuns(3, async () => runs++);
    expect(runs).toBe(4);
    expect(seconds).toHaveLength(3);
    for (const s of seconds) expect(s).toBeGreaterThanOrEqual(0);
  });
});

describe('benchInputs', () => {
  it('gives the same normals and one-hot class 0 labels on every call', () => {
    const cfg = presetConfig('lego_S_PG_64', { imgChannels: 1, labelDim: 10 });
    const a = benchInputs(cfg, 2);
    const b = benchInputs(cfg, 2);
    expect(a.shape).toEqual([2, 1, 64, 64]);
    expect(a.x).toEqual(b.x);
    expect(a.labels).toEqual(Float32Array.from({ length: 20 }, (_, i) => (i % 10 === 0 ? 1 : 0)));
    expect(a.rng.nextUint32()).toBe(b.rng.nextUint32());
  });
});
