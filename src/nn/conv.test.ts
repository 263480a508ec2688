// conv2d and avgPool2 against direct loops (PyTorch's Conv2d semantics: cross-correlation, zero padding).
import { describe, expect, it } from 'vitest';
import { Graph } from '../graph/ops.js';
import { Rng } from '../random.js';
import { Executable } from '../runtime/executable.js';
import { avgPool2, conv2d } from './conv.js';
import { Params } from './params.js';

describe('conv2d', () => {
  it('matches a direct 3x3 cross-correlation with zero padding, weight (out, in, kh, kw)', async () => {
    const [h, w, cin, cout] = [5, 4, 2, 3];
    const rng = new Rng(5);
    const x = rng.fillNormal(new Float32Array(h * w * cin)); // (1, H, W, in)
    const weight = rng.fillNormal(new Float32Array(cout * cin * 9));
    const bias = Float32Array.of(0.5, -1, 2);
    const g = new Graph();
    const y = conv2d(new Params(g, ''), g.input('x', [1, h, w, cin]), cin, cout);
    const exe = await Executable.compile({ y });
    const out = (await exe.run({ x, weight, bias })).y;
    await exe.release();
    for (let oy = 0; oy < h; oy++) {
      for (let ox = 0; ox < w; ox++) {
        for (let o = 0; o < cout; o++) {
          let s = bias[o];
          for (let c = 0; c < cin; c++) {
            for (let ky = 0; ky < 3; ky++) {
              for (let kx = 0; kx < 3; kx++) {
                const [iy, ix] = [oy + ky - 1, ox + kx - 1];
                if (iy >= 0 && iy < h && ix >= 0 && ix < w) s += x[(iy * w + ix) * cin + c] * weight[((o * cin + c) * 3 + ky) * 3 + kx];
              }
            }
          }
          expect(out[(oy * w + ox) * cout + o]).toBeCloseTo(s, 4);
        }
      }
    }
  });

  it('avgPool2 averages 2x2 blocks per channel', async () => {
    const g = new Graph();
    const y = avgPool2(g.input('x', [1, 2, 4, 2]));
    const exe = await Executable.compile({ y });
    // Channel 0 counts 0..7 row-major; channel 1 is 10x that.
    const x = Float32Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? i / 2 : (10 * (i - 1)) / 2));
    expect([...(await exe.run({ x })).y]).toEqual([2.5, 25, 4.5, 45]);
    await exe.release();
  });
});
