// `lego vae decode` and `lego vae encode` on files (Node): .npy latents (one file or a folder of them) to PNGs,
// and PNG / JPEG images to float32 .npy latents (C, h, w), each output written atomically.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { decodeLatents } from '../diffusion/generate.js';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import { ensureDir } from '../files/ensure-dir.js';
import { fileError } from '../files/fs-files.js';
import { downscaleFactor } from '../vae/config.js';
import type { Vae } from '../vae/vae.js';
import { decodeImage, isImageName } from './decode-image.js';
import { colorChannels, convertChannels, toChw } from './image.js';
import { encodeLatents, type PosteriorDraw } from './latent-encode.js';
import { decodeNpyFloat32, encodeNpyFloat32 } from './npy.js';
import { encodePng } from './png.js';

/** Called after each file written. */
export type OnWritten = (file: string) => void;

/**
 * Decode `.npy` latents to PNGs: `input` a file of shape (C, h, w) or (N, C, h, w), or a folder of such files;
 * `output` a .png for a single latent, else a folder (made if needed) of `<name>.png` (`<name>-<k>.png` for
 * the k-th of a stack). Returns the PNGs written. Throws InputError naming the file that is not latents.
 */
export async function decodeLatentFiles(vae: Vae, input: string, output: string, onWritten?: OnWritten): Promise<string[]> {
  const { files, folder } = inputFiles(input, (name) => name.toLowerCase().endsWith('.npy'), '.npy latents');
  const toFile = !folder && output.toLowerCase().endsWith('.png');
  if (!toFile) ensureDir(output);
  const written: string[] = [];
  for (const file of files) {
    const { shape, data } = decodeNpyFloat32(readBytes(file), file);
    const stacked = shape.length === 4;
    const latentShape = stacked ? shape : [1, ...shape];
    if (latentShape.length !== 4 || latentShape[1] !== vae.config.latentChannels || latentShape.some((d) => d === 0)) {
      throw new InputError(`${file}: shape (${shape.join(', ')}); expected latents (${vae.config.latentChannels}, h, w) or (N, ${vae.config.latentChannels}, h, w) for this VAE`);
    }
    if (toFile && latentShape[0] !== 1) throw new InputError(`${file}: holds ${latentShape[0]} latents; give a folder as the output, not ${output}`);
    const images = await decodeLatents(vae, data, latentShape);
    for (const [k, img] of images.entries()) {
      const dest = toFile ? output : join(output, `${stem(file)}${stacked ? `-${k}` : ''}.png`);
      await writeFileAtomic(dest, encodePng({ width: img.width, height: img.height, channels: img.channels, data: img.pixels }));
      written.push(dest);
      onWritten?.(dest);
    }
  }
  return written;
}

/**
 * Encode PNG / JPEG images to latents, (mean + std * noise) * scaling_factor or the mean (see PosteriorDraw;
 * the image numbered k in sorted order draws its noise from stream k): `input` an image or a folder of them,
 * `output` a .npy for a single image, else a folder of `<name>.npy`, float32 (C, h, w). Image sides must be
 * multiples of the VAE's downscale factor. Returns the files written.
 */
export async function encodeImageFiles(vae: Vae, input: string, output: string, draw: PosteriorDraw, onWritten?: OnWritten): Promise<string[]> {
  const { files, folder } = inputFiles(input, isImageName, 'PNG or JPEG images');
  const toFile = !folder && output.toLowerCase().endsWith('.npy');
  if (!toFile) ensureDir(output);
  const f = downscaleFactor(vae.config);
  const channels = vae.config.inChannels;
  if (channels !== 1 && channels !== 3) throw new InputError(`the VAE takes ${channels}-channel images; only gray or RGB ones are read from files`);
  const written: string[] = [];
  for (const [index, file] of files.entries()) {
    const img = convertChannels(decodeImage(readBytes(file), file), colorChannels(channels));
    if (img.width % f !== 0 || img.height % f !== 0) {
      throw new InputError(`${file}: ${img.width}x${img.height}; the VAE needs sides that are multiples of ${f} (resize it, or make a dataset with lego dataset --vae --resolution)`);
    }
    const [latents] = await encodeLatents(vae, [toChw(img)], img.height, img.width, draw, index);
    const dest = toFile ? output : join(output, `${stem(file)}.npy`);
    await writeFileAtomic(dest, encodeNpyFloat32(latents, [vae.config.latentChannels, img.height / f, img.width / f]));
    written.push(dest);
    onWritten?.(dest);
  }
  return written;
}

/** The files to read: `path` itself, or the sorted matching files of the folder `path`. */
function inputFiles(path: string, accept: (name: string) => boolean, what: string): { files: string[]; folder: boolean } {
  let folder: boolean;
  try {
    folder = statSync(path).isDirectory();
  } catch (e) {
    throw fileError(path, 'read', e);
  }
  if (!folder) return { files: [path], folder };
  let names: string[];
  try {
    names = readdirSync(path);
  } catch (e) {
    throw fileError(path, 'list', e);
  }
  const files = names.filter(accept).sort().map((name) => join(path, name));
  if (files.length === 0) throw new InputError(`${path}: no ${what} in this folder`);
  return { files, folder };
}

function readBytes(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    throw fileError(file, 'read', e);
  }
}

const stem = (file: string) => basename(file, extname(file));
