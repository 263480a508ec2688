// The NCHW image ops (Conv, InstanceNorm, Upsample) run by ONNX Runtime against direct loops in float64,
// with PyTorch's semantics: Conv2d is a cross-correlation over zero padding, nearest upsampling repeats pixels.
import { describe, expect, it } from 'vitest';
import { Rng } from '../random.js';
import { Executable } from '../runtime/executable.js';
import { countFlops } from './flops.js';
import { conv2d, Graph, instanceNorm, upsample, type Value } from './ops.js';

/** Compile one output of the given inputs, run it once and release it. */
async function runOnce(build: (g: Graph) => Value, feeds: Record<string, Float32Array>): Promise<Float32Array> {
  const g = new Graph();
  const exe = await Executable.compile({ y: build(g) }, { threads: 1 });
  const { y } = await exe.run(feeds);
  await exe.release();
  return y;
}

/** Direct Conv2d: x (N, C, H, W), w (O, C, kh, kw), pads [top, left, bottom, right]. */
function directConv(x: Float32Array, [n, c, h, w]: number[], weight: Float32Array, [o, , kh, kw]: number[], bias: Float32Array, stride: number, pads: number[]) {
  const ho = Math.floor((h + pads[0] + pads[2] - kh) / stride) + 1;
  const wo = Math.floor((w + pads[1] + pads[3] - kw) / stride) + 1;
  const out = new Float64Array(n * o * ho * wo);
  for (let b = 0; b < n; b++) {
    for (let f = 0; f < o; f++) {
      for (let oy = 0; oy < ho; oy++) {
        for (let ox = 0; ox < wo; ox++) {
          let s = bias[f];
          for (let ch = 0; ch < c; ch++) {
            for (let ky = 0; ky < kh; ky++) {
              for (let kx = 0; kx < kw; kx++) {
                const [iy, ix] = [oy * stride + ky - pads[0], ox * stride + kx - pads[1]];
                if (iy >= 0 && iy < h && ix >= 0 && ix < w) s += x[((b * c + ch) * h + iy) * w + ix] * weight[((f * c + ch) * kh + ky) * kw + kx];
              }
            }
          }
          out[((b * o + f) * ho + oy) * wo + ox] = s;
        }
      }
    }
  }
  return { out, shape: [n, o, ho, wo] };
}

describe('conv2d', () => {
  const rng = new Rng(7);
  const cases: { name: string; x: number[]; w: number[]; stride: number; pad: number | [number, number, number, number] }[] = [
    { name: '3x3, pad 1', x: [2, 3, 5, 4], w: [4, 3, 3, 3], stride: 1, pad: 1 },
    { name: '1x1, no pad', x: [1, 5, 3, 3], w: [2, 5, 1, 1], stride: 1, pad: 0 },
    { name: '3x3 stride 2, pad right and bottom only (Downsample2D)', x: [1, 2, 6, 8], w: [3, 2, 3, 3], stride: 2, pad: [0, 0, 1, 1] },
    { name: '3x3 stride 2, odd size', x: [1, 2, 7, 5], w: [2, 2, 3, 3], stride: 2, pad: [0, 0, 1, 1] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const x = rng.fillNormal(new Float32Array(c.x.reduce((a, b) => a * b)));
      const weight = rng.fillNormal(new Float32Array(c.w.reduce((a, b) => a * b)));
      const bias = rng.fillNormal(new Float32Array(c.w[0]));
      let flops = 0;
      const y = await runOnce((g) => {
        const out = conv2d(g.input('x', c.x), g.input('weight', c.w), g.input('bias', [c.w[0]]), { stride: c.stride, pad: c.pad });
        flops = countFlops([out]);
        return out;
      }, { x, weight, bias });
      const pads = typeof c.pad === 'number' ? [c.pad, c.pad, c.pad, c.pad] : c.pad;
      const want = directConv(x, c.x, weight, c.w, bias, c.stride, pads);
      expect(y.length).toBe(want.out.length);
      for (let i = 0; i < y.length; i++) expect(y[i]).toBeCloseTo(want.out[i], 4);
      const [, ci, kh, kw] = c.w;
      expect(flops).toBe(want.out.length * (2 * ci * kh * kw + 1));
    });
  }

  it('refuses a weight whose input channels differ from x', () => {
    const g = new Graph();
    expect(() => conv2d(g.input('x', [1, 3, 4, 4]), g.input('w', [2, 4, 3, 3]), g.input('b', [2]))).toThrow(/internal: conv2d/);
  });
});

describe('instanceNorm', () => {
  it('normalises each (n, c) row over L with the biased variance', async () => {
    const rng = new Rng(3);
    const [n, c, l] = [2, 3, 50];
    const x = rng.fillNormal(new Float32Array(n * c * l)).map((v, i) => 3 * v + (i % 7));
    const y = await runOnce((g) => instanceNorm(g.input('x', [n, c, l]), 1e-6), { x });
    for (let row = 0; row < n * c; row++) {
      const xs = x.subarray(row * l, (row + 1) * l);
      const mean = xs.reduce((a, b) => a + b, 0) / l;
      const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / l;
      for (let j = 0; j < l; j++) expect(y[row * l + j]).toBeCloseTo((xs[j] - mean) / Math.sqrt(variance + 1e-6), 4);
    }
  });
});

describe('upsample', () => {
  it('repeats each pixel in a factor x factor block, non-square input', async () => {
    const [n, c, h, w] = [1, 2, 2, 3];
    const x = Float32Array.from({ length: n * c * h * w }, (_, i) => i);
    const y = await runOnce((g) => upsample(g.input('x', [n, c, h, w]), 2), { x });
    const want: number[] = [];
    for (let ch = 0; ch < c; ch++) {
      for (let oy = 0; oy < 2 * h; oy++) for (let ox = 0; ox < 2 * w; ox++) want.push(x[(ch * h + (oy >> 1)) * w + (ox >> 1)]);
    }
    expect([...y]).toEqual(want);
  });
});
