// NumPy .npy files (format 1.0 written; 1.0-3.0 read), C order: how latents travel between the VAE, the
// sampler and the authors' latent datasets (`00000/img00000000.npy`, float32 (4, h, w), channels first).
import { InputError, printable } from '../errors.js';
import { numel } from '../graph/ops.js';

/** A .npy array read as float32: its C-order shape and values. */
export interface NpyFloat32 {
  shape: number[];
  data: Float32Array;
}

/** A .npy file (format 1.0) of `count` items of dtype `descr` ('<f4', '|u1', ...) whose bytes are `data`. */
export function encodeNpy(descr: string, data: Uint8Array, count: number, shape: readonly number[]): Uint8Array {
  if (count !== numel(shape)) throw new Error(`internal: npy: ${count} values for shape (${shape})`);
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
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

/** A .npy file of float32 (little-endian) values with the given C-order shape, as `np.save` writes one. */
export function encodeNpyFloat32(data: Float32Array, shape: readonly number[]): Uint8Array {
  return encodeNpy('<f4', new Uint8Array(data.buffer, data.byteOffset, data.byteLength), data.length, shape);
}

/** A .npy header: dtype, C-order shape, and where the data starts. */
export interface NpyHeader {
  descr: string;
  shape: number[];
  /** Byte offset of the data: the header's length. */
  dataOffset: number;
}

/**
 * The header of a .npy file from its first bytes (format 1.0-3.0, C order). Throws InputError naming `where`
 * when the bytes are no such header or stop inside it.
 */
export function parseNpyHeader(bytes: Uint8Array, where: string): NpyHeader {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) throw new InputError(`${where}: not a .npy array`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const start = major === 1 ? 10 : 12;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (bytes.length < start + headerLength) throw new InputError(`${where}: the .npy header (${start + headerLength} bytes) is cut short at ${bytes.length} bytes`);
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran !== 'False' || shapeText === undefined) {
    throw new InputError(`${where}: expected a C-order array with a dtype and a shape, got header ${printable(header.trim(), 80)}`);
  }
  const dims = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (!dims.every((d) => /^\d{1,9}$/.test(d))) throw new InputError(`${where}: shape (${printable(shapeText, 60)}) is not a tuple of sizes`);
  return { descr, shape: dims.map(Number), dataOffset: start + headerLength };
}

/**
 * The values of a float .npy array (float32 or float64, little-endian, C order) as float32.
 * Throws InputError naming `where` when the file is no such array or is truncated.
 */
export function decodeNpyFloat32(bytes: Uint8Array, where: string): NpyFloat32 {
  const { descr, shape, dataOffset } = parseNpyHeader(bytes, where);
  const itemSize = FLOAT_BYTES[descr];
  if (itemSize === undefined) throw new InputError(`${where}: dtype ${printable(descr, 20)}; expected little-endian float32 or float64 (<f4, <f8)`);
  const count = numel(shape);
  const raw = bytes.subarray(dataOffset);
  if (raw.length !== count * itemSize) throw new InputError(`${where}: ${raw.length} bytes of data for shape (${shape.join(', ')}) of ${descr}; truncated`);
  const values = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    data[i] = itemSize === 4 ? values.getFloat32(4 * i, true) : values.getFloat64(8 * i, true);
  }
  return { shape, data };
}

/** Bytes per item of the float dtypes read ('<' little-endian; '=' native, which is little-endian here). */
const FLOAT_BYTES: Record<string, number> = { '<f4': 4, '=f4': 4, '<f8': 8, '=f8': 8 };
