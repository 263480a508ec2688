// The EDM loss as LEGO trains with it (LEGO-SPEC "Loss and training loop"): ln(sigma) ~ N(P_mean, P_std),
// weight (s^2+sd^2)/(s sd)^2, every brick's denoised output supervised, mean over bricks.
import { add, cast, div, exp, mul, reduceSum, reshape, square, sub, type Value } from '../graph/ops.js';
import type { Params } from '../nn/params.js';
import type { LegoConfig } from '../lego/config.js';
import { legoForward } from '../lego/stack.js';

export interface LossInputs {
  /** Clean images in [-1, 1], (B, C, H, W). */
  images: Value;
  /** Standard normals (B, 1, 1, 1) that pick each image's noise level. */
  rndNormal: Value;
  /** Standard normal noise (B, C, H, W), scaled by sigma here. */
  noise: Value;
  /** One-hot labels after dropout (B, labelDim), or null. */
  labels: Value | null;
}

/** EDM's noise level distribution for training: ln(sigma) ~ N(pMean, pStd). */
export const LOSS_DEFAULTS = { pMean: -1.2, pStd: 1.2 } as const;

export interface LossOptions {
  /** Mean of ln(sigma) (default `LOSS_DEFAULTS.pMean`). */
  pMean?: number;
  /** Standard deviation of ln(sigma) (default `LOSS_DEFAULTS.pStd`). */
  pStd?: number;
}

/** Per-pixel loss (B, C, H, W) and the scalar loss sum(per-pixel)/B. */
export function legoLoss(p: Params, cfg: LegoConfig, inputs: LossInputs, options: LossOptions = {}) {
  const { pMean = LOSS_DEFAULTS.pMean, pStd = LOSS_DEFAULTS.pStd } = options;
  const { images, rndNormal, noise, labels } = inputs;
  const [b] = images.shape;
  const sd = cfg.sigmaData;
  const sigma = exp(add(mul(rndNormal, pStd), pMean)); // (B, 1, 1, 1)
  const weight = div(add(square(sigma), sd * sd), square(mul(sigma, sd)));
  const noisy = add(images, mul(noise, sigma));
  const { D } = legoForward(p, cfg, { x: noisy, sigma: reshape(sigma, [b]), labels });
  let total: Value | null = null;
  for (const dk of D) {
    const term = mul(weight, square(sub(dk, images)));
    total = total ? add(total, term) : term;
  }
  if (!total) throw new Error('internal: legoLoss: no bricks');
  const lossPerPixel = div(total, D.length);
  // Sum in float64: a float32 sum of many pixels is off by ulps of a large total.
  const loss = cast(div(reduceSum(cast(lossPerPixel, 'float64'), [0, 1, 2, 3]), b), 'float32');
  return { lossPerPixel, loss, sigma };
}
