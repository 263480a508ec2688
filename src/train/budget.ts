// A wall-clock training budget (`lego train --minutes`): a short timed warm-up, then one conversion of the
// time left into a training length in images. Only the warm-up reads the clock: after the conversion the run
// depends on recorded options and images seen alone, so it resumes bit for bit on any machine.
import type { TrainOptions } from './options.js';
import { lrDecayFactor } from './schedule.js';

/** How long the warm-up lasts and what the conversion keeps back. */
export const BUDGET_RULES = {
  /** Timed steps at least, after the process's first step (which also pays for compilation)... */
  warmupSteps: 10,
  /** ...and seconds of stepping at least, whichever ends later... */
  warmupSeconds: 20,
  /** ...but never more than this fraction of the budget. */
  warmupMaxFraction: 0.1,
  /**
   * Time kept back for the final snapshot and state, the ticks, snapshots and states along the way, and a
   * machine slower than during the warm-up: this fraction of the time left after the warm-up, plus reserveSeconds.
   */
  reserveFraction: 0.05,
  reserveSeconds: 5,
  /**
   * A machine that slows down after the warm-up (other tenants; measured: a 12-minute run going 5% slower
   * than its warm-up) must not overrun the budget: the run stops at this many seconds before the end, like
   * a Ctrl-C, writing its snapshot and state, and a --resume finishes it.
   */
  finalWriteSeconds: 3,
} as const;

/**
 * Times the warm-up of a budget run on a clock in seconds that starts with the budget (0 at the start of
 * the process, so start-up counts). The first step is not timed: it includes compilation.
 */
export class BudgetWarmup {
  /** Warm-up steps taken by this process. */
  steps = 0;
  private stepsStartS: number | null = null;
  private timedStartS = 0;
  private timedImages = 0;

  constructor(readonly budgetS: number) {}

  /** Record one step of `images` images that started at `startS` and ended at `endS`. */
  step(startS: number, endS: number, images: number): void {
    this.steps++;
    if (this.stepsStartS === null) {
      this.stepsStartS = startS;
      this.timedStartS = endS;
      return;
    }
    this.timedImages += images;
  }

  /** Timed steps so far (the steps after the first). */
  get timedSteps(): number {
    return Math.max(0, this.steps - 1);
  }

  /** Whether the warm-up is over at `nowS`: it needs one timed step, then ends by BUDGET_RULES or at the deadline. */
  done(nowS: number): boolean {
    if (this.stepsStartS === null || this.timedSteps < 1) return false;
    const steppingS = nowS - this.stepsStartS;
    const enough = this.timedSteps >= BUDGET_RULES.warmupSteps && steppingS >= BUDGET_RULES.warmupSeconds;
    return enough || steppingS >= BUDGET_RULES.warmupMaxFraction * this.budgetS || nowS >= this.budgetS;
  }

  /** Seconds per image of the timed steps, up to `nowS` (drawing batches included). */
  secPerImage(nowS: number): number {
    if (this.timedImages === 0) throw new Error('internal: BudgetWarmup.secPerImage before a timed step');
    return (nowS - this.timedStartS) / this.timedImages;
  }
}

/** The training length a budget converts into, and when training is expected to end. */
export interface BudgetPlan {
  durationKimg: number;
  /** Steps left to train (0: the budget is spent, the run ends where it stands). */
  stepsLeft: number;
  /** Expected end of training on the budget's clock, in seconds (before the final writes). */
  endS: number;
}

/**
 * Convert the time left at `nowS` into a training length: the images that fit in it at `secPerImage`, less
 * the reserve (BUDGET_RULES), rounded down to whole steps of `batch`, after the `nimg` already trained.
 *
 * @example
 * budgetPlan({ budgetS: 3600, nowS: 60, nimg: 1024, batch: 512, secPerImage: 0.02 });
 * // 3540 s left, 182 s kept: 167900 images -> 327 steps; { durationKimg: 168.448, stepsLeft: 327, endS: 3408.48 }
 */
export function budgetPlan({ budgetS, nowS, nimg, batch, secPerImage }: {
  budgetS: number; nowS: number; nimg: number; batch: number; secPerImage: number;
}): BudgetPlan {
  const leftS = Math.max(0, budgetS - nowS);
  const reserveS = BUDGET_RULES.reserveFraction * leftS + BUDGET_RULES.reserveSeconds;
  const images = Math.floor((leftS - reserveS) / secPerImage);
  const stepsLeft = Math.max(0, Math.floor(images / batch));
  return { durationKimg: (nimg + stepsLeft * batch) / 1000, stepsLeft, endS: nowS + stepsLeft * batch * secPerImage };
}

/**
 * Warnings for a warm-up that did not train as the converted options would have (`before` and `after` the
 * conversion, `nimg` when it happened): an EMA half-life set by emaFraction that the ramp-up cap
 * nimg * emaRampup had passed, or a learning-rate decay that had already begun. A run given the converted
 * options as flags then no longer trains bit for bit like this one.
 */
export function warmupDeviations(before: TrainOptions, after: TrainOptions, nimg: number): string[] {
  const warnings: string[] = [];
  const { emaKimg, emaRampup, durationKimg, lrDecay } = after;
  if (before.emaKimg === null && emaKimg !== null && emaRampup !== null && nimg * emaRampup > emaKimg * 1000) {
    warnings.push(`warning: the EMA of the warm-up did not follow the final plan: its half-life (nimg * ema-rampup) reached ` +
      `${((nimg * emaRampup) / 1000).toFixed(3)} kimg, past the ${emaKimg.toFixed(3)} kimg set by --ema-fraction ${after.emaFraction}`);
  }
  const lastStepNimg = nimg - after.batch;
  if (durationKimg !== null && lrDecayFactor({ fraction: lrDecay, durationKimg }, lastStepNimg) < 1) {
    warnings.push(`warning: the learning rate of the warm-up did not follow the final plan: the --lr-decay ${lrDecay} decay ` +
      `starts at kimg ${((1 - lrDecay) * durationKimg).toFixed(3)}, inside the warm-up`);
  }
  return warnings;
}
