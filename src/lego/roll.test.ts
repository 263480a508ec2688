import { describe, expect, it } from 'vitest';
import { tileShift } from '../diffusion/canvas.js';
import { roll } from './roll.js';

describe('roll', () => {
  it('moves element (i, j) to ((i+dy) mod H, (j+dx) mod W) in every plane', () => {
    const [b, c, h, w] = [2, 2, 3, 5];
    const x = Float32Array.from({ length: b * c * h * w }, (_, i) => i);
    const y = roll(x, [b, c, h, w], 2, -7);
    for (let p = 0; p < b * c; p++) {
      for (let i = 0; i < h; i++) {
        for (let j = 0; j < w; j++) {
          const to = p * h * w + ((i + 2) % h) * w + (((j - 7) % w) + w) % w;
          expect(y[to]).toBe(x[p * h * w + i * w + j]);
        }
      }
    }
  });

  it('is undone by the opposite roll, and a zero roll is the identity', () => {
    const x = Float32Array.from({ length: 4 * 6 }, (_, i) => i * 1.5);
    expect(roll(roll(x, [1, 1, 4, 6], 3, 4), [1, 1, 4, 6], -3, -4)).toEqual(x);
    expect(roll(x, [1, 1, 4, 6], 4, 6)).toBe(x);
  });
});

describe('tileShift', () => {
  it('gives offsets within a tile that vary between steps; rows stay for horizontal-only shifts', () => {
    const shifts = Array.from({ length: 32 }, (_, i) => tileShift(i, 16));
    for (const [dy, dx] of shifts) {
      expect(dy).toBeGreaterThanOrEqual(0);
      expect(dx).toBeLessThan(16);
    }
    expect(new Set(shifts.map(([, dx]) => dx)).size).toBeGreaterThan(8);
    expect(new Set(shifts.map(([dy]) => dy)).size).toBeGreaterThan(8);
    expect(tileShift(5, 16, false)[0]).toBe(0);
    expect(tileShift(5, 16)).toEqual(tileShift(5, 16)); // a function of the step only
  });
});
