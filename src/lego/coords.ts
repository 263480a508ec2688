// The two coordinate channels appended to the brick input (LEGO-SPEC "Coordinates"): channel C holds
// the row coordinate, channel C+1 the column coordinate, spanning [-1, 1] over the canvas ('fit'), or
// keeping the training pixel pitch and reaching past [-1, 1] on larger canvases ('extend').

export type CoordMode = 'fit' | 'extend';

/** Row and column planes, (2, H, W): [(row/(H-1) - 0.5)*2, (col/(W-1) - 0.5)*2] for 'fit'. */
export function coordinatePlanes(height: number, width: number, mode: CoordMode = 'fit', trainResolution = height): Float32Array {
  const out = new Float32Array(2 * height * width);
  // 'extend' keeps the pitch of the training canvas, centred on the larger canvas.
  const pitchRow = mode === 'fit' ? 2 / Math.max(height - 1, 1) : 2 / Math.max(trainResolution - 1, 1);
  const pitchCol = mode === 'fit' ? 2 / Math.max(width - 1, 1) : 2 / Math.max(trainResolution - 1, 1);
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++) {
      out[i * width + j] = (i - (height - 1) / 2) * pitchRow;
      out[height * width + i * width + j] = (j - (width - 1) / 2) * pitchCol;
    }
  }
  return out;
}
