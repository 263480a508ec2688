import { describe, expect, it } from 'vitest';
import { seamStats } from './seams.js';

const image = (width: number, height: number, f: (y: number, x: number) => number) => ({
  width, height, channels: 1, pixels: Uint8Array.from({ length: width * height }, (_, i) => f(Math.floor(i / width), i % width)),
});

describe('seamStats', () => {
  it('sees a tile grid drawn into an image', () => {
    // Flat tiles of different grey levels: every difference is at a border.
    const s = seamStats([image(8, 8, (y, x) => 10 * (Math.floor(y / 4) * 2 + Math.floor(x / 4)))], 4);
    expect(s.inside).toBe(0);
    expect(s.border).toBeCloseTo((10 + 20) / 2); // horizontal borders differ by 10, vertical by 20
  });

  it('gives a ratio near 1 when nothing lines up with the grid', () => {
    const s = seamStats([image(64, 64, (y, x) => (x * 7 + y * 13) % 256)], 16);
    expect(s.ratio).toBeGreaterThan(0.8);
    expect(s.ratio).toBeLessThan(1.25);
  });
});
