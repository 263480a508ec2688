// `lego generate`: sample images with the EDM sampler, one PNG per seed, with brick skipping, guidance
// and any canvas; flags after EDM's and the authors' generate.py.
import { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { UsageError } from '../../errors.js';
import { classFor, generate, generateProblem, type GenerateOptions, type GeneratedImage, type GenerateStats } from '../../diffusion/generate.js';
import { DEFAULT_STEPS } from '../../diffusion/sampler.js';
import { parseSkip, SKIP_SYNTAX } from '../../diffusion/skip.js';
import { GRID_MAX, openSampleDir } from '../../data/sample-dir.js';
import type { SampleRun } from '../../data/sample-run.js';
import { sha256File } from '../../files/file-hash.js';
import { seamStats } from '../../eval/seams.js';
import { largestTile, type LegoConfig } from '../../lego/config.js';
import { LegoRunner } from '../../lego/runner.js';
import type { Precision } from '../../nn/linear.js';
import {
  checkGuidance, parseIntFlag, parseNumberFlag, parsePrecision, parseSeeds, parseSigmaRange, parseThreads, precisionHelp, threadsHelp,
} from '../args.js';
import { parseJobFlags, runFlags, shardSeeds, submitToQueue, writeShardFiles, type JobFlags } from '../generate-jobs.js';
import { latentCanvas, openModelVae, VAE_KINDS } from '../model-vae.js';
import { loadNetwork } from '../network.js';

/** `lego generate`'s flags, as commander parses them. */
export interface GenerateFlags extends JobFlags {
  network?: string;
  outdir: string;
  seeds: string;
  class?: string;
  batch: string;
  steps: string;
  solver: string;
  sigmaMin: string;
  sigmaMax: string;
  rho: string;
  SChurn: string;
  SMin: string;
  SMax: string;
  SNoise: string;
  cfg: string;
  skip: string;
  width?: string;
  height?: string;
  coords: string;
  wrap?: boolean;
  shiftTiles?: boolean;
  subdirs?: boolean;
  grid: boolean;
  npz?: boolean;
  threads?: string;
  precision: string;
  json?: boolean;
  force?: boolean;
  vae?: string;
  saveLatents?: boolean;
}

/** Flags to validated options (UsageError naming the flag). */
export function parseGenerateFlags(f: GenerateFlags): GenerateOptions & { coords: 'fit' | 'extend'; threads?: number; precision: Precision } {
  if (f.solver !== 'heun' && f.solver !== 'euler') throw new UsageError(`--solver: expected heun or euler, got "${f.solver}"`);
  if (f.coords !== 'fit' && f.coords !== 'extend') throw new UsageError(`--coords: expected fit or extend, got "${f.coords}"`);
  let skip;
  try {
    skip = parseSkip(f.skip);
  } catch (e) {
    throw new UsageError(`--skip: ${(e as Error).message}`);
  }
  return {
    seeds: parseSeeds(f.seeds),
    batch: parseIntFlag('--batch', f.batch, { min: 1, max: 4096 }),
    classLabel: f.class === undefined ? 'random' : parseIntFlag('--class', f.class, { min: 0 }),
    steps: parseIntFlag('--steps', f.steps, { min: 1, max: 10_000 }),
    solver: f.solver,
    ...parseSigmaRange(f.sigmaMin, f.sigmaMax),
    rho: parseNumberFlag('--rho', f.rho, { min: 1e-3 }),
    sChurn: parseNumberFlag('--S-churn', f.SChurn, { min: 0 }),
    sMin: parseNumberFlag('--S-min', f.SMin, { min: 0 }),
    sMax: f.SMax === 'inf' ? Infinity : parseNumberFlag('--S-max', f.SMax, { min: 0 }),
    sNoise: parseNumberFlag('--S-noise', f.SNoise, { min: 0 }),
    cfgScale: parseNumberFlag('--cfg', f.cfg),
    skip,
    ...(f.width ? { width: parseIntFlag('--width', f.width, { min: 1, max: 65536 }) } : {}),
    ...(f.height ? { height: parseIntFlag('--height', f.height, { min: 1, max: 65536 }) } : {}),
    wrap: !!f.wrap,
    shiftTiles: !!f.shiftTiles,
    coords: f.coords,
    threads: parseThreads(f.threads),
    precision: parsePrecision(f.precision),
  };
}

/** The settings that decide the images, by flag, for the output directory's run record (not seeds, batch or threads). */
export function imageSettings(o: ReturnType<typeof parseGenerateFlags>, config: LegoConfig, f: GenerateFlags): SampleRun['settings'] {
  return {
    '--class': String(config.labelDim > 0 ? o.classLabel : 'none'),
    '--steps': String(o.steps),
    '--solver': String(o.solver),
    '--sigma-min': String(o.sigmaMin),
    '--sigma-max': String(o.sigmaMax),
    '--rho': String(o.rho),
    '--S-churn': String(o.sChurn),
    '--S-min': String(o.sMin),
    '--S-max': String(o.sMax),
    '--S-noise': String(o.sNoise),
    '--cfg': String(o.cfgScale),
    '--skip': f.skip.trim(),
    '--width': String(o.width ?? config.imgResolution),
    '--height': String(o.height ?? config.imgResolution),
    '--coords': o.coords,
    '--wrap': String(o.wrap),
    '--shift-tiles': String(o.shiftTiles),
    '--subdirs': String(!!f.subdirs),
    '--precision': o.precision,
  };
}

/** What a run whose images are all in --outdir already generates. */
const NOTHING_GENERATED: { images: GeneratedImage[]; stats: GenerateStats } = {
  images: [],
  stats: { seconds: 0, images: 0, bricks: [], stopAfterPerStep: [] },
};

export function generateCommand(): Command {
  return new Command('generate')
    .description('Sample images with the EDM sampler, one PNG per seed')
    .option('--network <file|dir>', 'checkpoint (.safetensors) or training run directory (its latest snapshot); default: the embedded MNIST model')
    .option('--outdir <dir>', 'where to write the images', 'out')
    .option('--seeds <list>', 'seeds, e.g. 0-63,100: one image per seed', '0-63')
    .option('--class <k>', 'class of every image (conditional models; default: random per seed)')
    .option('--batch <n>', 'images per network batch (results do not depend on it)', '32')
    .option('--steps <n>', 'sampler steps', String(DEFAULT_STEPS))
    .option('--solver <name>', 'heun (2nd order) or euler', 'heun')
    .option('--sigma-min <s>', 'lowest noise level', '0.002')
    .option('--sigma-max <s>', 'highest noise level', '80')
    .option('--rho <r>', 'noise schedule exponent', '7')
    .option('--S-churn <s>', 'stochasticity strength (0: deterministic)', '0')
    .option('--S-min <s>', 'lowest sigma with churn', '0')
    .option('--S-max <s>', 'highest sigma with churn ("inf" for no limit)', 'inf')
    .option('--S-noise <s>', 'churn noise scale', '1')
    .option('--cfg <scale>', 'classifier-free guidance scale (1: none)', '1')
    .option('--skip <schedule>', `brick skipping: ${SKIP_SYNTAX}`, 'none')
    .option('--width <px>', 'canvas width (a multiple of the largest tile; default: training size; latent models: image pixels, the latents times the VAE\'s factor)')
    .option('--height <px>', 'canvas height (a multiple of the largest tile; default: training size; latent models: image pixels)')
    .option('--coords <mode>', 'coordinates on larger canvases: fit (span [-1, 1]) or extend (keep the training pitch)', 'fit')
    .option('--wrap', 'horizontally seamless 360-degree panorama (tile grids shift horizontally with wrap-around)')
    .option('--shift-tiles', 'shift every brick\'s tile grid by a per-step offset so tile borders do not stay in place')
    .option('--subdirs', 'write images into subdirectories of 1000 (000000/, 001000/, ...)')
    .option('--no-grid', `do not write grid.png (the first ${GRID_MAX} images)`)
    .option('--npz', 'also write samples.npz (uint8 N x H x W x C as arr_0, and the classes as int64 arr_1 for a conditional model) for the ADM evaluation suite')
    .option('--vae <path>', `the VAE that decodes a latent model's samples: ${VAE_KINDS} (default: the one its checkpoint records, lego convert --vae)`)
    .option('--save-latents', 'latent models: also keep each seed\'s sampled latents beside its PNG (000123.npy, float32 (C, h, w))')
    .option('--threads <n>', threadsHelp)
    .option('--precision <p>', precisionHelp, 'float32')
    .option('--force', 'write into an --outdir that holds images of another run (its images of these seeds are replaced)')
    .option('--shard <K/N>', 'write only shard K of N (K from 0 to N-1): every N-th seed from the K-th, with its own labels file and no grid.png, for job arrays writing into one shared --outdir')
    .option('--stats <features>', 'also write the feature statistics of the seeds\' images for lego eval --merge-stats (a feature network of lego eval --features)')
    .option('--queue <url>', 'submit the run to the job queue at redis://HOST:PORT/DB for lego worker processes instead of sampling it here, and follow it until done')
    .option('--shard-size <n>', 'with --queue: seeds per job (jobs cover seeds k*n to k*n+n-1)', '64')
    .option('--detach', 'with --queue: submit and exit at once')
    .option('--json', 'print a JSON summary on stdout: time and FLOPs per brick (an 8-bit multiply-add counts 2, as a float one), images/s, and on canvases larger than the largest tile the seam measure (neighbour differences across tile borders / inside tiles)')
    .addHelpText('after', `
Each image has its own random streams derived from its seed, so image k is the same whatever --batch
or --threads. --outdir records the settings that decide the images in run.json: a later run with the
same settings continues there (seeds whose PNG exists are skipped), one with other settings is refused
without --force. Skipping really removes bricks: top:F drops the last (top, global) brick of a PG stack
for the last fraction F of the steps; last:F drops the last (local) brick of a PR stack for the first F.

Many machines: --shard K/N splits the seeds among N processes with no coordination (a Slurm array, a
Kubernetes indexed job); --queue hands the run to lego worker processes that come and go. Either way
the images are those one process would write, each job writes files of its own only (its PNGs,
labels/<tag>.json, with --stats stats/<tag>.<features>.safetensors), and lego eval reads them together.
With --queue, --outdir and --network must be paths every worker reaches (a shared file system).

Examples:
  lego generate                      # the embedded MNIST model: out/grid.png and 64 PNGs
  lego generate --network runs/00000-mnist/ --seeds 0-63
  lego generate --network net.safetensors --seeds 0-15 --class 3 --cfg 2 --skip top:0.4
  lego generate --network net.safetensors --width 96 --height 32 --wrap --seeds 0-3
  lego generate --network LEGO-XL-U-256.pkl --vae sd-vae-ft-ema/ --width 512 --height 256 --seeds 0-3
  lego generate --seeds 0-63 --class 3 --cfg 2 --precision int8
  lego generate --seeds 0-49999 --shard $SLURM_ARRAY_TASK_ID/50 --outdir /shared/fid50k --stats lenet-mnist
  lego generate --seeds 0-49999 --queue redis://10.0.0.5:6379/0 --outdir /shared/fid50k --stats lenet-mnist`)
    .action(async (flags: GenerateFlags) => {
      const options = parseGenerateFlags(flags);
      const jobs = parseJobFlags(flags);
      options.seeds = shardSeeds(jobs, options.seeds);
      const model = await loadNetwork(flags.network);
      const latent = await openModelVae(model, flags.vae, options.threads);
      if (flags.saveLatents && !latent) throw new UsageError(`--save-latents: ${model.file} is a pixel model; it has no latents to keep`);
      if (latent) {
        // The run record and the seam measure speak of image pixels; the sampler of latents.
        options.width ??= model.config.imgResolution * latent.factor;
        options.height ??= model.config.imgResolution * latent.factor;
      }
      const sampling = latent ? { ...options, ...latentCanvas(options.width, options.height, latent.factor), vae: latent.vae } : options;
      const problem = generateProblem(model.config, sampling);
      if (problem) throw new UsageError(`${problem}${latent ? ` (in latents: --width and --height are image pixels, ${latent.factor}x the latents)` : ''} (${model.file})`);
      checkGuidance(options.cfgScale ?? 1, model.config, model.file);
      const run = {
        network: { file: model.file, sha256: await sha256File(model.file) },
        ...(latent ? { vae: latent.record } : {}),
        settings: imageSettings(options, model.config, flags),
      };
      if (jobs.queue) {
        if (latent) throw new UsageError('--queue: workers do not load VAEs; sample a latent model here, or split it with --shard');
        const network = flags.network === undefined ? null : model.file;
        return submitToQueue({ ...jobs, queue: jobs.queue }, { run, network, flags: runFlags(flags), outdir: flags.outdir, seeds: options.seeds, force: !!flags.force });
      }
      // A shard shares --outdir with the other shards: it writes no file that another one writes.
      const shared = jobs.shard === null;
      const samples = await openSampleDir(flags.outdir, { subdirs: !!flags.subdirs, grid: flags.grid && shared, npz: !!flags.npz, labels: shared, latents: !!flags.saveLatents, run, force: !!flags.force });
      const seeds = samples.pending(options.seeds);
      const already = options.seeds.length - seeds.length;
      const runner = new LegoRunner(model.config, model.weights, {
        threads: options.threads, coords: options.coords, precision: options.precision, quantized: model.quantized,
      });
      const total = seeds.length;
      const bar = process.stderr.isTTY && !flags.json
        ? new SingleBar({ format: 'generate [{bar}] {value}/{total} images | {speed} img/s | step {step}/{steps} | ETA {eta_formatted}' })
        : null;
      bar?.start(total, 0, { speed: '0', step: 0, steps: options.steps });
      const start = performance.now();
      const { images, stats } = seeds.length === 0 ? NOTHING_GENERATED : await generate(runner, { ...sampling, seeds }, {
        onStep: ({ step, steps }) => bar?.update(samples.count, { step: step + 1, steps }),
        onImages: async (batch) => {
          await samples.write(batch);
          const speed = (samples.count / ((performance.now() - start) / 1000)).toFixed(2);
          if (bar) bar.update(samples.count, { speed });
          else if (!flags.json) process.stderr.write(`${samples.count}/${total} images, ${speed} img/s\n`);
        },
      });
      bar?.stop();
      await runner.release();
      await latent?.vae.release();
      await samples.finish();
      if (jobs.perJob) {
        const classOf = (seed: number) => classFor(model.config, seed, options.classLabel);
        await writeShardFiles(jobs, { outdir: flags.outdir, seeds: options.seeds, subdirs: !!flags.subdirs, classOf }, options.threads);
      }
      // The seam measure only means something where tile borders fall inside the canvas.
      const tile = largestTile(model.config) * (latent?.factor ?? 1);
      const width = options.width ?? model.config.imgResolution;
      const height = options.height ?? model.config.imgResolution;
      const seams = !!flags.json && (width > tile || height > tile) ? { tile, ...seamStats(images, tile) } : null;
      const summary = {
        network: model.file,
        vae: latent?.record.file ?? null,
        images: stats.images,
        already_there: already,
        seconds: stats.seconds,
        decode_s: stats.decodeSeconds ?? null,
        images_per_s: stats.images / stats.seconds,
        steps: options.steps,
        precision: options.precision,
        skip: flags.skip,
        stop_after_per_step: stats.stopAfterPerStep,
        seams,
        bricks: stats.bricks.map((b, k) => ({ brick: k, tile: model.config.bricks[k].resolution, calls: b.calls, s: b.ms / 1000, gflop: b.flops / 1e9 })),
      };
      if (flags.json) console.log(JSON.stringify(summary));
      else process.stderr.write(`wrote ${stats.images} images to ${flags.outdir} in ${stats.seconds.toFixed(1)} s${already > 0 ? ` (${already} already there)` : ''}\n`);
    });
}
