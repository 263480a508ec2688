// Growing a brick deeper: the grown stack computes what the trained one did (its new blocks are the
// identity until training opens their gates), keeps every trained weight, and refuses what it cannot grow.
import { describe, expect, it } from 'vitest';
import { tinyConfig, tinyWeights } from '../../test/helpers/tiny-model.js';
import { Rng } from '../random.js';
import { growDepth } from './grow.js';
import { LegoRunner } from './runner.js';

describe('growDepth', () => {
  const weights = tinyWeights();
  const grown = growDepth(tinyConfig, weights, { brick: 2, after: [0], seed: 3 });

  it('puts each trained block where it says and a fresh block after each listed one', () => {
    expect(grown.config.bricks.map((b) => b.depth)).toEqual([1, 1, 2]);
    expect(grown.oldBlockAt).toEqual([0]);
    const moved = 'model.model.2.blocks.0.mlp.fc1.weight';
    expect(grown.weights.get(moved)).toBe(weights.get(moved));
    for (const [name, value] of weights) if (!name.includes('.blocks.')) expect(grown.weights.get(name), name).toBe(value);
    // The new block learns: its products start non-zero, only its modulation (the gates) is zero.
    expect(grown.weights.get('model.model.2.blocks.1.mlp.fc1.weight')!.some((v) => v !== 0)).toBe(true);
    expect(grown.weights.get('model.model.2.blocks.1.adaLN_modulation.1.weight')!.every((v) => v === 0)).toBe(true);
  });

  it('denoises as the stack it grew from', async () => {
    const [n, ch, r] = [2, tinyConfig.imgChannels, tinyConfig.imgResolution];
    const x = new Rng(5).fillNormal(new Float32Array(n * ch * r * r));
    const labels = Float32Array.of(0, 1, 0, 0, 0, 0, 0, 1);
    const sigma = [0.3, 4];
    const before = await new LegoRunner(tinyConfig, weights, { threads: 1 }).denoise(x, [n, ch, r, r], sigma, { labels });
    const after = await new LegoRunner(grown.config, grown.weights, { threads: 1 }).denoise(x, [n, ch, r, r], sigma, { labels });
    let worst = 0;
    for (let i = 0; i < before.length; i++) worst = Math.max(worst, Math.abs(after[i] - before[i]));
    expect(worst).toBeLessThan(1e-6);
    // A grown block that was not the identity would change the output by far more.
    const opened = new Map(grown.weights);
    opened.set('model.model.2.blocks.1.adaLN_modulation.1.bias', new Float32Array(6 * tinyConfig.hiddenSize).fill(0.5));
    const changed = await new LegoRunner(grown.config, opened, { threads: 1 }).denoise(x, [n, ch, r, r], sigma, { labels });
    expect(Math.max(...changed.map((v, i) => Math.abs(v - before[i])))).toBeGreaterThan(1e-3);
  });

  it('names the brick or block it cannot grow', () => {
    expect(() => growDepth(tinyConfig, weights, { brick: 3, after: [0] })).toThrow(/no brick 3: the stack has 3/);
    expect(() => growDepth(tinyConfig, weights, { brick: 0, after: [1] })).toThrow(/block 1: brick 0 has blocks 0-0/);
  });
});
