// `lego bench`: median time per forward (and per training step), FLOPs counted from the graphs,
// achieved GFLOP/s and peak memory. The way speed is reported everywhere in this project.
import { Command } from 'commander';
import { generate } from '../../diffusion/generate.js';
import { parseSkip, skipProblem, SKIP_SYNTAX, type SkipSchedule } from '../../diffusion/skip.js';
import { UsageError } from '../../errors.js';
import { initWeights } from '../../lego/model.js';
import { LegoRunner } from '../../lego/runner.js';
import { Rng } from '../../random.js';
import { defaultMicroBatch } from '../../lego/micro-batch.js';
import { TrainStep } from '../../train/step.js';
import { parseIntFlag, parseMicroBatch, parseThreads, resolveArch, threadsHelp } from '../args.js';
import { sampleRss } from '../rss-sampler.js';

interface BenchFlags {
  arch: string;
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
  json?: boolean;
}

/**
 * Sampling with and without a skipping schedule on the same compiled graphs: the time actually saved
 * against the skipped brick's measured time per call times the calls skipped.
 */
async function benchSkipping(runner: LegoRunner, skip: SkipSchedule, batch: number, steps: number) {
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
    /** Fraction of the skipped bricks' time that skipping saved. */
    saved_fraction: expected > 0 ? actual / expected : null,
    stop_after_per_step: skipped.stats.stopAfterPerStep,
    bricks: perBrick,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const peakRssMb = () => process.resourceUsage().maxRSS / 1024;

async function timeRuns(repeat: number, run: () => Promise<unknown>): Promise<number[]> {
  await run(); // warm-up: compiles the graphs
  const seconds: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    await run();
    seconds.push((performance.now() - start) / 1000);
  }
  return seconds;
}

export function benchCommand(): Command {
  return new Command('bench')
    .description('Time forward passes and training steps of a LEGO stack; report FLOPs, GFLOP/s and memory')
    .requiredOption('--arch <name|file.json>', 'official preset (lego_S_PG_64, ...) or a custom stack config JSON')
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
    .option('--json', 'print one JSON object on stdout')
    .addHelpText('after', `
FLOPs are counted from the compiled graphs (a multiply-add is 2); GFLOP/s = FLOPs / median time.

Examples:
  lego bench --arch lego_S_PG_64 --resolution 64 --batch 8
  lego bench --arch lego_S_PG_64 --resolution 64 --batch 8 --train --json
  lego bench --arch my-stack.json --batch 16 --stop-after 1
  lego bench --arch lego_S_PG_64 --batch 8 --skip top:0.5 --sample-steps 4`)
    .action(async (flags: BenchFlags) => {
      const batch = parseIntFlag('--batch', flags.batch, { min: 1 });
      const repeat = parseIntFlag('--repeat', flags.repeat, { min: 1, max: 1000 });
      const threads = parseThreads(flags.threads);
      const cfg = resolveArch(flags.arch, {
        imgChannels: parseIntFlag('--channels', flags.channels, { min: 1, max: 16 }),
        ...(flags.resolution ? { imgResolution: parseIntFlag('--resolution', flags.resolution, { min: 1 }) } : {}),
      });
      const microBatch = parseMicroBatch(flags.microBatch, batch, `--batch ${batch}`) ?? defaultMicroBatch(cfg, batch);
      const stopAfter = flags.stopAfter === undefined ? cfg.bricks.length - 1
        : parseIntFlag('--stop-after', flags.stopAfter, { min: 0, max: cfg.bricks.length - 1 });
      const log = (msg: string) => { if (!flags.json) process.stderr.write(`${msg}\n`); };
      const weights = initWeights(cfg, 0);
      const rng = new Rng(0);
      const r = cfg.imgResolution;
      const shape = [batch, cfg.imgChannels, r, r];
      const x = rng.fillNormal(new Float32Array(batch * cfg.imgChannels * r * r));
      const labels = cfg.labelDim > 0 ? new Float32Array(batch * cfg.labelDim).map((_, i) => (i % cfg.labelDim === 0 ? 1 : 0)) : null;

      log(`forward: ${flags.arch} at ${r}x${r}, batch ${batch}, bricks 0..${stopAfter}`);
      const runner = new LegoRunner(cfg, weights, { threads, microBatch });
      const sigma = new Array<number>(batch).fill(1);
      const forwardRuns = await timeRuns(repeat, () => runner.denoise(x, shape, sigma, { labels, stopAfter }));
      const bricks = runner.brickStats.slice(0, stopAfter + 1).map((s, k) => ({
        brick: k,
        tile: cfg.bricks[k].resolution,
        depth: cfg.bricks[k].depth,
        ms: s.ms / s.calls,
        gflop: s.flops / s.calls / 1e9,
        gflops: s.flops / s.ms / 1e6,
      }));
      const forwardS = median(forwardRuns);
      let skipping: Awaited<ReturnType<typeof benchSkipping>> | undefined;
      if (flags.skip !== undefined) {
        let schedule: SkipSchedule;
        try {
          schedule = parseSkip(flags.skip);
        } catch (e) {
          throw new UsageError(`--skip: ${(e as Error).message}`);
        }
        const problem = skipProblem(schedule, cfg.bricks.length);
        if (problem) throw new UsageError(`--skip: ${problem}`);
        log(`sampling with --skip ${flags.skip} against none`);
        skipping = await benchSkipping(runner, schedule, batch, parseIntFlag('--sample-steps', flags.sampleSteps, { min: 1, max: 1000 }));
      }
      await runner.release();
      const gflopPerForward = bricks.reduce((a, b) => a + b.gflop, 0);
      const result: Record<string, unknown> = {
        arch: flags.arch,
        resolution: r,
        batch,
        threads: threads ?? null,
        stop_after: stopAfter,
        micro_batch: microBatch,
        forward_s: forwardS,
        forward_runs_s: forwardRuns,
        gflop_per_forward: gflopPerForward,
        gflops: gflopPerForward / forwardS,
        bricks,
        ...(skipping ? { skipping } : {}),
      };
      if (flags.train) {
        log('training step: compiling forward + loss + backward + Adam/EMA as one graph');
        const memory = sampleRss();
        const step = await TrainStep.create(cfg, batch, { threads, microBatch });
        const state = step.createState({ weights });
        const images = x.map((v) => Math.tanh(v));
        const noise = rng.fillNormal(new Float32Array(x.length));
        const rndNormal = rng.fillNormal(new Float32Array(batch));
        const stepRuns = await timeRuns(repeat, () => step.run(state, { images, noise, rndNormal, ...(labels ? { labels } : {}) }, 1e-4, 0.999));
        const trainPeakRssMb = await memory.stop();
        await step.release();
        const stepS = median(stepRuns);
        Object.assign(result, {
          train_step_s: stepS,
          train_step_runs_s: stepRuns,
          gflop_per_step: step.flops / 1e9,
          train_gflops: step.flops / 1e9 / stepS,
          train_peak_rss_mb: trainPeakRssMb,
        });
      }
      result.peak_rss_mb = peakRssMb();
      if (flags.json) {
        console.log(JSON.stringify(result));
        return;
      }
      console.log(`forward     ${forwardS.toFixed(3)} s  ${gflopPerForward.toFixed(1)} GFLOP  ${(gflopPerForward / forwardS).toFixed(0)} GFLOP/s`);
      for (const b of bricks) console.log(`  brick ${b.brick} (tile ${b.tile}, depth ${b.depth})  ${(b.ms / 1000).toFixed(3)} s  ${b.gflop.toFixed(1)} GFLOP  ${b.gflops.toFixed(0)} GFLOP/s`);
      if (flags.train) {
        console.log(`train step  ${(result.train_step_s as number).toFixed(3)} s  ${(result.gflop_per_step as number).toFixed(1)} GFLOP  ${(result.train_gflops as number).toFixed(0)} GFLOP/s`);
        console.log(`  peak RSS while training ${(result.train_peak_rss_mb as number).toFixed(0)} MB`);
      }
      if (skipping) {
        console.log(`sampling   ${skipping.sample_steps} steps: ${skipping.sample_full_s.toFixed(2)} s all bricks, ${skipping.sample_skip_s.toFixed(2)} s with --skip ${flags.skip}`);
        console.log(`  saved ${skipping.saved_s.toFixed(2)} s of the skipped bricks' ${skipping.skipped_bricks_s.toFixed(2)} s (${((skipping.saved_fraction ?? 0) * 100).toFixed(0)}%)`);
      }
      console.log(`peak RSS    ${(result.peak_rss_mb as number).toFixed(0)} MB`);
    });
}
