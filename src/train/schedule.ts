// The authors' learning-rate ramp-up, a linear decay at the end of a run, and EDM's EMA schedule (LEGO-SPEC
// "Loss and training loop"). Every value depends on images seen (nimg), never on time, so that a resumed run
// continues bit for bit on any machine.

/** A decay of the learning rate to 0 over the last `fraction` of a run of `durationKimg`. */
export interface LrDecay {
  fraction: number;
  /** The run's length; Infinity while not known yet (a budget before its conversion): no decay. */
  durationKimg: number;
}

/**
 * lr_t = lr * min(nimg / (rampup_kimg * 1000), 1) * decay, nimg counting images seen before the step; decay
 * as lrDecayFactor (1 without `decay`, which is the authors' schedule exactly).
 */
export function learningRate(lr: number, rampupKimg: number, nimg: number, decay?: LrDecay): number {
  const rampedUp = rampupKimg > 0 ? lr * Math.min(nimg / (rampupKimg * 1000), 1) : lr;
  return decay === undefined ? rampedUp : rampedUp * lrDecayFactor(decay, nimg);
}

/**
 * min(1, (total - nimg) / (fraction * total)) for total = durationKimg * 1000: 1 until the last `fraction`
 * of the run, then falling linearly to 0 at its end. Exactly 1 when fraction is 0 or the duration is not
 * known (Infinity) or empty.
 */
export function lrDecayFactor({ fraction, durationKimg }: LrDecay, nimg: number): number {
  const total = durationKimg * 1000;
  if (fraction === 0 || !Number.isFinite(total) || total <= 0) return 1;
  return Math.max(0, Math.min(1, (total - nimg) / (fraction * total)));
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
