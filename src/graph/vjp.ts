// One vector-Jacobian rule per op, written in graph ops: pull dy back to each input of a node,
// null where the input has no gradient. A missing rule does not compile.
import {
  add, cast, concat, cos, div, expand, greater, log, matmul, mergeHeads, mul, neg, pow, reduceMean, reduceSum, reshape, sigmoid, sin, slice,
  softmax, splitHeads, sqrt, sub, sumTo, swapLast2, tanh, transpose, where, type Node, type OpAttrs, type OpType, type Value,
} from './ops.js';

type VjpRule<K extends OpType> = (dy: Value, node: Node<K>) => (Value | null)[];

const zeros = (like: Value, shape: readonly number[]) => expand(like.graph.constant(0), shape);

/** like's shape with one axis resized. */
const withAxis = (like: Value, axis: number, size: number) => like.shape.map((d, i) => (i === axis ? size : d));

/** sqrt(2/pi) and the cubic coefficient of the tanh GELU approximation. */
const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

export const vjp: { [K in OpType]: VjpRule<K> } = {
  Input: () => [],
  Const: () => [],
  Add: (dy, { inputs: [a, b] }) => [sumTo(dy, a.shape), sumTo(dy, b.shape)],
  Sub: (dy, { inputs: [a, b] }) => [sumTo(dy, a.shape), sumTo(neg(dy), b.shape)],
  Mul: (dy, { inputs: [a, b] }) => [sumTo(mul(dy, b), a.shape), sumTo(mul(dy, a), b.shape)],
  Div: (dy, { inputs: [a, b], output: y }) => [sumTo(div(dy, b), a.shape), sumTo(neg(div(mul(dy, y), b)), b.shape)],
  // d a^b = b a^(b-1) da + a^b ln(a) db; a constant exponent gets no gradient (and no log of negatives).
  Pow: (dy, { inputs: [a, b], output: y }) => [
    sumTo(mul(dy, mul(b, pow(a, sub(b, 1)))), a.shape),
    b.node.op === 'Const' ? null : sumTo(mul(dy, mul(y, log(a))), b.shape),
  ],
  Neg: (dy) => [neg(dy)],
  Sqrt: (dy, { output: y }) => [div(mul(dy, 0.5), y)],
  Exp: (dy, { output: y }) => [mul(dy, y)],
  Log: (dy, { inputs: [x] }) => [div(dy, x)],
  Sin: (dy, { inputs: [x] }) => [mul(dy, cos(x))],
  Cos: (dy, { inputs: [x] }) => [neg(mul(dy, sin(x)))],
  Tanh: (dy, { output: y }) => [mul(dy, sub(1, mul(y, y)))],
  Sigmoid: (dy, { output: y }) => [mul(dy, mul(y, sub(1, y)))],
  MatMul: (dy, { inputs: [a, b] }) => [
    sumTo(matmul(dy, swapLast2(b)), a.shape),
    b.rank === 2 && a.rank > 2
      // (…, M, K) x (K, N): fold the leading axes into one big product instead of a batch then a sum.
      ? matmul(swapLast2(reshape(a, [-1, a.shape[a.rank - 1]])), reshape(dy, [-1, dy.shape[dy.rank - 1]]))
      : sumTo(matmul(swapLast2(a), dy), b.shape),
  ],
  Softmax: (dy, { output: y, attrs: { axis } }) => [mul(y, sub(dy, reduceSum(mul(dy, y), [axis], true)))],
  ReduceSum: (dy, { inputs: [x], attrs }) => [expand(reshape(dy, keptShape(x, attrs)), x.shape)],
  ReduceMean: (dy, { inputs: [x], attrs }) => [
    expand(reshape(div(dy, x.size / dy.size), keptShape(x, attrs)), x.shape),
  ],
  Reshape: (dy, { inputs: [x] }) => [reshape(dy, x.shape)],
  Transpose: (dy, { attrs: { perm } }) => [transpose(dy, inversePerm(perm))],
  Concat: (dy, { inputs, attrs: { axis } }) => {
    let offset = 0;
    return inputs.map((x) => slice(dy, axis, offset, (offset += x.shape[axis])));
  },
  Slice: (dy, { inputs: [x], attrs: { axis, start, end } }) => {
    const parts: Value[] = [];
    if (start > 0) parts.push(zeros(dy, withAxis(x, axis, start)));
    parts.push(dy);
    if (end < x.shape[axis]) parts.push(zeros(dy, withAxis(x, axis, x.shape[axis] - end)));
    return [concat(parts, axis)];
  },
  Expand: (dy, { inputs: [x] }) => [sumTo(dy, x.shape)],
  Where: (dy, { inputs: [c, a, b] }) => [null, sumTo(where(c, dy, 0), a.shape), sumTo(where(c, 0, dy), b.shape)],
  IsNaN: () => [null],
  IsInf: () => [null],
  Greater: () => [null, null],
  Cast: (dy, { inputs: [x] }) => [cast(dy, x.dtype)],
  // dy flows to the elements equal to their slice's maximum (minimum), to each of them should several tie.
  ReduceMax: (dy, { inputs: [x], output: y, attrs }) => {
    const kept = keptShape(x, attrs);
    return [where(greater(expand(reshape(y, kept), x.shape), x), 0, expand(reshape(dy, kept), x.shape))];
  },
  ReduceMin: (dy, { inputs: [x], output: y, attrs }) => {
    const kept = keptShape(x, attrs);
    return [where(greater(x, expand(reshape(y, kept), x.shape)), 0, expand(reshape(dy, kept), x.shape))];
  },
  // Integer outputs: piecewise constant, so nothing to pull back.
  QuantizeLinear: () => [null, null],
  MatMulIntegerToFloat: () => [null, null, null],
  // y = (x - mean) * rstd over the last axis, no affine: dx = rstd * (dy - mean(dy) - y * mean(dy * y)).
  // rstd is recomputed from x: the fused forward kernel does not expose it as a value of ours.
  LayerNorm: (dy, { inputs: [x], output: y, attrs: { epsilon } }) => {
    const centred = sub(x, reduceMean(x, [-1], true));
    const rstd = div(1, sqrt(add(reduceMean(mul(centred, centred), [-1], true), epsilon)));
    const inner = sub(sub(dy, reduceMean(dy, [-1], true)), mul(y, reduceMean(mul(dy, y), [-1], true)));
    return [mul(rstd, inner)];
  },
  // Own rule (like EDM's AttentionOp): the forward is one fused kernel that keeps no T x T matrix, so
  // P is recomputed here. Per head: dV = P^T dO, dP = dO V^T, dS = P (dP - rowsum(dO O)),
  // dQ = scale dS K, dK = scale dS^T Q. rowsum(dP P) = rowsum(dO O) (FlashAttention) avoids a T x T pass.
  Attention: (dy, { inputs: [q, k, v], output: o, attrs: { heads, scale } }) => {
    const [qh, kh, vh, dO, oh] = [q, k, v, dy, o].map((x) => splitHeads(x, heads));
    const qs = mul(qh, scale);
    const p = softmax(matmul(qs, swapLast2(kh)), -1);
    const dS = mul(p, sub(matmul(dO, swapLast2(vh)), reduceSum(mul(dO, oh), [-1], true)));
    return [
      mergeHeads(mul(matmul(dS, kh), scale)),
      mergeHeads(matmul(swapLast2(dS), qs)),
      mergeHeads(matmul(swapLast2(p), dO)),
    ];
  },
  // gelu(x) = x sigmoid(2u), u = c (x + a x^3) (the same as x/2 (1 + tanh u)):
  // d/dx = s (1 + x (1 - s) 2u'), s = sigmoid(2u), 2u' = 2c (1 + 3 a x^2). Written for few passes.
  GeluTanh: (dy, { inputs: [x] }) => {
    const x2 = mul(x, x);
    const s = sigmoid(mul(x, add(mul(x2, 2 * GELU_C * GELU_A), 2 * GELU_C)));
    const du2 = add(mul(x2, 6 * GELU_C * GELU_A), 2 * GELU_C);
    return [mul(dy, mul(s, add(mul(mul(x, sub(1, s)), du2), 1)))];
  },
  // Inference only: the VAE's convolutions are never trained here, so no backward pass is written.
  Conv: () => {
    throw new Error('internal: Conv has no gradient (inference only)');
  },
  // Each row of x (N, C, L) is a LayerNorm over its last axis: the same rule.
  InstanceNorm: (dy, { inputs: [x], output: y, attrs: { epsilon } }) => {
    const centred = sub(x, reduceMean(x, [-1], true));
    const rstd = div(1, sqrt(add(reduceMean(mul(centred, centred), [-1], true), epsilon)));
    const inner = sub(sub(dy, reduceMean(dy, [-1], true)), mul(y, reduceMean(mul(dy, y), [-1], true)));
    return [mul(rstd, inner)];
  },
  // Each input pixel feeds a factor x factor block of the output: sum dy over the block.
  Upsample: (dy, { inputs: [x], attrs: { factor } }) => {
    const [n, c, h, w] = x.shape;
    return [reshape(reduceSum(reshape(dy, [n, c, h, factor, w, factor]), [3, 5]), x.shape)];
  },
};
function keptShape(x: Value, { axes }: OpAttrs['ReduceSum']): number[] {
  return x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}
