// nn.Linear as an 8-bit product: weights quantised per output channel at load time (quantize.ts),
// activations per row at run time, products accumulated in int32 (uint8 x int8, ONNX Runtime's MatMulIntegerToFloat).
// Every row has its own scale, so a row's result never depends on the other rows of the batch.
import {
  add, div, greater, matmulIntegerToFloat, mul, neg, quantizeLinear, reduceMax, reduceMin, reshape, slice, where, type DType, type Shape, type Value,
} from '../graph/ops.js';
import type { Params } from './params.js';
import { ACTIVATION_ZERO_POINT, QMAX, quantizedNames } from './quantize.js';

/** Activations x (..., K) in 8 bits, one row per token. */
export interface QuantizedRows {
  /** round(x / s) + 128, uint8 (M, K). */
  q: Value;
  /** s = max |x_row| / 127 per row, float32 (M, 1). */
  scale: Value;
  /** x's leading axes, whose product is M. */
  lead: Shape;
}

/** Quantise each row of x (..., K) with its own scale s_r = max |x_r| / 127 and zero point 128. */
export function quantizeRows(x: Value): QuantizedRows {
  const k = x.shape[x.rank - 1];
  const rows = reshape(x, [-1, k]); // (M, K)
  // max |x| = max(max x, -min x): two reductions cost less than a pass writing |x|.
  const high = reduceMax(rows, [1], true); // (M, 1)
  const low = neg(reduceMin(rows, [1], true));
  const max = where(greater(high, low), high, low);
  // A row of zeros quantises to the zero point whatever its scale: 1 avoids 0 / 0.
  const scale = where(greater(max, 0), div(max, QMAX), 1); // (M, 1)
  return { q: quantizeLinear(rows, reshape(scale, [-1]), 0, ACTIVATION_ZERO_POINT), scale, lead: x.shape.slice(0, -1) };
}

/**
 * y = s_r scale_j sum_k (q_rk - 128) w_kj + b_j: quantised rows times an int8 weight (K, N) with its
 * scales (N) and float bias (N). The int32 sums are cast and scaled per column inside the product's kernel
 * (a pass over (M, N) fewer, and no int32 tensor); the row scale and the bias follow. -> (..., N).
 */
export function int8Product(x: QuantizedRows, wq: Value, wScale: Value, bias: Value): Value {
  const scaled = matmulIntegerToFloat(x.q, wq, wScale, ACTIVATION_ZERO_POINT); // (M, N)
  return reshape(add(mul(scaled, x.scale), bias), [...x.lead, wq.shape[1]]);
}

/** A graph input computed from the weights when the model loads (not a parameter: never saved or trained). */
function derivedInput(p: Params, name: string, shape: Shape, dtype: DType): Value {
  return p.graph.inputs.get(name) ?? p.graph.input(name, shape, dtype);
}

/**
 * Linear(inDim, outDim) in 8 bits, its output cut into `parts` equal slices of out features, each its own
 * product of the one quantised x (attention's q, k, v from qkv). x (..., in) -> parts x (..., out / parts).
 * Reads `<prefix>.weight.q` (in, out) int8 and `<prefix>.weight.scale` (out), and the float bias.
 */
export function int8LinearParts(p: Params, x: Value, inDim: number, outDim: number, parts: number): Value[] {
  if (x.shape[x.rank - 1] !== inDim) throw new Error(`internal: int8 linear ${p.prefix}: x is (${x.shape}) but in_features is ${inDim}`);
  const names = quantizedNames(`${p.prefix}.weight`);
  const wq = derivedInput(p, names.q, [inDim, outDim], 'int8');
  const wScale = derivedInput(p, names.scale, [outDim], 'float32');
  const b = p.get('bias', [outDim], { kind: 'zeros' });
  const rows = quantizeRows(x);
  const size = outDim / parts;
  return Array.from({ length: parts }, (_, i) =>
    int8Product(rows, slice(wq, 1, i * size, (i + 1) * size), slice(wScale, 0, i * size, (i + 1) * size), slice(b, 0, i * size, (i + 1) * size)),
  );
}
