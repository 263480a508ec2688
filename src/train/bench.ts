// Speed of one training step (forward of every brick, loss, backward, Adam and EMA as one compiled graph):
// the median wall time after one warm-up and the FLOPs counted from the graphs, as `lego bench --train`
// reports them.
import { benchInputs } from '../diffusion/bench.js';
import { median, timeRuns } from '../timing.js';
import type { LegoConfig } from '../lego/config.js';
import type { Weights } from '../lego/model.js';
import { TrainStep, type StepBatch } from './step.js';

/** Training step timings, under the field names of `lego bench --json`. */
export interface TrainStepBench {
  /** Median seconds per optimiser step. */
  train_step_s: number;
  train_step_runs_s: number[];
  gflop_per_step: number;
  /** GFLOP/s of the median step. */
  train_gflops: number;
  /** Peak memory in MiB from compilation to the end of the last run; only with `memory`. */
  train_peak_rss_mb?: number;
}

/** A measurement of peak memory from its start until `stop()`, which resolves to the peak in MiB. */
export interface MemoryWindow {
  stop(): Promise<number>;
}

export interface TrainBenchOptions {
  batch: number;
  /** Timed steps after the warm-up. */
  repeat: number;
  threads?: number;
  /** Images per micro-batch inside the step's graph (default: TrainStep's). */
  microBatch?: number;
  /**
   * Starts a peak-memory measurement around compilation and the timed steps. Memory is a property of the
   * whole process, so the caller that owns the process supplies it (the CLI samples RSS from a worker thread).
   */
  memory?: () => MemoryWindow;
}

/** A fixed batch of random step inputs: images in (-1, 1), standard normal noise and ln(sigma) draws. */
export function benchTrainBatch(cfg: LegoConfig, batch: number): StepBatch {
  const { x, labels, rng } = benchInputs(cfg, batch);
  const images = x.map((v) => Math.tanh(v));
  const noise = rng.fillNormal(new Float32Array(x.length));
  const rndNormal = rng.fillNormal(new Float32Array(batch));
  return { images, noise, rndNormal, ...(labels ? { labels } : {}) };
}

/** Time `repeat` optimiser steps of a fresh training state starting from `weights`. */
export async function benchTrainStep(cfg: LegoConfig, weights: Weights, options: TrainBenchOptions): Promise<TrainStepBench> {
  const { batch, repeat, threads, microBatch } = options;
  const stepBatch = benchTrainBatch(cfg, batch);
  const window = options.memory?.();
  const step = await TrainStep.create(cfg, batch, { threads, microBatch });
  const state = step.createState({ weights });
  const runs = await timeRuns(repeat, () => step.run(state, stepBatch, 1e-4, 0.999));
  const peakMb = await window?.stop();
  await step.release();
  const stepS = median(runs);
  return {
    train_step_s: stepS,
    train_step_runs_s: runs,
    gflop_per_step: step.flops / 1e9,
    train_gflops: step.flops / 1e9 / stepS,
    ...(peakMb !== undefined ? { train_peak_rss_mb: peakMb } : {}),
  };
}
