// The warm-up of a wall-clock budget and its conversion into a training length.
import { describe, expect, it } from 'vitest';
import type { LegoConfig } from '../lego/config.js';
import { BUDGET_RULES, BudgetWarmup, budgetPlan, warmupDeviations } from './budget.js';
import { TRAIN_DEFAULTS, type TrainOptions } from './options.js';

describe('BudgetWarmup', () => {
  /** A warm-up of `steps` steps of `stepS` seconds each, the first one `firstS` long, starting at `startS`. */
  function warmupOf(budgetS: number, steps: number, { startS = 2, firstS = 5, stepS = 1 } = {}): { warmup: BudgetWarmup; nowS: number } {
    const warmup = new BudgetWarmup(budgetS);
    let nowS = startS;
    for (let i = 0; i < steps; i++) {
      const endS = nowS + (i === 0 ? firstS : stepS);
      warmup.step(nowS, endS, 8);
      nowS = endS;
    }
    return { warmup, nowS };
  }

  it('lasts at least 10 timed steps and 20 s of stepping, whichever is later', () => {
    expect(warmupOf(3600, 11, { stepS: 0.1 }).warmup.done(2 + 5 + 1)).toBe(false); // 10 timed steps, 6 s
    expect(warmupOf(3600, 11, { stepS: 0.1 }).warmup.done(22)).toBe(true); // and 20 s
    const slow = warmupOf(3600, 10, { stepS: 3 });
    expect(slow.nowS - 2).toBeGreaterThan(20);
    expect(slow.warmup.done(slow.nowS)).toBe(false); // 9 timed steps
    const done = warmupOf(3600, 11, { stepS: 3 });
    expect(done.warmup.done(done.nowS)).toBe(true);
    expect(done.warmup.timedSteps).toBe(10);
  });

  it('never lasts more than 10% of the budget, but times one step after the first', () => {
    const short = warmupOf(60, 3, { stepS: 1 }); // 7 s of stepping, 10% is 6 s
    expect(short.warmup.done(short.nowS)).toBe(true);
    expect(warmupOf(60, 2, { stepS: 0.1 }).warmup.done(7.9)).toBe(false);
    expect(warmupOf(60, 2, { stepS: 0.1 }).warmup.done(8)).toBe(true);
    const onlyFirst = warmupOf(10, 1, { firstS: 30 });
    expect(onlyFirst.warmup.done(onlyFirst.nowS)).toBe(false); // past the budget, yet nothing timed
    expect(new BudgetWarmup(10).done(100)).toBe(false);
  });

  it('ends at the deadline of a budget that start-up has spent', () => {
    const late = warmupOf(30, 2, { startS: 29.5, firstS: 0.3, stepS: 0.3 });
    expect(late.warmup.done(late.nowS)).toBe(true);
  });

  it('times the steps after the first, with what happens between them', () => {
    const warmup = new BudgetWarmup(3600);
    warmup.step(2, 12, 8); // compiles
    warmup.step(12, 13, 8);
    warmup.step(13.5, 14, 8); // 0.5 s drawing the batch before it
    expect(warmup.secPerImage(14)).toBe(2 / 16);
    expect(() => new BudgetWarmup(60).secPerImage(1)).toThrow('internal:');
  });
});

describe('budgetPlan', () => {
  it('fills the time left less the reserve with whole steps after the images trained', () => {
    const plan = budgetPlan({ budgetS: 3600, nowS: 60, nimg: 1024, batch: 512, secPerImage: 0.02 });
    const reserveS = BUDGET_RULES.reserveFraction * 3540 + BUDGET_RULES.reserveSeconds;
    expect(reserveS).toBeCloseTo(182, 10);
    expect(plan.stepsLeft).toBe(Math.floor((3540 - reserveS) / 0.02 / 512));
    expect(plan).toEqual({ durationKimg: 168.448, stepsLeft: 327, endS: 60 + 327 * 512 * 0.02 });
    expect((plan.durationKimg * 1000) % 512).toBe(0);
  });

  it('a spent budget ends the run where it stands', () => {
    expect(budgetPlan({ budgetS: 30, nowS: 26, nimg: 96, batch: 8, secPerImage: 0.001 })).toEqual({ durationKimg: 0.096, stepsLeft: 0, endS: 26 });
    expect(budgetPlan({ budgetS: 30, nowS: 45, nimg: 96, batch: 8, secPerImage: 0.001 }).durationKimg).toBe(0.096);
  });
});

describe('warmupDeviations', () => {
  const config: LegoConfig = {
    imgResolution: 8, imgChannels: 1, labelDim: 0, hiddenSize: 16, mlpRatio: 4, sigmaData: 0.5,
    bricks: [{ resolution: 8, patchSize: 4, heads: 2, depth: 1 }],
  };
  const before: TrainOptions = {
    data: 'mnist.zip', outdir: 'runs', arch: 'tiny.json', config, cond: false, batch: 8, batchGpu: 8, microBatch: 8,
    lr: 1e-3, lrRampupKimg: 0.05, lrDecay: 0.2, emaKimg: null, emaRampup: 0.05, emaFraction: 0.05, durationKimg: null, minutes: 0.5,
    xflip: false, seed: 0, tickKimg: 50, snapTicks: 50, dumpTicks: 500, labelDropout: TRAIN_DEFAULTS.labelDropout, resume: null,
    transfer: null, threads: null, pMean: TRAIN_DEFAULTS.pMean, pStd: TRAIN_DEFAULTS.pStd,
  };

  it('none when the warm-up trained as the converted options would have', () => {
    // 800 images: ramp-up cap 40 images, half-life 0.05 * 10 kimg = 500 images; the decay starts at 8000.
    expect(warmupDeviations(before, { ...before, durationKimg: 10, emaKimg: 0.5 }, 800)).toEqual([]);
  });

  it('names an EMA half-life passed by the ramp-up cap, and a decay begun inside the warm-up', () => {
    const after = { ...before, durationKimg: 0.5, emaKimg: 0.025 };
    const warnings = warmupDeviations(before, after, 800);
    expect(warnings).toEqual([
      'warning: the EMA of the warm-up did not follow the final plan: its half-life (nimg * ema-rampup) reached 0.040 kimg, past the 0.025 kimg set by --ema-fraction 0.05',
      'warning: the learning rate of the warm-up did not follow the final plan: the --lr-decay 0.2 decay starts at kimg 0.400, inside the warm-up',
    ]);
    // A half-life given with --ema was known during the warm-up.
    expect(warmupDeviations({ ...before, emaKimg: 0.025, emaFraction: null }, after, 800)).toHaveLength(1);
  });
});
