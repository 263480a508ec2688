import { describe, expect, it } from 'vitest';
import { tinyConfig } from '../../test/helpers/tiny-model.js';
import { defaultMicroBatch } from './micro-batch.js';
import { presetConfig } from './presets.js';

describe('defaultMicroBatch', () => {
  it('halves even batches while the largest MLP activation of a piece exceeds 32 MiB', () => {
    const pg64 = presetConfig('lego_S_PG_64', { imgResolution: 64, imgChannels: 3 }); // 1024 tokens x 1536 floats: 6.3 MB per image
    expect([1, 4, 5, 8, 16, 64].map((b) => defaultMicroBatch(pg64, b))).toEqual([1, 4, 5, 4, 4, 4]);
    // A 128x128 canvas has 4 times the tokens: one image per piece.
    expect(defaultMicroBatch(pg64, 8, 128, 128)).toBe(1);
    expect(defaultMicroBatch(tinyConfig, 64)).toBe(64);
  });
});
