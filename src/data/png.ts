// PNG to and from 8-bit images with the fast-png codec (pure JS, runs in browsers too). Every PNG
// flavour decodes: 1-16 bit, palette, interlaced; 16-bit samples are rounded to 8 bits.
import { convertIndexedToRgb, decode, encode, type DecodedPng } from 'fast-png';
import { InputError } from '../errors.js';
import type { Image } from './image.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** True when `bytes` start with the PNG signature. */
export const isPng = (bytes: Uint8Array) => bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);

/** Size and channels of a PNG from its IHDR chunk (the first 33 bytes), without decoding the pixels. */
export interface PngHeader {
  width: number;
  height: number;
  /** Channels as decoded: 1 gray, 2 gray+alpha, 3 RGB or palette, 4 RGBA. */
  channels: number;
}

const CHANNELS_BY_COLOR_TYPE: Record<number, number> = { 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 };
/** Samples per pixel as stored (a palette index is one sample). */
const SAMPLES_BY_COLOR_TYPE: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Deflate's largest expansion, about 1032:1: the image data cannot inflate to more than this. */
const MAX_INFLATE_RATIO = 1032;

/** Read the IHDR of a PNG (at least its first 26 bytes). Throws InputError naming `where`. */
export function readPngHeader(bytes: Uint8Array, where: string): PngHeader {
  if (!isPng(bytes)) throw new InputError(`${where}: not a PNG (bad signature)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 26 || view.getUint32(12) !== 0x49484452) throw new InputError(`${where}: corrupt PNG (no IHDR chunk first)`);
  const channels = CHANNELS_BY_COLOR_TYPE[bytes[25]];
  if (channels === undefined) throw new InputError(`${where}: corrupt PNG (unknown colour type ${bytes[25]})`);
  return { width: view.getUint32(16), height: view.getUint32(20), channels };
}

/** Decode a PNG to an 8-bit image. Palette images become RGB (RGBA with a tRNS chunk). Throws InputError naming `where`. */
export function decodePng(bytes: Uint8Array, where: string): Image {
  const { width: w, height: h } = readPngHeader(bytes, where);
  // Rows as stored are a filter byte and packed samples; the decoder allocates them before it inflates a byte.
  const rowBytes = 1 + Math.ceil((w * SAMPLES_BY_COLOR_TYPE[bytes[25]] * bytes[24]) / 8);
  if (h * rowBytes > MAX_INFLATE_RATIO * bytes.length + 1024) {
    throw new InputError(`${where}: corrupt PNG (${w}x${h} pixels cannot come from ${bytes.length} bytes)`);
  }
  let png: DecodedPng;
  try {
    png = decode(bytes);
  } catch (e) {
    throw new InputError(`${where}: corrupt PNG (${(e as Error).message})`);
  }
  const { width, height } = png;
  if (png.palette) {
    const data = convertIndexedToRgb(png);
    return { width, height, channels: data.length / (width * height), data };
  }
  return { width, height, channels: png.channels, data: to8Bit(png) };
}

/** Samples as one byte each: unpack 1/2/4-bit rows (scaled to 0-255), round 16-bit ones. */
function to8Bit({ width, height, channels, depth, data }: DecodedPng): Uint8Array {
  if (depth === 8) return data instanceof Uint8Array ? data : new Uint8Array(data);
  if (depth === 16) return Uint8Array.from(data, (v) => Math.round(v / 257));
  // Sub-byte depths are gray only (palette is handled above); each row starts on a byte boundary.
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const max = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = data[y * rowBytes + (bit >> 3)];
      out[y * width + x] = Math.round((((byte >> (8 - depth - (bit & 7))) & max) * 255) / max);
    }
  }
  return out;
}

/**
 * Encode an 8-bit image (1-4 channels) as PNG. `level` is the zlib level, 0 (stored, EDM's dataset_tool
 * writes these: fastest to load) to 9.
 */
export function encodePng(img: Image, level: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 = 0): Uint8Array {
  const { width, height, channels, data } = img;
  if (data.length !== width * height * channels) {
    throw new Error(`internal: encodePng: ${data.length} bytes for a ${width}x${height}x${channels} image`);
  }
  return encode({ width, height, channels, depth: 8, data }, { zlib: { level } });
}
