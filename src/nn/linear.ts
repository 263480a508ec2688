// nn.Linear: y = x W^T + b with W stored (out, in), as in PyTorch. x (..., in) -> (..., out).
import { add, matmul, swapLast2, type Value } from '../graph/ops.js';
import type { Init, Params } from './params.js';

/** Weight initialisation of a linear layer; biases always start at zero. */
export type LinearInit = 'xavier' | 'zeros' | { normal: number };

export function linear(p: Params, x: Value, inDim: number, outDim: number, init: LinearInit = 'xavier'): Value {
  if (x.shape[x.rank - 1] !== inDim) throw new Error(`internal: linear ${p.prefix}: x is (${x.shape}) but in_features is ${inDim}`);
  const weightInit: Init =
    init === 'xavier' ? { kind: 'xavier', fanIn: inDim, fanOut: outDim }
    : init === 'zeros' ? { kind: 'zeros' }
    : { kind: 'normal', std: init.normal };
  const w = p.get('weight', [outDim, inDim], weightInit);
  const b = p.get('bias', [outDim], { kind: 'zeros' });
  return add(matmul(x, swapLast2(w)), b);
}
