// NumPy .npz output: an uncompressed ZIP holding arr_0.npy (and arr_1.npy, the labels of class-conditional
// samples), as np.savez writes it and as the ADM evaluation suite reads it (`np.load(path)['arr_0']`,
// uint8 of shape (N, H, W, C); guided-diffusion's sampler stores the classes as int64 arr_1).
import { zipSync } from 'fflate';
import { encodeNpy } from './npy.js';

/** A .npy file (format 1.0) of uint8 data with the given C-order shape. */
export function encodeNpyUint8(data: Uint8Array, shape: readonly number[]): Uint8Array {
  return encodeNpy('|u1', new Uint8Array(data.buffer, data.byteOffset, data.byteLength), data.length, shape);
}

/** A 1-D .npy file of int64 (little-endian) values. */
export function encodeNpyInt64(values: ArrayLike<number>): Uint8Array {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]);
  return encodeNpy('<i8', new Uint8Array(data.buffer), values.length, [values.length]);
}

/** An .npz with the images as arr_0 and, when given, their classes as arr_1 (int64). */
export function encodeNpzUint8(data: Uint8Array, shape: readonly number[], labels?: ArrayLike<number>): Uint8Array {
  if (labels && labels.length !== shape[0]) throw new Error(`internal: npz: ${labels.length} labels for ${shape[0]} images`);
  return zipSync({
    'arr_0.npy': [encodeNpyUint8(data, shape), { level: 0 }],
    ...(labels ? { 'arr_1.npy': [encodeNpyInt64(labels), { level: 0 }] as [Uint8Array, { level: 0 }] } : {}),
  });
}
