// DiT block with adaLN-Zero conditioning and DiT's final layer (LEGO-SPEC "One brick", steps 4-5).
// Tokens are (B, tiles, T, D) and conditioning (B, D): modulations are computed once per image and
// broadcast over its tiles (the authors' code recomputes them per tile: same values, more work).
import { add, layerNorm, mul, reshape, silu, split, type Value } from '../graph/ops.js';
import { attention } from './attention.js';
import { linear, type Precision } from './linear.js';
import { mlp } from './mlp.js';
import type { Params } from './params.js';

export interface BlockShape {
  hidden: number;
  heads: number;
  mlpRatio: number;
  /** How the attention and MLP Linears multiply (default float32); the adaLN modulation stays float32. */
  precision?: Precision;
}

const LN_EPS = 1e-6;

/** x * (1 + scale) + shift. */
export const modulate = (x: Value, shift: Value, scale: Value) => add(mul(x, add(scale, 1)), shift);

/** Per-image modulation vectors, shaped to broadcast over (B, tiles, T, D). */
function modulations(p: Params, c: Value, d: number, count: number): Value[] {
  const [b] = c.shape;
  const mod = linear(p.at('adaLN_modulation.1'), silu(c), d, count * d, 'zeros'); // (B, count*D)
  return split(reshape(mod, [b, 1, 1, count * d]), count, -1);
}

/** x (B, tiles, T, D), c (B, D) -> (B, tiles, T, D). */
export function ditBlock(p: Params, x: Value, c: Value, { hidden: d, heads, mlpRatio, precision }: BlockShape): Value {
  if (c.shape[1] !== d) throw new Error(`internal: ditBlock: c is (${c.shape}) but hidden size is ${d}`);
  const [b, tiles, t] = x.shape;
  const [shift1, scale1, gate1, shift2, scale2, gate2] = modulations(p, c, d, 6);
  const attnIn = reshape(modulate(layerNorm(x, LN_EPS), shift1, scale1), [b * tiles, t, d]);
  x = add(x, mul(gate1, reshape(attention(p.at('attn'), attnIn, d, heads, precision), [b, tiles, t, d])));
  return add(x, mul(gate2, mlp(p.at('mlp'), modulate(layerNorm(x, LN_EPS), shift2, scale2), d, Math.trunc(d * mlpRatio), precision)));
}

/** DiT FinalLayer: adaLN (shift, scale), then Linear(D, outDim). x (B, tiles, T, D) -> (B, tiles, T, outDim). */
export function finalLayer(p: Params, x: Value, c: Value, d: number, outDim: number): Value {
  const [shift, scale] = modulations(p, c, d, 2);
  return linear(p.at('linear'), modulate(layerNorm(x, LN_EPS), shift, scale), d, outDim, 'zeros');
}
