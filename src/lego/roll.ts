// Circular shift of (B, C, H, W) arrays: how the runner moves a brick's tile grid relative to the canvas.

/**
 * Roll a (B, C, H, W) array by (dy, dx) with wrap-around: out[.., (i+dy)%H, (j+dx)%W] = x[.., i, j].
 * Rolling the image and its coordinate planes together moves the tile grid relative to the content.
 */
export function roll(x: Float32Array, shape: readonly number[], dy: number, dx: number): Float32Array {
  const [b, c, h, w] = shape;
  const oy = ((dy % h) + h) % h;
  const ox = ((dx % w) + w) % w;
  if (oy === 0 && ox === 0) return x;
  const out = new Float32Array(x.length);
  for (let plane = 0; plane < b * c; plane++) {
    const base = plane * h * w;
    for (let i = 0; i < h; i++) {
      const src = base + i * w;
      const dst = base + ((i + oy) % h) * w;
      // Row i lands on row i+oy, shifted right by ox with wrap: two copies.
      out.set(x.subarray(src, src + w - ox), dst + ox);
      out.set(x.subarray(src + w - ox, src + w), dst);
    }
  }
  return out;
}
