// Transforms and resizing: where the image lands, and that resampling keeps flat areas flat.
import { describe, expect, it } from 'vitest';
import { convertChannels, toChw, type Image } from './image.js';
import { resizeLanczos } from './resize.js';
import { centerCrop, centerCropWide, pad } from './transforms.js';

const filled = (width: number, height: number, value: number, channels = 1): Image => ({
  width, height, channels, data: new Uint8Array(width * height * channels).fill(value),
});

/** Bounding box of the non-zero pixels of a 1-channel image. */
function box(img: Image): { x0: number; y0: number; x1: number; y1: number } {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -1, -1];
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      if (img.data[y * img.width + x]) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    }
  }
  return { x0, y0, x1, y1 };
}

describe('transforms', () => {
  it('pad puts a 28x28 image in the centre of 32x32 with a 2-pixel zero border, unscaled', () => {
    const digit = filled(28, 28, 200);
    digit.data[0] = 17; // a marker: the top-left pixel moves to (2, 2)
    const out = pad(digit, 32);
    expect(out).toMatchObject({ width: 32, height: 32, channels: 1 });
    expect(box(out)).toEqual({ x0: 2, y0: 2, x1: 29, y1: 29 });
    expect(out.data[2 * 32 + 2]).toBe(17);
    expect(out.data[3 * 32 + 3]).toBe(200);
  });

  it('pad scales a larger image down to fit, keeping its aspect ratio', () => {
    const out = pad(filled(64, 32, 255), 32);
    expect(box(out)).toEqual({ x0: 0, y0: 8, x1: 31, y1: 23 });
  });

  it('center-crop takes the middle square and resizes it', () => {
    const wide = filled(30, 10, 0);
    for (let y = 0; y < 10; y++) for (let x = 10; x < 20; x++) wide.data[y * 30 + x] = 255; // the middle square is white
    const out = centerCrop(wide, 5);
    expect(out).toMatchObject({ width: 5, height: 5 });
    expect([...out.data].every((v) => v === 255)).toBe(true);
  });

  it('center-crop-wide letterboxes a wide image over the full width', () => {
    const out = centerCropWide(filled(64, 32, 255), 32);
    expect(box(out)).toEqual({ x0: 0, y0: 8, x1: 31, y1: 23 });
  });

  it('Lanczos keeps a flat image flat and averages a fine checkerboard when downscaling', () => {
    expect([...resizeLanczos(filled(10, 10, 77, 3), 4, 4).data].every((v) => v === 77)).toBe(true);
    const checker = filled(16, 16, 0);
    checker.data.forEach((_, i) => (checker.data[i] = ((i % 16) + Math.floor(i / 16)) % 2 ? 255 : 0));
    const small = resizeLanczos(checker, 4, 4);
    for (const v of small.data) expect(Math.abs(v - 127.5)).toBeLessThan(2);
  });

  it('converts channels: alpha over black, RGB to luma, HWC to CHW', () => {
    const rgba: Image = { width: 1, height: 2, channels: 4, data: Uint8Array.of(200, 100, 50, 255, 200, 100, 50, 0) };
    expect([...convertChannels(rgba, 3).data]).toEqual([200, 100, 50, 0, 0, 0]);
    expect([...convertChannels(rgba, 1).data]).toEqual([Math.round((200 * 299 + 100 * 587 + 50 * 114) / 1000), 0]);
    expect([...toChw(convertChannels(rgba, 3))]).toEqual([200, 0, 100, 0, 50, 0]);
  });
});
