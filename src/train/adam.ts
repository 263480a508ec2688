// The optimiser update as graph ops, so a training step is one graph run (LEGO-SPEC "Loss and training
// loop"): gradients sanitised as the authors do, torch.optim.Adam with bias correction, then EDM's EMA.
import { add, div, isInf, isNaN, mul, sqrt, sub, where, greater, type Graph, type Value } from '../graph/ops.js';

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

/**
 * Sanitise (optionally), Adam and EMA as named graph outputs `w_next`, `m_next`, `v_next`, `ema_next`
 * over flat inputs `w_flat`, `m_flat`, `v_flat`, `ema_flat` and the scalars `step_size`, `bias2_sqrt`,
 * `ema_beta`. The caller passes the input arrays again as the outputs' preallocated arrays, so ONNX
 * Runtime overwrites the state in place (one copy of the state instead of two). That is safe because
 * every node reading an old value runs before the node writing the new one: the old m, v and ema are
 * read only by the update's own upstream nodes, and the per-parameter weight views only by the forward
 * and backward passes, which lie upstream of `flatGrad` or of `after` (the loss), on which the weight
 * update is made to depend.
 */
export function inPlaceStateUpdate(
  g: Graph,
  flatGrad: Value,
  h: AdamHyper,
  options: { sanitize?: boolean; after?: Value } = {},
): Record<'w_next' | 'm_next' | 'v_next' | 'ema_next', Value> {
  const size = flatGrad.size;
  const stepSize = g.input('step_size', []);
  const scalars = {
    stepSize: options.after ? runsAfter(stepSize, options.after) : stepSize,
    bias2Sqrt: g.input('bias2_sqrt', []),
    emaBeta: g.input('ema_beta', []),
  };
  const [w, m, v, ema] = (['w', 'm', 'v', 'ema'] as const).map((kind) => g.input(`${kind}_flat`, [size]));
  const next = adamEmaUpdate(w, options.sanitize ? sanitizeGradient(flatGrad) : flatGrad, m, v, ema, scalars, h);
  return { w_next: next.w, m_next: next.m, v_next: next.v, ema_next: next.ema };
}

/** `x` unchanged, but computed after `token` (ONNX has no control edges, so a data edge stands in). */
function runsAfter(x: Value, token: Value): Value {
  return where(isNaN(token), x, x);
}
