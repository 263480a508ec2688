// Decode an image file's bytes by their signature (PNG or JPEG), whatever the file is called.
import { InputError } from '../errors.js';
import type { Image } from './image.js';
import { decodeJpeg, isJpeg } from './jpeg.js';
import { decodePng, isPng } from './png.js';

/** File names the dataset tool picks up as images (case-insensitive). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

/** True when `name` ends in one of IMAGE_EXTENSIONS. */
export const isImageName = (name: string) => IMAGE_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext));

/** Decode PNG or JPEG bytes to an 8-bit image. Throws InputError naming `where` for anything else or a corrupt file. */
export function decodeImage(bytes: Uint8Array, where: string): Image {
  if (isPng(bytes)) return decodePng(bytes, where);
  if (isJpeg(bytes)) return decodeJpeg(bytes, where);
  if (bytes.length === 0) throw new InputError(`${where}: empty file; expected a PNG or JPEG image`);
  const start = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new InputError(`${where}: not a PNG or JPEG image (starts with ${start})`);
}
