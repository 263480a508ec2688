// A seam measure for images sampled on canvases larger than a brick's tile: the mean absolute
// difference of neighbouring pixels across tile borders against the same inside tiles. A ratio near 1
// means the borders are invisible; well above 1, the tile grid shows.

export interface SeamStats {
  /** Mean |p - q| over neighbour pairs that straddle a tile border (horizontal and vertical). */
  border: number;
  /** The same over neighbour pairs inside tiles. */
  inside: number;
  /** border / inside. */
  ratio: number;
}

/** Seam statistics of 8-bit HWC images for a tile grid of `tile` pixels starting at (0, 0). */
export function seamStats(images: readonly { width: number; height: number; channels: number; pixels: Uint8Array }[], tile: number): SeamStats {
  let borderSum = 0;
  let borderCount = 0;
  let insideSum = 0;
  let insideCount = 0;
  for (const { width, height, channels, pixels } of images) {
    const at = (y: number, x: number, c: number) => pixels[(y * width + x) * channels + c];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < channels; c++) {
          if (x + 1 < width) {
            const d = Math.abs(at(y, x, c) - at(y, x + 1, c));
            if ((x + 1) % tile === 0) [borderSum, borderCount] = [borderSum + d, borderCount + 1];
            else [insideSum, insideCount] = [insideSum + d, insideCount + 1];
          }
          if (y + 1 < height) {
            const d = Math.abs(at(y, x, c) - at(y + 1, x, c));
            if ((y + 1) % tile === 0) [borderSum, borderCount] = [borderSum + d, borderCount + 1];
            else [insideSum, insideCount] = [insideSum + d, insideCount + 1];
          }
        }
      }
    }
  }
  const border = borderCount ? borderSum / borderCount : 0;
  const inside = insideCount ? insideSum / insideCount : 0;
  return { border, inside, ratio: inside > 0 ? border / inside : 0 };
}
