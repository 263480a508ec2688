// How an image of any size becomes a square dataset image (EDM dataset_tool's --transform, for square
// outputs): center-crop, center-crop-wide (letterbox) and pad. Resizing is Lanczos-3 (resize.ts).
import { blankImage, type Image } from './image.js';
import { resizeLanczos } from './resize.js';

/** The --transform choices. */
export const TRANSFORMS = ['center-crop', 'center-crop-wide', 'pad'] as const;
export type TransformName = (typeof TRANSFORMS)[number];

export const isTransformName = (name: string): name is TransformName => (TRANSFORMS as readonly string[]).includes(name);

/** The `width` x `height` region at (x0, y0). */
export function crop(img: Image, x0: number, y0: number, width: number, height: number): Image {
  const c = img.channels;
  const out = blankImage(width, height, c);
  for (let y = 0; y < height; y++) {
    const from = ((y0 + y) * img.width + x0) * c;
    out.data.set(img.data.subarray(from, from + width * c), y * width * c);
  }
  return out;
}

/** `img` placed at (x0, y0) on a zero canvas of `width` x `height`. */
export function place(img: Image, width: number, height: number, x0: number, y0: number): Image {
  const c = img.channels;
  const out = blankImage(width, height, c);
  for (let y = 0; y < img.height; y++) {
    out.data.set(img.data.subarray(y * img.width * c, (y + 1) * img.width * c), ((y0 + y) * width + x0) * c);
  }
  return out;
}

/** center-crop: the largest centred square, resized to `resolution` (EDM's center_crop). */
export function centerCrop(img: Image, resolution: number): Image {
  const side = Math.min(img.width, img.height);
  const square = crop(img, (img.width - side) >> 1, (img.height - side) >> 1, side, side);
  return resizeLanczos(square, resolution, resolution);
}

/**
 * center-crop-wide: keep the whole width. The image is scaled to `resolution` wide; a wide image is
 * letterboxed (zero bars above and below, as EDM's center_crop_wide), a tall one is cropped to its
 * centred square.
 */
export function centerCropWide(img: Image, resolution: number): Image {
  const height = Math.max(1, Math.round((img.height * resolution) / img.width));
  if (height >= resolution) return centerCrop(img, resolution);
  const band = resizeLanczos(img, resolution, height);
  return place(band, resolution, resolution, 0, (resolution - height) >> 1);
}

/**
 * pad: centre the image on a zero canvas of `resolution` x `resolution`, without scaling when it fits
 * (MNIST 28x28 -> 32x32 gets a 2-pixel border); a larger image is first scaled down, keeping its aspect
 * ratio, until its longer side is `resolution`. With an odd margin the extra pixel goes right or below.
 */
export function pad(img: Image, resolution: number): Image {
  let fitted = img;
  if (img.width > resolution || img.height > resolution) {
    const scale = resolution / Math.max(img.width, img.height);
    fitted = resizeLanczos(img, Math.max(1, Math.round(img.width * scale)), Math.max(1, Math.round(img.height * scale)));
  }
  return place(fitted, resolution, resolution, (resolution - fitted.width) >> 1, (resolution - fitted.height) >> 1);
}

/** Apply a named transform. */
export function applyTransform(img: Image, transform: TransformName, resolution: number): Image {
  switch (transform) {
    case 'center-crop':
      return centerCrop(img, resolution);
    case 'center-crop-wide':
      return centerCropWide(img, resolution);
    case 'pad':
      return pad(img, resolution);
  }
}
