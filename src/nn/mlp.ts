// The transformer MLP of DiT: Linear(D, hD) -> GELU (tanh approximation) -> Linear(hD, D).
import { geluTanh, type Value } from '../graph/ops.js';
import { linear, type Precision } from './linear.js';
import type { Params } from './params.js';

export function mlp(p: Params, x: Value, d: number, hidden: number, precision: Precision = 'float32'): Value {
  return linear(p.at('fc2'), geluTanh(linear(p.at('fc1'), x, d, hidden, 'xavier', precision)), hidden, d, 'xavier', precision);
}
