// Tests for classifier-free guidance (guidance.ts) on the tiny stack: the mix of the conditional and
// unconditional passes, the unguided shortcut, and independence from the runner's micro-batch size.
import { describe, expect, it } from 'vitest';
import { tinyConfig, tinyWeights } from '../../test/helpers/tiny-model.js';
import { LegoRunner } from '../lego/runner.js';
import { Rng } from '../random.js';
import { guidedDenoise } from './guidance.js';

const b = 3;
const shape = [b, 3, 16, 16];
const x = new Rng(3, 5).fillNormal(new Float32Array(b * 3 * 16 * 16));
const labels = new Float32Array(b * 4).map((_, i) => (i % 5 === 0 ? 1 : 0));
const sigma = [0.5, 2, 10];

const maxAbsDiff = (a: ArrayLike<number>, p: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - p[i]));
  return m;
};

describe('guidedDenoise', () => {
  it('is D_u + s (D_c - D_u), and plain denoising at scale 1', async () => {
    const runner = new LegoRunner(tinyConfig, tinyWeights(3), { threads: 1 });
    try {
      const cond = await runner.denoise(x, shape, sigma, { labels });
      const uncond = await runner.denoise(x, shape, sigma, { labels: null });
      const guided = await guidedDenoise(runner, x, shape, sigma, { labels, cfgScale: 2.5 });
      // D is affine in F with the same c_skip x, so mixing F and mixing D agree up to rounding.
      const expected = uncond.map((u, i) => u + 2.5 * (cond[i] - u));
      expect(maxAbsDiff(guided, expected)).toBeLessThan(1e-5);
      expect(maxAbsDiff(guided, cond)).toBeGreaterThan(1e-3);
      const unguided = await guidedDenoise(runner, x, shape, sigma, { labels, cfgScale: 1 });
      expect(Buffer.from(unguided.buffer).equals(Buffer.from(cond.buffer))).toBe(true);
    } finally {
      await runner.release();
    }
  });

  it('gives the same denoised images whatever the piece size (guided, shifted tiles, all bricks)', async () => {
    const weights = tinyWeights(3);
    const options = { labels, cfgScale: 2, tileOffset: [1, 3] as const };
    const whole = new LegoRunner(tinyConfig, weights, { threads: 1, microBatch: 2 * b });
    const pieces = new LegoRunner(tinyConfig, weights, { threads: 1, microBatch: 2 });
    try {
      const a = await guidedDenoise(whole, x, shape, sigma, options);
      const p = await guidedDenoise(pieces, x, shape, sigma, options);
      const maxDiff = maxAbsDiff(a, p);
      console.log(`micro-batched denoise: max abs difference ${maxDiff}`);
      expect(maxDiff).toBeLessThan(1e-6);
      expect(a.some((v, i) => v !== x[i])).toBe(true);
      // Same work counted either way: three calls of each brick's rows.
      expect(pieces.brickStats.map((s) => s.flops)).toEqual(whole.brickStats.map((s) => s.flops));
    } finally {
      await whole.release();
      await pieces.release();
    }
  });
});
