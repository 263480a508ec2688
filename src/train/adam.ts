// The optimiser update as graph ops, so a training step is one graph run (LEGO-SPEC "Loss and training
// loop"): gradients sanitised as the authors do, torch.optim.Adam with bias correction, then EDM's EMA.
import { add, div, isInf, isNaN, mul, sqrt, sub, where, greater, type Value } from '../graph/ops.js';

/** torch.nan_to_num(g, nan=0, posinf=1e5, neginf=-1e5). */
export function sanitizeGradient(g: Value): Value {
  return where(isNaN(g), 0, where(isInf(g), where(greater(g, 0), 1e5, -1e5), g));
}

/** Per-step scalars, fed as graph inputs of shape (). */
export interface AdamScalars {
  /** lr / (1 - beta1^t), computed in float64 as torch does. */
  stepSize: Value;
  /** sqrt(1 - beta2^t). */
  bias2Sqrt: Value;
  /** EMA decay of this step. */
  emaBeta: Value;
}

export interface AdamHyper {
  beta1: number;
  beta2: number;
  eps: number;
}

/** One Adam step (torch.optim.Adam, no weight decay) followed by ema = w + beta (ema - w). */
export function adamEmaUpdate(w: Value, g: Value, m: Value, v: Value, ema: Value, s: AdamScalars, h: AdamHyper) {
  const m2 = add(mul(m, h.beta1), mul(g, 1 - h.beta1));
  const v2 = add(mul(v, h.beta2), mul(mul(g, g), 1 - h.beta2));
  // torch: denom = sqrt(v) / sqrt(1 - beta2^t) + eps; w -= lr / (1 - beta1^t) * m / denom
  const denom = add(div(sqrt(v2), s.bias2Sqrt), h.eps);
  const w2 = sub(w, mul(s.stepSize, div(m2, denom)));
  const ema2 = add(w2, mul(s.emaBeta, sub(ema, w2)));
  return { w: w2, m: m2, v: v2, ema: ema2 };
}
