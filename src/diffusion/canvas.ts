// Per-step offsets of the tile grids for sampling on large canvases (--shift-tiles, --wrap), so that
// tile borders do not stay in the same place across steps. The runner applies them (lego/roll.ts).

/**
 * The tile-grid offset of step i: a hash of the step index (not of any seed), so every image of a
 * batch shares it and an image's result does not depend on the batch it is in. Offsets are in
 * [0, tile); `vertical` false keeps rows in place (horizontal panoramas).
 */
export function tileShift(step: number, tile: number, vertical = true): [number, number] {
  const h1 = fmix32(step + 0x2545f491);
  const h2 = fmix32(h1 ^ 0x68e31da4);
  // High bits: the low bits of a multiplicative hash repeat with a short period.
  const dx = Math.floor((h1 / 2 ** 32) * tile);
  const dy = vertical ? Math.floor((h2 / 2 ** 32) * tile) : 0;
  return [dy, dx];
}

/** MurmurHash3's 32-bit finaliser: a bijective mix of all input bits. */
function fmix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
