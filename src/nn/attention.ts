// Multi-head self-attention of timm/DiT: fused qkv Linear with bias, per-head softmax(q k^T / sqrt(d/n)) v,
// heads concatenated, output projection. x (N, T, D) -> (N, T, D).
import { add, attentionOp, matmul, slice, swapLast2, type Value } from '../graph/ops.js';
import { linear } from './linear.js';
import type { Params } from './params.js';

export function attention(p: Params, x: Value, d: number, heads: number): Value {
  // qkv.weight (3D, D) holds q, k, v rows in turn: three products on weight slices give q, k, v
  // (N, T, D) directly, with no split of the (N, T, 3D) activation.
  const w = p.at('qkv').get('weight', [3 * d, d], { kind: 'xavier', fanIn: d, fanOut: 3 * d });
  const b = p.at('qkv').get('bias', [3 * d], { kind: 'zeros' });
  const [q, k, v] = [0, 1, 2].map((i) => add(matmul(x, swapLast2(slice(w, 0, i * d, (i + 1) * d))), slice(b, 0, i * d, (i + 1) * d)));
  const out = attentionOp(q, k, v, heads, 1 / Math.sqrt(d / heads));
  return linear(p.at('proj'), out, d, d);
}
