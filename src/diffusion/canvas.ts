// Per-step offsets of the tile grids for sampling on large canvases (--shift-tiles, --wrap), so that
// tile borders do not stay in the same place across steps. The runner applies them (lego/roll.ts).

/**
 * The tile-grid offset of step i: a hash of the step index (not of any seed), so every image of a
 * batch shares it and an image's result does not depend on the batch it is in. Offsets are in
 * [0, tile); `vertical` false keeps rows in place (horizontal panoramas).
 */
export function tileShift(step: number, tile: number, vertical = true): [number, number] {
  let h = Math.imul(step + 1, 0x9e3779b1) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b) >>> 0;
  const dx = h % tile;
  const dy = vertical ? (Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0) % tile : 0;
  return [dy, dx];
}
