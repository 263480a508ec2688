// The authors' learning-rate ramp-up and EDM's EMA schedule (LEGO-SPEC "Loss and training loop").

/** lr_t = lr * min(nimg / (rampup_kimg * 1000), 1), nimg counting images seen before the step. */
export function learningRate(lr: number, rampupKimg: number, nimg: number): number {
  return rampupKimg > 0 ? lr * Math.min(nimg / (rampupKimg * 1000), 1) : lr;
}

/**
 * EMA decay for one step of `batch` images: halflife = ema_kimg * 1000, capped by nimg * rampup when a
 * ramp-up is given; beta = 0.5^(batch / max(halflife, 1e-8)). nimg excludes this step's batch.
 */
export function emaBeta(emaKimg: number, emaRampup: number | null, nimg: number, batch: number): number {
  let halflife = emaKimg * 1000;
  if (emaRampup !== null) halflife = Math.min(halflife, nimg * emaRampup);
  return 0.5 ** (batch / Math.max(halflife, 1e-8));
}
