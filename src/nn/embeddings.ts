// Embeddings of DiT/EDM: the sinusoidal timestep embedding with its MLP, the label embedding, the
// patch embedding and the fixed 2-D sin-cos position table of MAE (LEGO-SPEC "Conditioning", "One brick").
import { add, concat, cos, matmul, mul, reshape, silu, sin, swapLast2, transpose, type Value } from '../graph/ops.js';
import { linear } from './linear.js';
import type { Params } from './params.js';

const FREQ_DIM = 256;

/** t (B,) -> [cos(t f), sin(t f)] (B, 256) with f_j = 10000^(-j/128): cos first, as DiT. */
export function timestepFrequencies(t: Value): Value {
  const half = FREQ_DIM / 2;
  const freqs = Float32Array.from({ length: half }, (_, j) => Math.exp((-Math.log(10000) * j) / half));
  const args = mul(reshape(t, [t.shape[0], 1]), t.graph.constant(freqs, [1, half]));
  return concat([cos(args), sin(args)], -1);
}

/** DiT TimestepEmbedder: frequencies -> Linear(256, D) -> SiLU -> Linear(D, D). t (B,) -> (B, D). */
export function timestepEmbedder(p: Params, t: Value, d: number): Value {
  const h = silu(linear(p.at('mlp.0'), timestepFrequencies(t), FREQ_DIM, d, { normal: 0.02 }));
  return linear(p.at('mlp.2'), h, d, d, { normal: 0.02 });
}

/**
 * Patch embedding (Conv2d(ch, D, p, stride p) with bias) of every r x r tile of a canvas.
 * x (B, ch, H, W) -> tokens (B, tiles, T, D), tiles row-major, tokens row-major within a tile.
 */
export function patchEmbed(p: Params, x: Value, tile: number, patch: number, d: number): Value {
  const [b, ch, height, width] = x.shape;
  const [h, w, g] = [height / tile, width / tile, tile / patch];
  // (B, ch, h, g, p, w, g, p) -> (B, h, w, g_row, g_col, ch, p, p): one row per patch, in Conv2d weight order.
  const patches = transpose(reshape(x, [b, ch, h, g, patch, w, g, patch]), [0, 2, 5, 3, 6, 1, 4, 7]);
  const flat = reshape(patches, [b, h * w, g * g, ch * patch * patch]);
  const fan = ch * patch * patch;
  const weight = p.at('proj').get('weight', [d, ch, patch, patch], { kind: 'xavier', fanIn: fan, fanOut: d });
  const bias = p.at('proj').get('bias', [d], { kind: 'zeros' });
  return add(matmul(flat, swapLast2(reshape(weight, [d, fan]))), bias);
}

/**
 * Inverse of the tiling and patching: tokens (B, tiles, T, p*p*C), each ordered (p_row, p_col, C),
 * back to a canvas (B, C, H, W).
 */
export function unpatchify(x: Value, height: number, width: number, tile: number, patch: number, channels: number): Value {
  const [b] = x.shape;
  const [h, w, g] = [height / tile, width / tile, tile / patch];
  const grid = reshape(x, [b, h, w, g, g, patch, patch, channels]);
  // (B, h, w, g_row, g_col, p_row, p_col, C) -> (B, C, h, g_row, p_row, w, g_col, p_col)
  return reshape(transpose(grid, [0, 7, 1, 3, 5, 2, 4, 6]), [b, channels, height, width]);
}

/**
 * MAE's 2-D sin-cos table for a g x g token grid, (g*g, D): token (a, b) gets
 * [sin(b w), cos(b w), sin(a w), cos(a w)], w_j = 10000^(-j/(D/4)); column block first.
 */
export function sinCosPosTable(g: number, d: number): Float32Array {
  const quarter = d / 4;
  const table = new Float32Array(g * g * d);
  for (let a = 0; a < g; a++) {
    for (let bcol = 0; bcol < g; bcol++) {
      const row = table.subarray((a * g + bcol) * d, (a * g + bcol + 1) * d);
      for (let j = 0; j < quarter; j++) {
        const omega = 1 / Math.pow(10000, j / quarter);
        row[j] = Math.sin(bcol * omega);
        row[quarter + j] = Math.cos(bcol * omega);
        row[2 * quarter + j] = Math.sin(a * omega);
        row[3 * quarter + j] = Math.cos(a * omega);
      }
    }
  }
  return table;
}

/** pos_embed (1, T, D) as a checkpointed buffer, added to tokens (B, tiles, T, D). */
export function addPosEmbed(p: Params, tokens: Value, g: number, d: number): Value {
  const table = p.get('pos_embed', [1, g * g, d], { kind: 'fixed', values: () => sinCosPosTable(g, d) }, false);
  return add(tokens, reshape(table, [1, 1, g * g, d]));
}
