// generateProblem (generate.ts): options generate cannot run are named before any work starts.
import { describe, expect, it } from 'vitest';
import { presetConfig } from '../lego/presets.js';
import { generateProblem } from './generate.js';

describe('generateProblem', () => {
  const cfg = presetConfig('lego_S_PG_64');

  it('accepts a tileable canvas and a positive batch', () => {
    expect(generateProblem(cfg, { seeds: [0, 1], width: 128, height: 64, batch: 2 })).toBeNull();
  });

  it('refuses a zero-height canvas, which every tile divides', () => {
    expect(generateProblem(cfg, { seeds: [0], height: 0 })).toBe('canvas 64x0 is not a positive whole number of pixels');
  });

  it('refuses a batch that is not a positive whole number (a zero batch never ends)', () => {
    expect(generateProblem(cfg, { seeds: [0], batch: 0 })).toBe('batch 0 is not a positive whole number of images');
    expect(generateProblem(cfg, { seeds: [0], batch: 1.5 })).toBe('batch 1.5 is not a positive whole number of images');
  });

  it('refuses a canvas whose latents do not fit one typed array, before allocating them', () => {
    expect(generateProblem(cfg, { seeds: [0, 1], width: 65536, height: 65536 })).toMatch(/^a 65536x65536 canvas in batches of 2 needs 25769803776 latent values at once, more than one array holds \(2\^31 - 1\)/);
    expect(generateProblem(cfg, { seeds: [0], width: 16384, height: 16384 })).toBeNull(); // 805 M values: large, but one array
  });
});
