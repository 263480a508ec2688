// The training loop, after EDM's training_loop.py and the authors' LEGO version: draw a batch, drop
// labels, draw noise levels, take one compiled step, and every tick report, snapshot and dump. Every
// random number comes from the run's seeded streams, whose positions the training state stores, so a
// resumed run continues bit for bit. A wall-clock budget sets the run's length once, after a timed warm-up.
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeCheckpoint } from '../io/checkpoint.js';
import { latentMetadata } from '../io/latent-checkpoint.js';
import { encodeTrainingState, type LoadedTrainingState, type Progress } from '../io/training-state.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import { initWeights } from '../lego/model.js';
import { Rng } from '../random.js';
import { BUDGET_RULES, BudgetWarmup, budgetPlan, warmupDeviations } from './budget.js';
import { DataOrder } from './data-order.js';
import { applyEmaFraction, type TrainOptions } from './options.js';
import { LOG_FILE, snapshotFile, STATS_FILE, trainingStateFile, writeRunOptions } from './run-dir.js';
import { emaBeta, learningRate } from './schedule.js';
import type { TrainState } from './state.js';
import { TrainStep, type StepBatch } from './step.js';

/** The images a run trains on, or the VAE latents (a latent model's). */
export interface TrainingImages {
  count: number;
  resolution: number;
  channels: number;
  /** Classes in the labels (0 when unlabelled). */
  labelDim: number;
  /** The samples are VAE latents: snapshots then record that the model is latent (default false). */
  latent?: boolean;
  /**
   * Sample i in CHW order: uint8 pixels, scaled to [-1, 1] here, or float32 latents, which go in unchanged
   * (as the authors train on latents scaled by the VAE's scaling_factor).
   */
  image(i: number): Uint8Array | Float32Array;
  /** Class of image i, or null when unlabelled. */
  label(i: number): number | null;
}

/** One progress report (also a line of stats.jsonl). */
export interface TickStats {
  tick: number;
  kimg: number;
  loss: number;
  lr: number;
  sec_per_tick: number;
  sec_per_kimg: number;
  sec_per_step: number;
  gflops: number;
  peak_rss_mb: number;
  total_s: number;
}

export interface TrainHooks {
  /** After every optimiser step (progress bars). */
  onStep?: (info: { nimg: number; loss: number; secPerKimg: number }) => void;
  onTick?: (stats: TickStats) => void;
  /** When a wall-clock budget has been converted into the training length (recorded in training_options.json), at nimg. */
  onDuration?: (durationKimg: number, nimg: number) => void;
  /** A log line (also appended to log.txt). */
  log?: (line: string) => void;
  /** Set to stop after the current step (SIGINT/SIGTERM): a state is written first. */
  stopRequested?: () => boolean;
}

/** How the run starts: fresh, resumed from a state, or with transferred weights. */
export interface TrainStart {
  resume?: LoadedTrainingState;
  transferWeights?: Map<string, Float32Array>;
  /** performance.now() at which a `minutes` budget starts (default 0: the start of the process, so start-up counts). */
  budgetStartMs?: number;
}

/**
 * Train into `runDir` (already created, with training_options.json). Resolves when done or stopped. With
 * `minutes` and no durationKimg yet, the run trains without an end until its warm-up is timed, then sets
 * durationKimg (and an emaFraction's emaKimg) in training_options.json.
 */
export async function train(startOptions: TrainOptions, data: TrainingImages, runDir: string, start: TrainStart = {}, hooks: TrainHooks = {}) {
  // Replaced once, when a budget is converted: everything after depends on these options and nimg only.
  let options = startOptions;
  if (options.durationKimg === null && options.minutes === null) throw new Error('internal: train: neither durationKimg nor a minutes budget');
  if (options.emaKimg === null && options.emaRampup === null) throw new Error('internal: train: an EMA without half-life or ramp-up');
  const cfg = options.config;
  const log = async (line: string) => {
    hooks.log?.(line);
    await appendFile(join(runDir, LOG_FILE), `${line}\n`);
  };
  const rounds = options.batch / options.batchGpu;
  const step = await TrainStep.create(cfg, options.batchGpu, {
    threads: options.threads ?? undefined,
    rounds,
    microBatch: options.microBatch,
    pMean: options.pMean,
    pStd: options.pStd,
  });
  const resume = start.resume;
  const state: TrainState = step.createState(
    resume
      ? { weights: resume.weights, ema: resume.ema, adamM: resume.adamM, adamV: resume.adamV, step: resume.adamStep }
      : { weights: start.transferWeights ?? initWeights(cfg, options.seed) },
  );
  const progress: Progress = resume?.progress ?? { nimg: 0, tick: 0, rng: [], dataOrder: { epoch: 0, position: 0 } };
  const rng = new Rng(options.seed, 1);
  if (progress.rng.length) rng.setState(progress.rng.map((v) => (v === null ? NaN : v)));
  const order = new DataOrder(data.count, options.seed, progress.dataOrder);
  let { nimg, tick } = progress;
  let totalImages = options.durationKimg === null ? Infinity : Math.round(options.durationKimg * 1000);
  const clockS = () => (performance.now() - (start.budgetStartMs ?? 0)) / 1000;
  let warmup = options.durationKimg === null && options.minutes !== null ? new BudgetWarmup(options.minutes * 60) : null;
  const snapshot = () => ({ nimg, tick, rng: rng.getState().map((v) => (Number.isNaN(v) ? null : v)), dataOrder: order.getState() });

  await log(`training ${options.arch} (${cfg.bricks.length} brick${cfg.bricks.length === 1 ? '' : 's'}) on ${data.count} ${data.latent ? 'latents' : 'images'} of ${data.resolution}x${data.resolution}x${data.channels}` +
    `${options.cond ? `, ${cfg.labelDim} classes` : ''}; batch ${options.batch}${rounds > 1 ? ` in ${rounds} rounds` : ''}; ` +
    `${(step.flops / 1e9).toFixed(1)} GFLOP per step; from kimg ${(nimg / 1000).toFixed(3)} to ` +
    `${options.durationKimg ?? `the end of a ${options.minutes} min budget`}`);

  const pixels = cfg.imgChannels * cfg.imgResolution ** 2;
  const drawBatch = (): StepBatch => {
    const b = options.batchGpu;
    const images = new Float32Array(b * pixels);
    const labels = options.cond ? new Float32Array(b * cfg.labelDim) : undefined;
    order.next(b).forEach((index, i) => {
      const img = data.image(index);
      const flip = options.xflip && rng.uniform() < 0.5;
      writeImage(images.subarray(i * pixels, (i + 1) * pixels), img, cfg.imgChannels, cfg.imgResolution, flip);
      if (labels) {
        const label = data.label(index);
        // Label dropout: the zero vector is the null label of classifier-free guidance.
        if (label !== null && rng.uniform() >= options.labelDropout) labels[i * cfg.labelDim + label] = 1;
      }
    });
    const rndNormal = rng.fillNormal(new Float32Array(b));
    const noise = rng.fillNormal(new Float32Array(b * pixels));
    return { images, rndNormal, noise, labels };
  };

  const writeSnapshot = async () => {
    const latent = data.latent ? latentMetadata(null) : {};
    await writeFileAtomic(snapshotFile(runDir, nimg), encodeCheckpoint(cfg, state.emaNetwork(), { kimg: (nimg / 1000).toFixed(3), nimg: String(nimg), source: 'ema', ...latent }));
  };
  const writeState = async () => {
    await writeFileAtomic(trainingStateFile(runDir, nimg), encodeTrainingState(cfg, state, snapshot(), { training_options: JSON.stringify({ ...options, config: undefined }) }));
  };

  // The budget, once: the time left at the images per second of the warm-up, recorded before it is logged.
  const convertBudget = async (budget: BudgetWarmup, nowS: number) => {
    const secPerImage = budget.secPerImage(nowS);
    const plan = budgetPlan({ budgetS: budget.budgetS, nowS, nimg, batch: options.batch, secPerImage });
    const before = options;
    options = applyEmaFraction({ ...options, durationKimg: plan.durationKimg });
    await writeRunOptions(runDir, options);
    totalImages = Math.round(plan.durationKimg * 1000);
    hooks.onDuration?.(plan.durationKimg, nimg);
    const warmed = `budget ${options.minutes} min: ${budget.timedSteps} warm-up steps at ${(secPerImage * 1000).toPrecision(3)} s/kimg; `;
    if (plan.stepsLeft === 0) {
      await log(`${warmed}no time left after them, at ${nowS.toFixed(1)} s of ${budget.budgetS} s; duration set to ${plan.durationKimg.toFixed(3)} kimg, where the run stands`);
      return;
    }
    deadlineS = budget.budgetS - BUDGET_RULES.finalWriteSeconds;
    await log(`${warmed}duration set to ${plan.durationKimg.toFixed(3)} kimg (ends at about ${(plan.endS / 60).toFixed(1)} min)`);
    for (const warning of warmupDeviations(before, options, nimg)) await log(warning);
  };

  // Set at a budget's conversion: the run stops there if its steps have not ended by then.
  let deadlineS = Infinity;
  const runStart = performance.now();
  let tickStart = performance.now();
  let tickStartNimg = nimg;
  let tickLoss = 0;
  let tickSteps = 0;
  let stopped = false;
  while (nimg < totalImages) {
    const stepStartS = clockS();
    const batches = Array.from({ length: rounds }, drawBatch);
    // Before a budget's conversion neither term depends on the unknown length: no decay yet, and the
    // ramp-up caps the EMA half-life (which warmupDeviations checks at the conversion).
    const lr = learningRate(options.lr, options.lrRampupKimg, nimg, { fraction: options.lrDecay, durationKimg: options.durationKimg ?? Infinity });
    const beta = emaBeta(options.emaKimg ?? Infinity, options.emaRampup, nimg, options.batch);
    const loss = await step.run(state, batches, lr, beta);
    nimg += options.batch;
    if (warmup) {
      const nowS = clockS();
      warmup.step(stepStartS, nowS, options.batch);
      if (warmup.done(nowS)) {
        await convertBudget(warmup, nowS);
        warmup = null;
      }
    }
    tickLoss += loss;
    tickSteps++;
    const elapsed = (performance.now() - tickStart) / 1000;
    hooks.onStep?.({ nimg, loss, secPerKimg: elapsed / ((nimg - tickStartNimg) / 1000) });
    stopped = hooks.stopRequested?.() ?? false;
    const done = nimg >= totalImages;
    if (!done && !stopped && clockS() >= deadlineS) {
      stopped = true;
      await log(`the ${options.minutes} min budget ran out at kimg ${(nimg / 1000).toFixed(3)} of ${options.durationKimg} (the machine ran slower than in its warm-up)`);
    }
    if (!done && !stopped && nimg < tickStartNimg + options.tickKimg * 1000) continue;

    tick++;
    const seconds = (performance.now() - tickStart) / 1000;
    const stats: TickStats = {
      tick,
      kimg: nimg / 1000,
      loss: tickLoss / tickSteps / pixels,
      lr,
      sec_per_tick: seconds,
      sec_per_kimg: seconds / ((nimg - tickStartNimg) / 1000),
      sec_per_step: seconds / tickSteps,
      gflops: (step.flops * tickSteps) / 1e9 / seconds,
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
      total_s: (performance.now() - runStart) / 1000,
    };
    await appendFile(join(runDir, STATS_FILE), `${JSON.stringify(stats)}\n`);
    hooks.onTick?.(stats);
    await log(`tick ${tick} kimg ${stats.kimg.toFixed(3)} loss ${stats.loss.toFixed(4)} sec/kimg ${stats.sec_per_kimg.toFixed(2)} ` +
      `sec/step ${stats.sec_per_step.toFixed(3)} GFLOP/s ${stats.gflops.toFixed(0)} peak ${stats.peak_rss_mb.toFixed(0)} MB`);
    if (done || stopped || tick % options.snapTicks === 0) await writeSnapshot();
    if (done || stopped || tick % options.dumpTicks === 0) await writeState();
    if (stopped) {
      await log(`stopped at kimg ${(nimg / 1000).toFixed(3)}; continue with --resume ${runDir}`);
      break;
    }
    tickStart = performance.now();
    tickStartNimg = nimg;
    tickLoss = 0;
    tickSteps = 0;
  }
  if (!stopped) await log(`done: ${(nimg / 1000).toFixed(3)} kimg in ${((performance.now() - runStart) / 1000).toFixed(1)} s`);
  await step.release();
  return { nimg, stopped };
}

/**
 * uint8 CHW (1 or 3 channels) -> [-1, 1] floats, converting gray/RGB as the model needs, or float32 latents
 * as they are; optionally mirrored.
 */
function writeImage(out: Float32Array, img: Uint8Array | Float32Array, channels: number, res: number, flip: boolean): void {
  const plane = res * res;
  if (img instanceof Float32Array) {
    for (let row = 0; row < channels * res; row++) {
      for (let x = 0; x < res; x++) out[row * res + x] = img[row * res + (flip ? res - 1 - x : x)];
    }
    return;
  }
  const srcChannels = img.length / plane;
  for (let c = 0; c < channels; c++) {
    const src = (srcChannels === 1 ? 0 : c) * plane;
    for (let y = 0; y < res; y++) {
      for (let x = 0; x < res; x++) {
        out[c * plane + y * res + x] = img[src + y * res + (flip ? res - 1 - x : x)] / 127.5 - 1;
      }
    }
  }
}
