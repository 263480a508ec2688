// int8 sampling of a LEGO stack: the quantised weights are exactly what the int8 brick graphs read, each
// brick's output stays close to float32, and a row's result does not depend on the rows beside it.
import { describe, expect, it } from 'vitest';
import { tinyConfig, tinyWeights } from '../../test/helpers/tiny-model.js';
import { Graph } from '../graph/ops.js';
import { Rng } from '../random.js';
import { quantizeWeights } from './quantize.js';
import { LegoRunner } from './runner.js';
import { brickOutput, modelParams, withCoordinates } from './stack.js';

/** ||a - b|| / ||b||. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

describe('quantizeWeights', () => {
  it('gives every int8 input of every int8 brick graph, and nothing else', () => {
    const cfg = tinyConfig;
    const quantized = quantizeWeights(tinyWeights(), cfg);
    const needed = new Map<string, number>();
    cfg.bricks.forEach((_, k) => {
      const g = new Graph();
      const r = cfg.imgResolution;
      const X = withCoordinates(g.input('x_in', [1, cfg.imgChannels, r, r]), g.input('coords', [1, 2, r, r]));
      const fPrev = k > 0 ? g.input('f_prev', [1, cfg.imgChannels, r, r]) : null;
      brickOutput(modelParams(g), k, X, fPrev, g.input('c', [1, cfg.hiddenSize]), cfg, 'int8');
      for (const [name, v] of g.inputs) if (name.endsWith('.q') || name.endsWith('.scale')) needed.set(name, v.size);
    });
    expect([...quantized.keys()].sort()).toEqual([...needed.keys()].sort());
    for (const [name, data] of quantized) expect(data.length, name).toBe(needed.get(name));
    expect(quantized.get('model.model.0.blocks.0.mlp.fc1.weight.q')).toBeInstanceOf(Int8Array);
  });
});

describe('LegoRunner with precision int8', () => {
  const cfg = tinyConfig;
  const weights = tinyWeights(2);
  const b = 4;
  const r = cfg.imgResolution;
  const shape = [b, cfg.imgChannels, r, r];
  const x = new Rng(7).fillNormal(new Float32Array(b * cfg.imgChannels * r * r));
  const labels = new Float32Array(b * cfg.labelDim).map((_, i) => (i % cfg.labelDim === i % 3 ? 1 : 0));
  const sigma = [0.5, 2, 10, 40];

  it('stays within 1% of float32 after each brick (relative L2 error; 0.05-0.07% measured)', async () => {
    const float = new LegoRunner(cfg, weights, { threads: 1 });
    const int8 = new LegoRunner(cfg, weights, { threads: 1, precision: 'int8' });
    for (let k = 0; k < cfg.bricks.length; k++) {
      const f32 = await float.forward(x, shape, sigma, { labels, stopAfter: k });
      const f8 = await int8.forward(x, shape, sigma, { labels, stopAfter: k });
      const err = relativeError(f8, f32);
      expect(err, `brick ${k}`).toBeLessThan(0.01);
      expect(err, `brick ${k}`).toBeGreaterThan(0); // it really ran in 8 bits
    }
    await Promise.all([float.release(), int8.release()]);
  });

  it('gives each row the same bytes whether run alone or with others', async () => {
    const whole = new LegoRunner(cfg, weights, { threads: 1, precision: 'int8' });
    const pieces = new LegoRunner(cfg, weights, { threads: 1, precision: 'int8', microBatch: 1 });
    const a = await whole.forward(x, shape, sigma, { labels });
    const c = await pieces.forward(x, shape, sigma, { labels });
    expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(true);
    await Promise.all([whole.release(), pieces.release()]);
  });
});
