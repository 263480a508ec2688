// nn.Linear: y = x W^T + b with W stored (out, in), as in PyTorch. x (..., in) -> (..., out).
// In 8 bits (int8-linear.ts) when asked: the same layer, the same parameters, an integer product.
import { add, concat, matmul, numel, reshape, slice, swapLast2, type Value } from '../graph/ops.js';
import { int8LinearParts } from './int8-linear.js';
import type { Init, Params } from './params.js';

/** Weight initialisation of a linear layer; biases always start at zero. */
export type LinearInit = 'xavier' | 'zeros' | { normal: number };

/** How a Linear multiplies: float32, or 8-bit integers (weights per output channel, activations per row). */
export type Precision = 'float32' | 'int8';

export function linear(p: Params, x: Value, inDim: number, outDim: number, init: LinearInit = 'xavier', precision: Precision = 'float32'): Value {
  return linearParts(p, x, inDim, outDim, 1, init, precision)[0];
}

/**
 * The Linear's output cut into `parts` equal slices of out features, each computed as its own product on a
 * slice of W (attention's q, k, v from one qkv layer, with no split of the (..., out) activation).
 */
export function linearParts(
  p: Params, x: Value, inDim: number, outDim: number, parts: number, init: LinearInit = 'xavier', precision: Precision = 'float32',
): Value[] {
  if (x.shape[x.rank - 1] !== inDim) throw new Error(`internal: linear ${p.prefix}: x is (${x.shape}) but in_features is ${inDim}`);
  if (precision === 'int8') return int8LinearParts(p, x, inDim, outDim, parts);
  const weightInit: Init =
    init === 'xavier' ? { kind: 'xavier', fanIn: inDim, fanOut: outDim }
    : init === 'zeros' ? { kind: 'zeros' }
    : { kind: 'normal', std: init.normal };
  const w = p.get('weight', [outDim, inDim], weightInit);
  const b = p.get('bias', [outDim], { kind: 'zeros' });
  const size = outDim / parts;
  // ONNX Runtime multiplies a lone row with a GEMV kernel that rounds differently from the GEMM kernel of
  // two rows or more: a lone row is doubled (and the copy dropped), so that an image's conditioning and
  // modulations, and so the image, are the same to the bit whatever the batch.
  const lead = x.shape.slice(0, -1);
  const lone = numel(lead) === 1;
  const rows = lone ? concat([reshape(x, [1, inDim]), reshape(x, [1, inDim])], 0) : x;
  return Array.from({ length: parts }, (_, i) => {
    const y = add(matmul(rows, swapLast2(slice(w, 0, i * size, (i + 1) * size))), slice(b, 0, i * size, (i + 1) * size));
    return lone ? reshape(slice(y, 0, 0, 1), [...lead, size]) : y;
  });
}
