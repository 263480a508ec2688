import { describe, expect, it } from 'vitest';
import { tinyConfig, tinyWeights } from '../../test/helpers/tiny-model.js';
import { Rng } from '../random.js';
import { defaultMicroBatch } from './micro-batch.js';
import { presetConfig } from './presets.js';
import { LegoRunner } from './runner.js';

describe('defaultMicroBatch', () => {
  it('halves even batches while the largest MLP activation of a piece exceeds 32 MiB', () => {
    const pg64 = presetConfig('lego_S_PG_64', { imgResolution: 64, imgChannels: 3 }); // 1024 tokens x 1536 floats: 6.3 MB per image
    expect([1, 4, 5, 8, 16, 64].map((b) => defaultMicroBatch(pg64, b))).toEqual([1, 4, 5, 4, 4, 4]);
    // A 128x128 canvas has 4 times the tokens: one image per piece.
    expect(defaultMicroBatch(pg64, 8, 128, 128)).toBe(1);
    expect(defaultMicroBatch(tinyConfig, 64)).toBe(64);
  });
});

describe('LegoRunner in micro-batches', () => {
  it('gives the same denoised images whatever the piece size (guided, shifted tiles, all bricks)', async () => {
    const weights = tinyWeights(3);
    const rng = new Rng(3, 5);
    const b = 3;
    const shape = [b, 3, 16, 16];
    const x = rng.fillNormal(new Float32Array(b * 3 * 16 * 16));
    const labels = new Float32Array(b * 4).map((_, i) => (i % 5 === 0 ? 1 : 0));
    const options = { labels, cfgScale: 2, tileOffset: [1, 3] as const };
    const sigma = [0.5, 2, 10];
    const whole = new LegoRunner(tinyConfig, weights, { threads: 1, microBatch: 2 * b });
    const pieces = new LegoRunner(tinyConfig, weights, { threads: 1, microBatch: 2 });
    try {
      const a = await whole.denoise(x, shape, sigma, options);
      const p = await pieces.denoise(x, shape, sigma, options);
      let maxDiff = 0;
      for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - p[i]));
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
