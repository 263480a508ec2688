// nn.Conv2d (stride 1, zero 'same' padding) and 2x2 average pooling on channels-last tensors, built
// from ops the graph already has: the k*k shifted views of the padded input are concatenated on the
// channel axis (im2col) and multiplied by the weight, so no Conv op or rule of its own is needed.
import { add, concat, expand, matmul, reduceMean, reshape, slice, transpose, type Value } from '../graph/ops.js';
import type { Params } from './params.js';

/** x zero-padded by `pad` on both sides of axes 1 and 2. x (N, H, W, C) -> (N, H+2pad, W+2pad, C). */
function padHw(x: Value, pad: number): Value {
  if (pad === 0) return x;
  const [n, h, w, c] = x.shape;
  const zeros = (shape: number[]) => expand(x.graph.constant(0), shape);
  const rows = concat([zeros([n, pad, w, c]), x, zeros([n, pad, w, c])], 1);
  return concat([zeros([n, h + 2 * pad, pad, c]), rows, zeros([n, h + 2 * pad, pad, c])], 2);
}

/**
 * Conv2d(inCh, outCh, kernel, padding=kernel//2) with bias, weight stored (out, in, kh, kw) as in PyTorch.
 * x (N, H, W, inCh) -> (N, H, W, outCh); kernel odd.
 */
export function conv2d(p: Params, x: Value, inCh: number, outCh: number, kernel = 3): Value {
  const [n, h, w, c] = x.shape;
  if (x.rank !== 4 || c !== inCh) throw new Error(`internal: conv2d ${p.prefix}: x is (${x.shape}) but in_channels is ${inCh}`);
  if (kernel % 2 !== 1) throw new Error(`internal: conv2d ${p.prefix}: kernel ${kernel} is even`);
  const fan = inCh * kernel * kernel;
  const weight = p.get('weight', [outCh, inCh, kernel, kernel], { kind: 'xavier', fanIn: fan, fanOut: outCh * kernel * kernel });
  const bias = p.get('bias', [outCh], { kind: 'zeros' });
  const padded = padHw(x, kernel >> 1);
  // Columns ordered (ky, kx, in): the weight is permuted to (kh, kw, in, out) to match.
  const views: Value[] = [];
  for (let ky = 0; ky < kernel; ky++) {
    for (let kx = 0; kx < kernel; kx++) views.push(slice(slice(padded, 1, ky, ky + h), 2, kx, kx + w));
  }
  const columns = concat(views, 3); // (N, H, W, k*k*in)
  const w2 = reshape(transpose(weight, [2, 3, 1, 0]), [fan, outCh]);
  return add(reshape(matmul(reshape(columns, [n * h * w, fan]), w2), [n, h, w, outCh]), bias);
}

/** 2x2 average pooling, stride 2. x (N, H, W, C) -> (N, H/2, W/2, C); H and W even. */
export function avgPool2(x: Value): Value {
  const [n, h, w, c] = x.shape;
  if (h % 2 !== 0 || w % 2 !== 0) throw new Error(`internal: avgPool2: x is (${x.shape}); H and W must be even`);
  return reduceMean(reshape(x, [n, h / 2, 2, w / 2, 2, c]), [2, 4]);
}
