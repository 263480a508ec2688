// 8-bit quantisation: per-output-channel weight scales in JS, and the graph's per-row activation
// quantisation and integer product against JS references, bit for bit.
import { describe, expect, it } from 'vitest';
import { cast, Graph } from '../graph/ops.js';
import { Rng } from '../random.js';
import { Executable } from '../runtime/executable.js';
import { int8Product, quantizeRows } from './int8-linear.js';
import { QMAX, quantizeWeight, roundHalfEven } from './quantize.js';

/** The spec's activation quantisation, one row at a time in float32: s = max|x| / 127 (1 for a zero row), q = round(x / s) + 128. */
function referenceRows(x: Float32Array, k: number): { q: Uint8Array; scale: Float32Array } {
  const m = x.length / k;
  const q = new Uint8Array(x.length);
  const scale = new Float32Array(m);
  for (let r = 0; r < m; r++) {
    let max = 0;
    for (let i = 0; i < k; i++) max = Math.max(max, Math.abs(x[r * k + i]));
    scale[r] = max > 0 ? Math.fround(max / QMAX) : 1;
    for (let i = 0; i < k; i++) q[r * k + i] = Math.min(255, Math.max(0, roundHalfEven(Math.fround(x[r * k + i] / scale[r])) + 128));
  }
  return { q, scale };
}

async function runRows(x: Float32Array, m: number, k: number) {
  const g = new Graph();
  const rows = quantizeRows(g.input('x', [m, k]));
  // uint8 outputs are read back through a float32 cast: every value 0..255 is exact.
  const exe = await Executable.compile({ q: cast(rows.q, 'float32'), scale: rows.scale });
  const out = await exe.run({ x });
  await exe.release();
  return out;
}

describe('quantizeWeight', () => {
  it('scales each output channel by its own max |W| / 127 and transposes to (in, out)', () => {
    // W (2, 3): channel 0 max 2.54, channel 1 all zeros.
    const w = Float32Array.of(2.54, -1.27, 0.01, 0, 0, 0);
    const { q, scale } = quantizeWeight(w, 2, 3);
    expect([...scale]).toEqual([Math.fround(2.54 / 127), 0]);
    // (in, out) layout: q[i * 2 + j].
    expect([...q]).toEqual([127, 0, -64, 0, 0, 0]);
  });

  it('keeps every value in [-127, 127] and within half a step of W', () => {
    const rng = new Rng(3);
    const [outDim, inDim] = [16, 40];
    const w = rng.fillNormal(new Float32Array(outDim * inDim));
    const { q, scale } = quantizeWeight(w, outDim, inDim);
    for (let j = 0; j < outDim; j++) {
      let max = 0;
      for (let i = 0; i < inDim; i++) max = Math.max(max, Math.abs(w[j * inDim + i]));
      expect(scale[j]).toBe(Math.fround(max / 127));
      for (let i = 0; i < inDim; i++) {
        const v = q[i * outDim + j];
        expect(Math.abs(v)).toBeLessThanOrEqual(127);
        expect(Math.abs(v * scale[j] - w[j * inDim + i])).toBeLessThanOrEqual(0.5001 * scale[j]);
      }
    }
  });

  it('rounds ties to even', () => {
    // + 0 turns -0 into 0.
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6].map((v) => roundHalfEven(v) + 0)).toEqual([0, 2, 2, 0, -2, -2, 2, -3]);
  });
});

describe('quantizeRows (graph)', () => {
  it('matches the JS reference bit for bit: random rows, a zero row, ties and a lone spike', async () => {
    const k = 37;
    const rng = new Rng(11);
    const x = rng.fillNormal(new Float32Array(6 * k));
    x.fill(0, 2 * k, 3 * k);
    // max 127 gives s = 1, so these land exactly on halves.
    x.set([127, 0.5, 1.5, 2.5, -2.5, -0.5, 126.5], 3 * k);
    x.fill(0, 4 * k, 5 * k);
    x[4 * k + 5] = -3e-30;
    const ref = referenceRows(x, k);
    const out = await runRows(x, 6, k);
    expect([...out.scale]).toEqual([...ref.scale]);
    expect([...out.q]).toEqual([...ref.q]);
    expect([...out.q.subarray(3 * k, 3 * k + 7)]).toEqual([255, 128, 130, 130, 126, 128, 254]);
  });

  it('gives a row the same bytes whatever the other rows of its batch', async () => {
    const k = 64;
    const rng = new Rng(5);
    const x = rng.fillNormal(new Float32Array(8 * k));
    x.subarray(5 * k, 6 * k).forEach((v, i, row) => (row[i] = v * 1000)); // a row of much larger scale
    const alone = await runRows(x.slice(0, k), 1, k);
    const batch = await runRows(x, 8, k);
    expect([...batch.q.subarray(0, k)]).toEqual([...alone.q]);
    expect(batch.scale[0]).toBe(alone.scale[0]);
  });
});

describe('int8Product (graph)', () => {
  it('is s_r scale_j sum_k (q - 128) w + b, with an exact int32 sum, against a JS reference', async () => {
    const [m, k, n] = [5, 48, 7];
    const rng = new Rng(9);
    const x = rng.fillNormal(new Float32Array(m * k));
    const w = rng.fillNormal(new Float32Array(n * k));
    const bias = rng.fillNormal(new Float32Array(n));
    const { q: wq, scale: wScale } = quantizeWeight(w, n, k);
    const g = new Graph();
    const y = int8Product(quantizeRows(g.input('x', [m, k])), g.input('wq', [k, n], 'int8'), g.input('ws', [n]), g.input('b', [n]));
    const exe = await Executable.compile({ y });
    const out = (await exe.run({ x, wq, ws: wScale, b: bias })).y;
    await exe.release();
    const rows = referenceRows(x, k);
    for (let r = 0; r < m; r++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let i = 0; i < k; i++) acc += (rows.q[r * k + i] - 128) * wq[i * n + j];
        // The column scale inside the product's kernel, then the row scale, then the bias.
        const expected = Math.fround(Math.fround(Math.fround(acc * wScale[j]) * rows.scale[r]) + bias[j]);
        expect(out[r * n + j]).toBe(expected);
      }
    }
  });
});
