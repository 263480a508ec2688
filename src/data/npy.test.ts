// .npy files: float32 written as np.save writes them and read back, float64 read, and damaged files named.
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { decodeNpyFloat32, encodeNpy, encodeNpyFloat32, parseNpyHeader } from './npy.js';

describe('.npy', () => {
  it('writes float32 (C, h, w) with a 64-byte aligned header and reads it back exactly', () => {
    const data = Float32Array.from({ length: 4 * 2 * 3 }, (_, i) => (i - 7) / 3);
    const bytes = encodeNpyFloat32(data, [4, 2, 3]);
    const header = parseNpyHeader(bytes, 'x.npy');
    expect(header).toEqual({ descr: '<f4', shape: [4, 2, 3], dataOffset: 128 });
    expect(new TextDecoder().decode(bytes.subarray(10, 80))).toContain("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 2, 3), }");
    expect(decodeNpyFloat32(bytes, 'x.npy')).toEqual({ shape: [4, 2, 3], data });
  });

  it('reads float64 as float32', () => {
    const values = new Float64Array([0.5, -1.25, 3]);
    const bytes = encodeNpy('<f8', new Uint8Array(values.buffer), 3, [3]);
    expect(decodeNpyFloat32(bytes, 'x.npy')).toEqual({ shape: [3], data: new Float32Array([0.5, -1.25, 3]) });
  });

  it('names the file for a non-float dtype, a truncated array, a cut header and other bytes', () => {
    const ints = encodeNpy('|u1', new Uint8Array([1, 2]), 2, [2]);
    expect(() => decodeNpyFloat32(ints, 'a.npy')).toThrow(/^a\.npy: dtype \|u1; expected little-endian float32 or float64/);
    const full = encodeNpyFloat32(new Float32Array(6), [6]);
    expect(() => decodeNpyFloat32(full.subarray(0, full.length - 4), 'b.npy')).toThrow('b.npy: 20 bytes of data for shape (6) of <f4; truncated');
    expect(() => parseNpyHeader(full.subarray(0, 40), 'c.npy')).toThrow(/^c\.npy: the \.npy header \(128 bytes\) is cut short at 40 bytes$/);
    expect(() => decodeNpyFloat32(new TextEncoder().encode('PK\x03\x04 not numpy'), 'd.npy')).toThrow(InputError);
  });
});
