// The transformer MLP of DiT: Linear(D, hD) -> GELU (tanh approximation) -> Linear(hD, D).
import { geluTanh, type Value } from '../graph/ops.js';
import { linear } from './linear.js';
import type { Params } from './params.js';

export function mlp(p: Params, x: Value, d: number, hidden: number): Value {
  return linear(p.at('fc2'), geluTanh(linear(p.at('fc1'), x, d, hidden)), hidden, d);
}
