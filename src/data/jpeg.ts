// JPEG to 8-bit images with the jpeg-js decoder (pure JS, runs in browsers too).
import { decode } from 'jpeg-js';
import { InputError } from '../errors.js';
import type { Image } from './image.js';

/** True when `bytes` start with a JPEG start-of-image marker. */
export const isJpeg = (bytes: Uint8Array) => bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;

/** Most pixels a byte of JPEG can hold: a progressive scan may code a gray 8x8 block in one bit. */
const MAX_PIXELS_PER_BYTE = 512;

/**
 * Decode a JPEG to an 8-bit image: RGB, or 1 channel when every pixel is gray (jpeg-js expands
 * grayscale JPEGs to RGB; this undoes it). Throws InputError naming `where`.
 */
export function decodeJpeg(bytes: Uint8Array, where: string): Image {
  if (!isJpeg(bytes)) throw new InputError(`${where}: not a JPEG (no start-of-image marker)`);
  // The decoder allocates every block the frame header claims before it reads the scans.
  const frame = frameSize(bytes);
  if (frame && frame.width * frame.height > MAX_PIXELS_PER_BYTE * bytes.length + 65536) {
    throw new InputError(`${where}: corrupt JPEG (${frame.width}x${frame.height} pixels cannot come from ${bytes.length} bytes)`);
  }
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false });
  } catch (e) {
    throw new InputError(`${where}: corrupt JPEG (${(e as Error).message})`);
  }
  const { width, height, data } = decoded;
  if (width === 0 || height === 0) throw new InputError(`${where}: corrupt JPEG (no image data)`);
  return isGray(data) ? { width, height, channels: 1, data: data.filter((_, i) => i % 3 === 0) } : { width, height, channels: 3, data };
}

/** Width and height from the frame header (SOFn), walking the marker segments before it; null when none is found. */
function frameSize(bytes: Uint8Array): { width: number; height: number } | null {
  let at = 2;
  while (at + 9 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at++; // a fill byte
      continue;
    }
    if (marker === 0xda) return null; // the scan starts before any frame header
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: (bytes[at + 5] << 8) | bytes[at + 6], width: (bytes[at + 7] << 8) | bytes[at + 8] };
    }
    at += 2 + ((bytes[at + 2] << 8) | bytes[at + 3]);
  }
  return null;
}

function isGray(rgb: Uint8Array): boolean {
  for (let i = 0; i < rgb.length; i += 3) {
    if (rgb[i] !== rgb[i + 1] || rgb[i] !== rgb[i + 2]) return false;
  }
  return true;
}
