// Speed of a LEGO stack's sampling, as this project reports it everywhere: the median wall time of forward
// passes after one warm-up, FLOPs counted from the compiled graphs (a multiply-add is 2), and the time a
// brick skipping schedule saves against the skipped bricks' own measured time.
import type { LegoConfig } from '../lego/config.js';
import type { LegoRunner } from '../lego/runner.js';
import { Rng } from '../random.js';
import { median, timeRuns } from '../timing.js';
import { generate } from './generate.js';
import { guidedDenoise } from './guidance.js';
import type { SkipSchedule } from './skip.js';

/** The inputs every benchmark of a stack runs on; `rng` continues the stream `x` was drawn from. */
export interface BenchInputs {
  /** Standard normals (N, C, H, W) at the training resolution. */
  x: Float32Array;
  shape: [number, number, number, number];
  /** One-hot class 0 per image (N, labelDim), or null for an unconditional stack. */
  labels: Float32Array | null;
  rng: Rng;
}

/** Seeded inputs for a batch of `batch` images: the same on every call. */
export function benchInputs(cfg: LegoConfig, batch: number): BenchInputs {
  const rng = new Rng(0);
  const r = cfg.imgResolution;
  const x = rng.fillNormal(new Float32Array(batch * cfg.imgChannels * r * r));
  const labels = cfg.labelDim > 0 ? new Float32Array(batch * cfg.labelDim).map((_, i) => (i % cfg.labelDim === 0 ? 1 : 0)) : null;
  return { x, shape: [batch, cfg.imgChannels, r, r], labels, rng };
}

// ---------------------------------------------------------------------------------------------------------
// Forward passes

/** One brick's share of a forward, per call. */
export interface BrickBench {
  brick: number;
  tile: number;
  depth: number;
  ms: number;
  gflop: number;
  /** GFLOP/s. */
  gflops: number;
}

/** Forward timings, under the field names of `lego bench --json`. */
export interface ForwardBench {
  /** Median seconds per forward. */
  forward_s: number;
  forward_runs_s: number[];
  gflop_per_forward: number;
  /** GFLOP/s of the median forward. */
  gflops: number;
  bricks: BrickBench[];
}

export interface ForwardBenchOptions {
  batch: number;
  /** Timed runs after the warm-up. */
  repeat: number;
  /** Last brick run (default: all). */
  stopAfter?: number;
}

/** Time the denoiser of a fresh runner (its brick statistics must start at zero) at sigma 1. */
export async function benchForward(runner: LegoRunner, { batch, repeat, stopAfter }: ForwardBenchOptions): Promise<ForwardBench> {
  const cfg = runner.config;
  const last = stopAfter ?? cfg.bricks.length - 1;
  const { x, shape, labels } = benchInputs(cfg, batch);
  const sigma = new Array<number>(batch).fill(1);
  const runs = await timeRuns(repeat, () => guidedDenoise(runner, x, shape, sigma, { labels, stopAfter: last }));
  // The warm-up is counted too: per-call averages over every run so far.
  const bricks = runner.brickStats.slice(0, last + 1).map((s, k) => ({
    brick: k,
    tile: cfg.bricks[k].resolution,
    depth: cfg.bricks[k].depth,
    ms: s.ms / s.calls,
    gflop: s.flops / s.calls / 1e9,
    gflops: s.flops / s.ms / 1e6,
  }));
  const forwardS = median(runs);
  const gflop = bricks.reduce((a, b) => a + b.gflop, 0);
  return { forward_s: forwardS, forward_runs_s: runs, gflop_per_forward: gflop, gflops: gflop / forwardS, bricks };
}

// ---------------------------------------------------------------------------------------------------------
// Brick skipping

/** Sampling with and without a skipping schedule, under the field names of `lego bench --json`. */
export interface SkipBench {
  sample_steps: number;
  sample_full_s: number;
  sample_skip_s: number;
  /** Measured time per call of each brick times the calls skipped, summed. */
  skipped_bricks_s: number;
  /** sample_full_s - sample_skip_s. */
  saved_s: number;
  /** Fraction of the skipped bricks' time that skipping saved. */
  saved_fraction: number | null;
  stop_after_per_step: number[];
  bricks: { brick: number; ms_per_call: number; calls_full: number; calls_skip: number }[];
}

export interface SkipBenchOptions {
  /** Images per run (seeds 0..batch-1, one network batch). */
  batch: number;
  /** Sampler steps. */
  steps: number;
}

/**
 * Sampling with and without a skipping schedule on the same compiled graphs: the time actually saved
 * against the skipped brick's measured time per call times the calls skipped.
 */
export async function benchSkipping(runner: LegoRunner, skip: SkipSchedule, { batch, steps }: SkipBenchOptions): Promise<SkipBench> {
  const seeds = Array.from({ length: batch }, (_, i) => i);
  await generate(runner, { seeds, steps: 1, batch }); // warm-up: compile every brick at this batch
  const full = await generate(runner, { seeds, steps, batch });
  const skipped = await generate(runner, { seeds, steps, batch, skip });
  const perBrick = full.stats.bricks.map((b, k) => ({
    brick: k,
    ms_per_call: b.ms / b.calls,
    calls_full: b.calls,
    calls_skip: skipped.stats.bricks[k].calls,
  }));
  const expected = perBrick.reduce((t, b) => t + (b.calls_full - b.calls_skip) * b.ms_per_call, 0) / 1000;
  const actual = full.stats.seconds - skipped.stats.seconds;
  return {
    sample_steps: steps,
    sample_full_s: full.stats.seconds,
    sample_skip_s: skipped.stats.seconds,
    skipped_bricks_s: expected,
    saved_s: actual,
    saved_fraction: expected > 0 ? actual / expected : null,
    stop_after_per_step: skipped.stats.stopAfterPerStep,
    bricks: perBrick,
  };
}
