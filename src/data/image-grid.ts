// A grid of equally sized 8-bit images (HWC) in one image, row-major, as EDM's and DiT's sample grids.

export interface GridImage {
  width: number;
  height: number;
  channels: number;
  pixels: Uint8Array;
}

/** Tile images into `columns` columns (default: near-square), with `gap` black pixels between them. */
export function imageGrid(images: readonly GridImage[], columns?: number, gap = 0): GridImage {
  if (images.length === 0) throw new Error('internal: imageGrid of no images');
  const { width, height, channels } = images[0];
  const cols = columns ?? Math.ceil(Math.sqrt((images.length * height) / width));
  const rows = Math.ceil(images.length / cols);
  const gw = cols * width + (cols - 1) * gap;
  const gh = rows * height + (rows - 1) * gap;
  const out = new Uint8Array(gw * gh * channels);
  images.forEach((img, i) => {
    if (img.width !== width || img.height !== height || img.channels !== channels) throw new Error('internal: imageGrid of mixed sizes');
    const x0 = (i % cols) * (width + gap);
    const y0 = Math.floor(i / cols) * (height + gap);
    for (let y = 0; y < height; y++) {
      out.set(img.pixels.subarray(y * width * channels, (y + 1) * width * channels), ((y0 + y) * gw + x0) * channels);
    }
  });
  return { width: gw, height: gh, channels, pixels: out };
}
