// What the web app runs differently from the CLI, checked natively: the weights baked into the brick
// graphs (constantWeights) and attention over small tiles written as broadcast products (the WebAssembly
// build's lowering). Both must give the network the CLI runs.
import { describe, expect, it } from 'vitest';
import { tinyConfig, tinyWeights } from '../../test/helpers/tiny-model.js';
import { attentionOp, Graph } from '../graph/ops.js';
import { Rng } from '../random.js';
import { Executable } from '../runtime/executable.js';
import { LegoRunner } from './runner.js';

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('LegoRunner with constantWeights', () => {
  const cfg = tinyConfig;
  const weights = tinyWeights(3);
  const b = 3;
  const r = cfg.imgResolution;
  const shape = [b, cfg.imgChannels, r, r];
  const x = new Rng(5).fillNormal(new Float32Array(b * cfg.imgChannels * r * r));
  const labels = new Float32Array(b * cfg.labelDim).map((_, i) => (i % cfg.labelDim === i % 2 ? 1 : 0));
  const sigma = [0.3, 4, 60];

  for (const precision of ['float32', 'int8'] as const) {
    it(`computes what fed weights compute, after every brick (${precision})`, async () => {
      const fed = new LegoRunner(cfg, weights, { threads: 1, precision });
      const baked = new LegoRunner(cfg, weights, { threads: 1, precision, constantWeights: true });
      try {
        for (let k = 0; k < cfg.bricks.length; k++) {
          const a = await fed.forward(x, shape, sigma, { labels, stopAfter: k });
          const c = await baked.forward(x, shape, sigma, { labels, stopAfter: k });
          // Pre-packed constant weights may take another kernel path: equal to rounding, not to the bit.
          expect(maxAbsDiff(c, a), `brick ${k}`).toBeLessThan(1e-5);
        }
      } finally {
        await Promise.all([fed.release(), baked.release()]);
      }
    });
  }
});

describe('attention written as broadcast products (elementwiseAttentionTokens)', () => {
  for (const [n, t, d, heads] of [[6, 1, 8, 2], [64, 4, 32, 4], [3, 16, 24, 3]]) {
    it(`equals MultiHeadAttention for ${n} sequences of ${t} tokens, ${heads} heads of ${d / heads}`, async () => {
      const g = new Graph();
      const [q, k, v] = ['q', 'k', 'v'].map((name) => g.input(name, [n, t, d]));
      const rng = new Rng(t);
      const feeds = Object.fromEntries(['q', 'k', 'v'].map((name) => [name, rng.fillNormal(new Float32Array(n * t * d))]));
      const out = { y: attentionOp(q, k, v, heads, 1 / Math.sqrt(d / heads)) };
      const fused = await Executable.compile(out, { threads: 1, lowering: { elementwiseAttentionTokens: 0 } });
      const broadcast = await Executable.compile(out, { threads: 1, lowering: { elementwiseAttentionTokens: t } });
      const [a, c] = [(await fused.run(feeds)).y, (await broadcast.run(feeds)).y];
      expect(maxAbsDiff(c, a)).toBeLessThan(2e-6);
      expect(maxAbsDiff(a, new Float32Array(a.length))).toBeGreaterThan(0.1);
      await Promise.all([fused.release(), broadcast.release()]);
    });
  }
});
