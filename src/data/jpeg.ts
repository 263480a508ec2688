// JPEG to 8-bit images with the jpeg-js decoder (pure JS, runs in browsers too).
import { decode } from 'jpeg-js';
import { InputError } from '../errors.js';
import type { Image } from './image.js';

/** True when `bytes` start with a JPEG start-of-image marker. */
export const isJpeg = (bytes: Uint8Array) => bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;

/**
 * Decode a JPEG to an 8-bit image: RGB, or 1 channel when every pixel is gray (jpeg-js expands
 * grayscale JPEGs to RGB; this undoes it). Throws InputError naming `where`.
 */
export function decodeJpeg(bytes: Uint8Array, where: string): Image {
  if (!isJpeg(bytes)) throw new InputError(`${where}: not a JPEG (no start-of-image marker)`);
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

function isGray(rgb: Uint8Array): boolean {
  for (let i = 0; i < rgb.length; i += 3) {
    if (rgb[i] !== rgb[i + 1] || rgb[i] !== rgb[i + 2]) return false;
  }
  return true;
}
