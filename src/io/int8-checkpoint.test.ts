// int8 checkpoints: the stored 8-bit weights are exactly those int8 sampling computes from the float32
// weights, the float32 weights they stand for are (q * scale)^T, and broken files fail with the tensor named.
import { describe, expect, it } from 'vitest';
import { tinyConfig, tinyWeights } from '../../test/helpers/tiny-model.js';
import { int8Linears, quantizeWeights } from '../lego/quantize.js';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint.js';
import { PRECISION_KEY } from './int8-checkpoint.js';
import { parseSafetensors, serializeSafetensors, type TensorEntry } from './safetensors.js';

const weights = tinyWeights();
const int8File = encodeCheckpoint(tinyConfig, weights, { kimg: '12' }, 'int8');

/** The file's tensors and metadata, edited by `edit`, written back. */
function edited(edit: (tensors: Map<string, TensorEntry>, metadata: Record<string, string>) => void): Uint8Array {
  const { metadata, tensors } = parseSafetensors(int8File, 'x');
  const entries = new Map<string, TensorEntry>([...tensors].map(([name, t]) => [name, { dtype: t.dtype, shape: t.shape, data: t.data.slice() }]));
  const meta = { ...metadata };
  edit(entries, meta);
  return serializeSafetensors(entries, meta);
}

describe('int8 checkpoints', () => {
  it('store the int8 runner\'s own weights and scales, and every other parameter as it is', () => {
    const { metadata, tensors } = parseSafetensors(int8File, 'x');
    expect(metadata[PRECISION_KEY]).toBe('int8');
    expect(metadata.kimg).toBe('12');
    const expected = quantizeWeights(weights, tinyConfig);
    for (const [name, data] of expected) {
      const t = tensors.get(name)!;
      expect(t.dtype, name).toBe(data instanceof Int8Array ? 'I8' : 'F32');
      expect(new Uint8Array(t.data), name).toEqual(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
    const linears = new Set(int8Linears(tinyConfig).map((l) => l.name));
    for (const [name, w] of weights) {
      if (linears.has(name)) expect(tensors.has(name), name).toBe(false);
      else expect(new Float32Array(tensors.get(name)!.data.slice().buffer), name).toEqual(w);
    }
    // The 8-bit weights take a quarter of their float32 bytes, plus one float32 scale per output channel.
    const all = [...weights.values()].reduce((n, w) => n + w.length, 0);
    const int8Values = int8Linears(tinyConfig).reduce((n, l) => n + l.outDim * l.inDim, 0);
    const scales = int8Linears(tinyConfig).reduce((n, l) => n + l.outDim, 0);
    const dataBytes = 4 * (all - int8Values) + int8Values + 4 * scales;
    expect(int8File.length - dataBytes).toBeGreaterThan(0);
    expect(int8File.length - dataBytes).toBeLessThan(16_384); // the JSON header
    expect(encodeCheckpoint(tinyConfig, weights).length - 4 * all).toBeLessThan(16_384);
  });

  it('load as (q * scale)^T for float32 runs, with the stored 8 bits for int8 runs', () => {
    const ck = decodeCheckpoint(int8File, 'x');
    expect(ck.quantized).toEqual(quantizeWeights(weights, tinyConfig));
    const { name, outDim, inDim } = int8Linears(tinyConfig)[2];
    const q = ck.quantized!.get(`${name}.q`) as Int8Array;
    const scale = ck.quantized!.get(`${name}.scale`) as Float32Array;
    const w = ck.weights.get(name)!;
    const original = weights.get(name)!;
    for (const [j, i] of [[0, 0], [outDim - 1, inDim - 1], [3, 5]]) {
      expect(w[j * inDim + i]).toBe(Math.fround(q[i * outDim + j] * scale[j]));
      // Within half a step of the weight it came from.
      expect(Math.abs(w[j * inDim + i] - original[j * inDim + i])).toBeLessThanOrEqual(scale[j] / 2 + 1e-7);
    }
    // Parameters that stay float32 come back exactly; a float32 checkpoint has no 8-bit weights.
    expect(ck.weights.get('model.model.0.x_embedder.proj.weight')).toEqual(weights.get('model.model.0.x_embedder.proj.weight'));
    expect(decodeCheckpoint(encodeCheckpoint(tinyConfig, weights), 'f').quantized).toBeUndefined();
  });

  it('refuse files that are not what they say, naming the tensor', () => {
    const { name } = int8Linears(tinyConfig)[0];
    expect(() => decodeCheckpoint(edited((t) => t.delete(`${name}.scale`)), 'a.safetensors')).toThrow(`a.safetensors: tensor ${name}.scale is missing`);
    expect(() => decodeCheckpoint(edited((t) => {
      const q = t.get(`${name}.q`)!;
      t.set(`${name}.q`, { dtype: 'U8', shape: q.shape, data: q.data });
    }), 'b.safetensors')).toThrow(`b.safetensors: tensor ${name}.q is U8`);
    expect(() => decodeCheckpoint(edited((t) => {
      (t.get(`${name}.q`)!.data as Uint8Array)[0] = 0x80;
    }), 'c.safetensors')).toThrow(/c\.safetensors: tensor .*\.q holds -128/);
    expect(() => decodeCheckpoint(edited((t) => {
      t.set(name, { dtype: 'F32', shape: [96, 32], data: new Float32Array(96 * 32) });
    }), 'd.safetensors')).toThrow(`d.safetensors: tensor ${name} is stored both in float32 and as ${name}.q`);
    expect(() => decodeCheckpoint(edited((_, m) => { m[PRECISION_KEY] = 'int4'; }), 'e.safetensors')).toThrow('e.safetensors: metadata precision is "int4"');
    // Without the precision entry the 8-bit tensors are not parameters of a float32 stack.
    expect(() => decodeCheckpoint(edited((_, m) => { delete m[PRECISION_KEY]; }), 'f.safetensors')).toThrow(/f\.safetensors: tensor .* is missing/);
  });
});
