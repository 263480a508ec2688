// 8-bit images as decoders hand them over (rows of interleaved channels, HWC) and the two conversions
// datasets need: to 1 or 3 channels, and to the planar CHW layout the model takes.

/** An 8-bit image, height x width x channels interleaved (HWC). Channels: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
export interface Image {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

/** A blank (zero) image. */
export function blankImage(width: number, height: number, channels: number): Image {
  return { width, height, channels, data: new Uint8Array(width * height * channels) };
}

/** 1 for gray or gray+alpha, 3 for RGB or RGBA: the channels an image keeps once alpha is gone. */
export const colorChannels = (channels: number): 1 | 3 => (channels <= 2 ? 1 : 3);

/**
 * Convert to 1 (gray) or 3 (RGB) channels. Alpha is composited over black (the colour is multiplied by
 * alpha), so transparent areas become zero as in a padded border. RGB to gray uses the ITU-R 601 luma
 * weights PIL's `convert('L')` uses: L = (299 R + 587 G + 114 B) / 1000.
 */
export function convertChannels(img: Image, channels: 1 | 3): Image {
  const { width, height, channels: c, data } = img;
  if (c === channels) return img;
  const n = width * height;
  const out = new Uint8Array(n * channels);
  const hasAlpha = c === 2 || c === 4;
  for (let i = 0; i < n; i++) {
    const p = i * c;
    const alpha = hasAlpha ? data[p + c - 1] / 255 : 1;
    if (c <= 2) {
      const v = Math.round(data[p] * alpha);
      if (channels === 1) out[i] = v;
      else out.fill(v, i * 3, i * 3 + 3);
    } else {
      const r = data[p] * alpha;
      const g = data[p + 1] * alpha;
      const b = data[p + 2] * alpha;
      if (channels === 1) {
        out[i] = Math.round((r * 299 + g * 587 + b * 114) / 1000);
      } else {
        out[i * 3] = Math.round(r);
        out[i * 3 + 1] = Math.round(g);
        out[i * 3 + 2] = Math.round(b);
      }
    }
  }
  return { width, height, channels, data: out };
}

/** HWC to planar CHW (channel planes one after another), the layout of the model's (N, C, H, W) input. */
export function toChw(img: Image): Uint8Array {
  const { width, height, channels: c, data } = img;
  if (c === 1) return data;
  const n = width * height;
  const out = new Uint8Array(n * c);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < c; k++) out[k * n + i] = data[i * c + k];
  }
  return out;
}
