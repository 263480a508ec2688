// NumPy .npz output: an uncompressed ZIP holding arr_0.npy, as np.savez writes it and as the ADM
// evaluation suite reads it (`np.load(path)['arr_0']`, uint8 of shape (N, H, W, C)).
import { zipSync } from 'fflate';

/** A .npy file (format 1.0) of uint8 data with the given C-order shape. */
export function encodeNpyUint8(data: Uint8Array, shape: readonly number[]): Uint8Array {
  if (data.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`internal: npy: ${data.length} values for shape (${shape})`);
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${dims}), }`;
  // Magic (6) + version (2) + length (2) + header + '\n', padded with spaces to a multiple of 64.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.length);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, total);
  return out;
}

/** An .npz with one array, arr_0. */
export function encodeNpzUint8(data: Uint8Array, shape: readonly number[]): Uint8Array {
  return zipSync({ 'arr_0.npy': [encodeNpyUint8(data, shape), { level: 0 }] });
}
