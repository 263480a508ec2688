// Multi-head self-attention of timm/DiT: fused qkv Linear with bias, per-head softmax(q k^T / sqrt(d/n)) v,
// heads concatenated, output projection. x (N, T, D) -> (N, T, D).
import { matmul, mul, reshape, slice, softmax, swapLast2, transpose, type Value } from '../graph/ops.js';
import { linear } from './linear.js';
import type { Params } from './params.js';

export function attention(p: Params, x: Value, d: number, heads: number): Value {
  const [n, t] = x.shape;
  const headDim = d / heads;
  const qkv = linear(p.at('qkv'), x, d, 3 * d); // (N, T, 3D) laid out as (3, heads, headDim)
  const head = (i: number) => transpose(reshape(slice(qkv, -1, i * d, (i + 1) * d), [n, t, heads, headDim]), [0, 2, 1, 3]);
  const [q, k, v] = [head(0), head(1), head(2)]; // (N, heads, T, headDim)
  const weights = softmax(mul(matmul(q, swapLast2(k)), 1 / Math.sqrt(headDim)), -1); // (N, heads, T, T)
  const out = reshape(transpose(matmul(weights, v), [0, 2, 1, 3]), [n, t, d]);
  return linear(p.at('proj'), out, d, d);
}
