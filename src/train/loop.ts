// The training loop, after EDM's training_loop.py and the authors' LEGO version: draw a batch, drop
// labels, draw noise levels, take one compiled step, and every tick report, snapshot and dump. Every
// random number comes from the run's seeded streams, whose positions the training state stores, so a
// resumed run continues bit for bit.
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeCheckpoint } from '../io/checkpoint.js';
import { latentMetadata } from '../io/latent-checkpoint.js';
import { encodeTrainingState, type LoadedTrainingState, type Progress } from '../io/training-state.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import { initWeights } from '../lego/model.js';
import { Rng } from '../random.js';
import { DataOrder } from './data-order.js';
import type { TrainOptions } from './options.js';
import { LOG_FILE, snapshotFile, STATS_FILE, trainingStateFile } from './run-dir.js';
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
  /** A log line (also appended to log.txt). */
  log?: (line: string) => void;
  /** Set to stop after the current step (SIGINT/SIGTERM): a state is written first. */
  stopRequested?: () => boolean;
}

/** How the run starts: fresh, resumed from a state, or with transferred weights. */
export interface TrainStart {
  resume?: LoadedTrainingState;
  transferWeights?: Map<string, Float32Array>;
}

/** Train into `runDir` (already created, with training_options.json). Resolves when done or stopped. */
export async function train(options: TrainOptions, data: TrainingImages, runDir: string, start: TrainStart = {}, hooks: TrainHooks = {}) {
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
  const totalImages = Math.round(options.durationKimg * 1000);
  const snapshot = () => ({ nimg, tick, rng: rng.getState().map((v) => (Number.isNaN(v) ? null : v)), dataOrder: order.getState() });

  await log(`training ${options.arch} (${cfg.bricks.length} bricks) on ${data.count} ${data.latent ? 'latents' : 'images'} of ${data.resolution}x${data.resolution}x${data.channels}` +
    `${options.cond ? `, ${cfg.labelDim} classes` : ''}; batch ${options.batch}${rounds > 1 ? ` in ${rounds} rounds` : ''}; ` +
    `${(step.flops / 1e9).toFixed(1)} GFLOP per step; from kimg ${(nimg / 1000).toFixed(3)} to ${options.durationKimg}`);

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

  const runStart = performance.now();
  let tickStart = performance.now();
  let tickStartNimg = nimg;
  let tickLoss = 0;
  let tickSteps = 0;
  let stopped = false;
  while (nimg < totalImages) {
    const batches = Array.from({ length: rounds }, drawBatch);
    const lr = learningRate(options.lr, options.lrRampupKimg, nimg);
    const beta = emaBeta(options.emaKimg, options.emaRampup, nimg, options.batch);
    const loss = await step.run(state, batches, lr, beta);
    nimg += options.batch;
    tickLoss += loss;
    tickSteps++;
    const elapsed = (performance.now() - tickStart) / 1000;
    hooks.onStep?.({ nimg, loss, secPerKimg: elapsed / ((nimg - tickStartNimg) / 1000) });
    stopped = hooks.stopRequested?.() ?? false;
    const done = nimg >= totalImages;
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
