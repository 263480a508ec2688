// The IDX format of MNIST and Fashion-MNIST (yann.lecun.com/exdb/mnist, "FILE FORMATS"): a 4-byte magic
// (0, 0, element type, number of dimensions), the dimensions as big-endian uint32, then the data in
// row-major order, big-endian. Gzipped files are recognised by their magic and inflated with fflate.
import { gunzipSync } from 'fflate';
import { InputError, printable } from '../errors.js';
import { numel } from '../graph/ops.js';
import type { Image } from './image.js';

/** A parsed IDX array. */
export interface IdxArray {
  /** Dimensions, outermost first (MNIST images: [count, 28, 28]; labels: [count]). */
  dims: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Record<number, { name: string; bytes: number; read: (v: DataView, at: number) => number }> = {
  0x08: { name: 'uint8', bytes: 1, read: (v, at) => v.getUint8(at) },
  0x09: { name: 'int8', bytes: 1, read: (v, at) => v.getInt8(at) },
  0x0b: { name: 'int16', bytes: 2, read: (v, at) => v.getInt16(at) },
  0x0c: { name: 'int32', bytes: 4, read: (v, at) => v.getInt32(at) },
  0x0d: { name: 'float32', bytes: 4, read: (v, at) => v.getFloat32(at) },
  0x0e: { name: 'float64', bytes: 8, read: (v, at) => v.getFloat64(at) },
};
const ARRAYS = { 0x08: Uint8Array, 0x09: Int8Array, 0x0b: Int16Array, 0x0c: Int32Array, 0x0d: Float32Array, 0x0e: Float64Array };

/** Deflate's largest expansion, about 1032:1: what a gzip member of n bytes may inflate to at most. */
const MAX_INFLATE_RATIO = 1032;

/** True for the gzip magic bytes 1f 8b. */
export const isGzip = (bytes: Uint8Array) => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

/** Parse an IDX file, gzipped or not. Throws InputError naming `where` when it is not IDX or is truncated. */
export function parseIdx(bytes: Uint8Array, where: string): IdxArray {
  if (isGzip(bytes)) {
    // The inflater allocates the size the gzip trailer states (mod 2^32) before inflating anything.
    const stated = bytes.length >= 4 ? new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true) : 0;
    if (stated > MAX_INFLATE_RATIO * bytes.length + 1024) throw new InputError(`${where}: corrupt gzip data (states ${stated} bytes inflated from ${bytes.length})`);
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new InputError(`${where}: corrupt gzip data (${printable((e as Error).message)})`);
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = TYPES[bytes[2]];
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0 || !type || bytes[3] === 0) {
    const magic = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new InputError(`${where}: not an IDX file (magic ${magic}; expected 00 00 <type 08-0e> <ndim>)`);
  }
  const ndim = bytes[3];
  const start = 4 + 4 * ndim;
  if (bytes.length < start) throw new InputError(`${where}: truncated IDX header (${bytes.length} bytes for ${ndim} dimensions)`);
  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i));
  const count = dims.includes(0) ? 0 : numel(dims); // not NaN when the other dimensions overflow to Infinity
  const expected = start + count * type.bytes;
  if (bytes.length < expected) {
    throw new InputError(`${where}: truncated IDX data (${bytes.length} bytes; dimensions ${shape(dims)} of ${type.name} need ${expected})`);
  }
  const data = new ARRAYS[bytes[2] as keyof typeof ARRAYS](count);
  if (type.bytes === 1) data.set(bytes[2] === 0x08 ? bytes.subarray(start, expected) : new Int8Array(bytes.buffer, bytes.byteOffset + start, count));
  else for (let i = 0; i < count; i++) data[i] = type.read(view, start + i * type.bytes);
  return { dims, data };
}

/** The images of an IDX array of uint8, (count, rows, cols) or (count, rows, cols, channels). */
export function idxImages(array: IdxArray, where: string): { count: number; image(i: number): Image } {
  const { dims, data } = array;
  if (!(data instanceof Uint8Array) || (dims.length !== 3 && dims.length !== 4)) {
    throw new InputError(`${where}: expected uint8 images (count, rows, cols[, channels]); got ${dims.length}-D ${data.constructor.name}`);
  }
  const [count, height, width, channels = 1] = dims;
  if (channels !== 1 && channels !== 3) throw new InputError(`${where}: images with ${channels} channels; expected 1 or 3`);
  const size = height * width * channels;
  return { count, image: (i) => ({ width, height, channels, data: data.subarray(i * size, (i + 1) * size) }) };
}

/** The labels of a 1-D IDX array of integers. */
export function idxLabels(array: IdxArray, where: string): Int32Array {
  const { dims, data } = array;
  if (dims.length !== 1 || data instanceof Float32Array || data instanceof Float64Array) {
    throw new InputError(`${where}: expected a 1-D array of integer labels; got dimensions ${shape(dims)} of ${data.constructor.name}`);
  }
  return Int32Array.from(data);
}

/** Dimensions for a message: up to 255 of them, so cut short. */
function shape(dims: readonly number[]): string {
  return printable(dims.join('x'), 60);
}
