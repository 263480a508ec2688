// `lego bench`: median time per forward (and per training step), FLOPs counted from the graphs,
// achieved GFLOP/s and peak memory. The way speed is reported everywhere in this project.
import { Command } from 'commander';
import { benchForward, benchSkipping, type SkipBench } from '../../diffusion/bench.js';
import { parseSkip, skipProblem, SKIP_SYNTAX, type SkipSchedule } from '../../diffusion/skip.js';
import { UsageError } from '../../errors.js';
import type { LegoConfig } from '../../lego/config.js';
import { defaultMicroBatch } from '../../lego/micro-batch.js';
import { initWeights } from '../../lego/model.js';
import { LegoRunner } from '../../lego/runner.js';
import { benchTrainStep, type TrainStepBench } from '../../train/bench.js';
import type { Precision } from '../../nn/linear.js';
import { parseIntFlag, parseMicroBatch, parsePrecision, parseThreads, precisionHelp, resolveArch, threadsHelp } from '../args.js';
import { sampleRss } from '../rss-sampler.js';
import { benchVae, formatVaeBench } from '../../vae/bench.js';
import { SD_VAE_CONFIG } from '../../vae/config.js';

interface BenchFlags {
  arch?: string;
  vae?: string;
  resolution?: string;
  batch: string;
  train?: boolean;
  microBatch?: string;
  stopAfter?: string;
  repeat: string;
  threads?: string;
  channels: string;
  skip?: string;
  sampleSteps: string;
  precision: string;
  json?: boolean;
}

interface BenchOptions {
  cfg: LegoConfig;
  batch: number;
  repeat: number;
  threads?: number;
  microBatch: number;
  stopAfter: number;
  /** How the forward's block Linears multiply (the training step is float32 whatever this says). */
  precision: Precision;
  /** --skip and --sample-steps, when --skip is given. */
  skipping: { schedule: SkipSchedule; steps: number } | null;
}

/** Flags to validated options (UsageError naming the flag). */
function parseBenchFlags(f: BenchFlags): BenchOptions {
  if (f.arch === undefined) throw new UsageError('--arch is required (or --vae sd)');
  const batch = parseIntFlag('--batch', f.batch, { min: 1 });
  const repeat = parseIntFlag('--repeat', f.repeat, { min: 1, max: 1000 });
  const threads = parseThreads(f.threads);
  const cfg = resolveArch(f.arch, {
    imgChannels: parseIntFlag('--channels', f.channels, { min: 1, max: 16 }),
    ...(f.resolution ? { imgResolution: parseIntFlag('--resolution', f.resolution, { min: 1 }) } : {}),
  });
  const microBatch = parseMicroBatch(f.microBatch, batch, `--batch ${batch}`) ?? defaultMicroBatch(cfg, batch);
  const stopAfter = f.stopAfter === undefined ? cfg.bricks.length - 1
    : parseIntFlag('--stop-after', f.stopAfter, { min: 0, max: cfg.bricks.length - 1 });
  const skipping = f.skip === undefined ? null : parseSkipping(f.skip, f.sampleSteps, cfg);
  return { cfg, batch, repeat, threads, microBatch, stopAfter, precision: parsePrecision(f.precision), skipping };
}

function parseSkipping(skip: string, sampleSteps: string, cfg: LegoConfig): { schedule: SkipSchedule; steps: number } {
  let schedule: SkipSchedule;
  try {
    schedule = parseSkip(skip);
  } catch (e) {
    throw new UsageError(`--skip: ${(e as Error).message}`);
  }
  const problem = skipProblem(schedule, cfg.bricks.length);
  if (problem) throw new UsageError(`--skip: ${problem}`);
  return { schedule, steps: parseIntFlag('--sample-steps', sampleSteps, { min: 1, max: 1000 }) };
}

/** The process's lifetime peak resident memory, in MiB. */
const peakRssMb = () => process.resourceUsage().maxRSS / 1024;

export function benchCommand(): Command {
  return new Command('bench')
    .description('Time forward passes and training steps of a LEGO stack; report FLOPs, GFLOP/s and memory')
    .option('--arch <name|file.json>', 'official preset (lego_S_PG_64, ...) or a custom stack config JSON')
    .option('--vae <name>', 'time the VAE instead: sd (Stable Diffusion\'s, random weights), one image at --resolution (default 256)')
    .option('--resolution <px>', 'image resolution (default: the preset\'s)')
    .option('--batch <n>', 'images per batch', '8')
    .option('--channels <n>', 'image channels (presets only)', '3')
    .option('--train', 'also time a training step (forward of all bricks, loss, backward, Adam, EMA)')
    .option('--micro-batch <n>', 'images per graph run in pieces (forward and training step; default: the batch, halved while its largest activation exceeds 32 MiB)')
    .option('--stop-after <k>', 'time forwards that stop after brick k (0-based; brick skipping)')
    .option('--skip <schedule>', `also time sampling with this brick skipping schedule against none (${SKIP_SYNTAX})`)
    .option('--sample-steps <n>', 'sampler steps for --skip', '4')
    .option('--repeat <n>', 'timed runs after one warm-up; the median is reported', '3')
    .option('--threads <n>', threadsHelp)
    .option('--precision <p>', `forward and sampling: ${precisionHelp} (training steps are float32)`, 'float32')
    .option('--json', 'print one JSON object on stdout')
    .addHelpText('after', `
FLOPs are counted from the compiled graphs (a multiply-add is 2, an 8-bit one too); GFLOP/s = FLOPs / median time.

Examples:
  lego bench --arch lego_S_PG_64 --resolution 64 --batch 8
  lego bench --arch lego_S_PG_64 --resolution 64 --batch 8 --train --json
  lego bench --arch my-stack.json --batch 16 --stop-after 1
  lego bench --arch lego_S_PG_64 --batch 8 --skip top:0.5 --sample-steps 4
  lego bench --arch lego_S_PG_64 --resolution 64 --batch 8 --precision int8 --json
  lego bench --vae sd --resolution 256 --json`)
    .action(async (flags: BenchFlags) => {
      if (flags.vae !== undefined) {
        if (flags.vae !== 'sd') throw new UsageError(`--vae: expected sd (the Stable Diffusion VAE), got "${flags.vae}"`);
        const resolution = parseIntFlag('--resolution', flags.resolution ?? '256', { min: 8 });
        if (resolution % 8 !== 0) throw new UsageError(`--resolution: the VAE needs a multiple of 8, got ${resolution}`);
        const result = await benchVae(SD_VAE_CONFIG, { resolution, repeat: parseIntFlag('--repeat', flags.repeat, { min: 1, max: 1000 }), threads: parseThreads(flags.threads) });
        console.log(flags.json ? JSON.stringify({ vae: flags.vae, ...result }) : formatVaeBench(result));
        return;
      }
      const { cfg, batch, repeat, threads, microBatch, stopAfter, precision, skipping: skipOptions } = parseBenchFlags(flags);
      const log = (msg: string) => { if (!flags.json) process.stderr.write(`${msg}\n`); };
      const weights = initWeights(cfg, 0);
      const r = cfg.imgResolution;
      log(`forward: ${flags.arch} at ${r}x${r}, batch ${batch}, bricks 0..${stopAfter}, ${precision}`);
      const runner = new LegoRunner(cfg, weights, { threads, microBatch, precision });
      const forward = await benchForward(runner, { batch, repeat, stopAfter });
      let skipping: SkipBench | undefined;
      if (skipOptions) {
        log(`sampling with --skip ${flags.skip} against none`);
        skipping = await benchSkipping(runner, skipOptions.schedule, { batch, steps: skipOptions.steps });
      }
      await runner.release();
      let train: TrainStepBench | undefined;
      if (flags.train) {
        log('training step: compiling forward + loss + backward + Adam/EMA as one graph');
        train = await benchTrainStep(cfg, weights, { batch, repeat, threads, microBatch, memory: sampleRss });
      }
      const result = {
        arch: flags.arch,
        resolution: r,
        batch,
        threads: threads ?? null,
        stop_after: stopAfter,
        micro_batch: microBatch,
        precision,
        ...forward,
        ...(skipping ? { skipping } : {}),
        ...train,
        peak_rss_mb: peakRssMb(),
      };
      if (flags.json) {
        console.log(JSON.stringify(result));
        return;
      }
      console.log(`forward     ${forward.forward_s.toFixed(3)} s  ${forward.gflop_per_forward.toFixed(1)} GFLOP  ${forward.gflops.toFixed(0)} GFLOP/s`);
      for (const b of forward.bricks) console.log(`  brick ${b.brick} (tile ${b.tile}, depth ${b.depth})  ${(b.ms / 1000).toFixed(3)} s  ${b.gflop.toFixed(1)} GFLOP  ${b.gflops.toFixed(0)} GFLOP/s`);
      if (train) {
        console.log(`train step  ${train.train_step_s.toFixed(3)} s  ${train.gflop_per_step.toFixed(1)} GFLOP  ${train.train_gflops.toFixed(0)} GFLOP/s`);
        if (train.train_peak_rss_mb !== undefined) console.log(`  peak RSS while training ${train.train_peak_rss_mb.toFixed(0)} MB`);
      }
      if (skipping) {
        console.log(`sampling   ${skipping.sample_steps} steps: ${skipping.sample_full_s.toFixed(2)} s all bricks, ${skipping.sample_skip_s.toFixed(2)} s with --skip ${flags.skip}`);
        console.log(`  saved ${skipping.saved_s.toFixed(2)} s of the skipped bricks' ${skipping.skipped_bricks_s.toFixed(2)} s (${((skipping.saved_fraction ?? 0) * 100).toFixed(0)}%)`);
      }
      console.log(`peak RSS    ${result.peak_rss_mb.toFixed(0)} MB`);
    });
}
