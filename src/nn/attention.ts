// Multi-head self-attention of timm/DiT: fused qkv Linear with bias, per-head softmax(q k^T / sqrt(d/n)) v,
// heads concatenated, output projection. x (N, T, D) -> (N, T, D).
import { attentionOp, type Value } from '../graph/ops.js';
import { linear, linearParts, type Precision } from './linear.js';
import type { Params } from './params.js';

/** `precision` applies to the qkv and output Linears; the attention product itself stays float32. */
export function attention(p: Params, x: Value, d: number, heads: number, precision: Precision = 'float32'): Value {
  // qkv.weight (3D, D) holds q, k, v rows in turn: three products on weight slices give q, k, v
  // (N, T, D) directly, with no split of the (N, T, 3D) activation.
  const [q, k, v] = linearParts(p.at('qkv'), x, d, 3 * d, 3, 'xavier', precision);
  const out = attentionOp(q, k, v, heads, 1 / Math.sqrt(d / heads));
  return linear(p.at('proj'), out, d, d, 'xavier', precision);
}
