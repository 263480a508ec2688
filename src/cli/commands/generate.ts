// `lego generate`: sample images with the EDM sampler, one PNG per seed, with brick skipping, guidance
// and any canvas; flags after EDM's and the authors' generate.py.
import { mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { UsageError } from '../../errors.js';
import { generate, generateProblem, type GenerateOptions, type GeneratedImage } from '../../diffusion/generate.js';
import { parseSkip, SKIP_SYNTAX } from '../../diffusion/skip.js';
import { encodePng } from '../../data/png.js';
import { imageGrid } from '../../io/image-grid.js';
import { seamStats } from '../../eval/seams.js';
import { encodeNpzUint8 } from '../../io/npz.js';
import { writeFileAtomic } from '../../io/safetensors-file.js';
import { LegoRunner } from '../../lego/runner.js';
import { parseIntFlag, parseNumberFlag, parseSeeds, parseThreads, threadsHelp } from '../args.js';
import { loadNetwork } from '../network.js';

interface GenerateFlags {
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
  json?: boolean;
}

/** Flags to validated options (UsageError naming the flag). */
function parseGenerateFlags(f: GenerateFlags): GenerateOptions & { coords: 'fit' | 'extend'; threads?: number } {
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
    sigmaMin: parseNumberFlag('--sigma-min', f.sigmaMin, { min: 1e-9 }),
    sigmaMax: parseNumberFlag('--sigma-max', f.sigmaMax, { min: 1e-9 }),
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
  };
}

/** Images in grid.png at most. */
const GRID_MAX = 256;

const pngOf = (img: { width: number; height: number; channels: number; pixels: Uint8Array }) =>
  encodePng({ width: img.width, height: img.height, channels: img.channels, data: img.pixels });

export function generateCommand(): Command {
  return new Command('generate')
    .description('Sample images with the EDM sampler, one PNG per seed')
    .option('--network <file|dir>', 'checkpoint (.safetensors) or training run directory (its latest snapshot); default: the embedded MNIST model')
    .option('--outdir <dir>', 'where to write the images', 'out')
    .option('--seeds <list>', 'seeds, e.g. 0-63,100: one image per seed', '0-63')
    .option('--class <k>', 'class of every image (conditional models; default: random per seed)')
    .option('--batch <n>', 'images per network batch (results do not depend on it)', '32')
    .option('--steps <n>', 'sampler steps', '18')
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
    .option('--width <px>', 'canvas width (a multiple of the largest tile; default: training size)')
    .option('--height <px>', 'canvas height (a multiple of the largest tile; default: training size)')
    .option('--coords <mode>', 'coordinates on larger canvases: fit (span [-1, 1]) or extend (keep the training pitch)', 'fit')
    .option('--wrap', 'horizontally seamless 360-degree panorama (tile grids shift horizontally with wrap-around)')
    .option('--shift-tiles', 'shift every brick\'s tile grid by a per-step offset so tile borders do not stay in place')
    .option('--subdirs', 'write images into subdirectories of 1000 (000000/, 001000/, ...)')
    .option('--no-grid', `do not write grid.png (the first ${GRID_MAX} images)`)
    .option('--npz', 'also write samples.npz (uint8 N x H x W x C as arr_0, and the classes as int64 arr_1 for a conditional model) for the ADM evaluation suite')
    .option('--threads <n>', threadsHelp)
    .option('--json', 'print a JSON summary on stdout: time and FLOPs per brick, images/s, and on canvases larger than the largest tile the seam measure (neighbour differences across tile borders / inside tiles)')
    .addHelpText('after', `
Each image has its own random streams derived from its seed, so image k is the same whatever --batch
or --threads. Skipping really removes bricks: top:F drops the last (top, global) brick of a PG stack
for the last fraction F of the steps; last:F drops the last (local) brick of a PR stack for the first F.

Examples:
  lego generate                      # the embedded MNIST model: out/grid.png and 64 PNGs
  lego generate --network runs/00000-mnist/ --seeds 0-63
  lego generate --network net.safetensors --seeds 0-15 --class 3 --cfg 2 --skip top:0.4
  lego generate --network net.safetensors --width 96 --height 32 --wrap --seeds 0-3`)
    .action(async (flags: GenerateFlags) => {
      const options = parseGenerateFlags(flags);
      const model = await loadNetwork(flags.network);
      const problem = generateProblem(model.config, options);
      if (problem) throw new UsageError(`${problem} (${model.file})`);
      const runner = new LegoRunner(model.config, model.weights, { threads: options.threads, coords: options.coords });
      await mkdir(flags.outdir, { recursive: true });
      const total = options.seeds.length;
      const tile = Math.max(...model.config.bricks.map((b) => b.resolution));
      const width = options.width ?? model.config.imgResolution;
      const height = options.height ?? model.config.imgResolution;
      const measureSeams = !!flags.json && (width > tile || height > tile);
      const bar = process.stderr.isTTY && !flags.json
        ? new SingleBar({ format: 'generate [{bar}] {value}/{total} images | {speed} img/s | step {step}/{steps} | ETA {eta_formatted}' })
        : null;
      bar?.start(total, 0, { speed: '0', step: 0, steps: options.steps });
      const start = performance.now();
      let done = 0;
      const all: GeneratedImage[] = [];
      const gridImages: GeneratedImage[] = [];
      const labels: Record<string, number> = {}; // image path -> the class it was generated for (lego eval reads it)
      const { stats } = await generate(runner, options, {
        onStep: ({ step, steps }) => bar?.update(done, { step: step + 1, steps }),
        onImages: async (images) => {
          for (const img of images) {
            const dir = flags.subdirs ? join(flags.outdir, String(Math.floor(img.seed / 1000) * 1000).padStart(6, '0')) : flags.outdir;
            if (flags.subdirs) await mkdir(dir, { recursive: true });
            const file = join(dir, `${String(img.seed).padStart(6, '0')}.png`);
            await writeFileAtomic(file, pngOf(img));
            if (img.classLabel !== null) labels[relative(flags.outdir, file).replaceAll('\\', '/')] = img.classLabel;
          }
          if (flags.npz || measureSeams) all.push(...images);
          if (flags.grid) gridImages.push(...images.slice(0, GRID_MAX - gridImages.length));
          done += images.length;
          const speed = (done / ((performance.now() - start) / 1000)).toFixed(2);
          if (bar) bar.update(done, { speed });
          else if (!flags.json) process.stderr.write(`${done}/${total} images, ${speed} img/s\n`);
        },
      });
      bar?.stop();
      await runner.release();
      if (flags.grid) await writeFileAtomic(join(flags.outdir, 'grid.png'), pngOf(imageGrid(gridImages)));
      if (Object.keys(labels).length > 0) await writeFileAtomic(join(flags.outdir, 'labels.json'), new TextEncoder().encode(JSON.stringify(labels)));
      if (flags.npz) {
        const { width, height, channels } = all[0];
        const data = new Uint8Array(all.length * width * height * channels);
        all.forEach((img, i) => data.set(img.pixels, i * img.pixels.length));
        const classes = all.every((img) => img.classLabel !== null) ? all.map((img) => img.classLabel as number) : undefined;
        await writeFileAtomic(join(flags.outdir, 'samples.npz'), encodeNpzUint8(data, [all.length, height, width, channels], classes));
      }
      const seams = measureSeams ? { tile, ...seamStats(all, tile) } : null;
      const summary = {
        network: model.file,
        images: stats.images,
        seconds: stats.seconds,
        images_per_s: stats.images / stats.seconds,
        steps: options.steps,
        skip: flags.skip,
        stop_after_per_step: stats.stopAfterPerStep,
        seams,
        bricks: stats.bricks.map((b, k) => ({ brick: k, tile: model.config.bricks[k].resolution, calls: b.calls, s: b.ms / 1000, gflop: b.flops / 1e9 })),
      };
      if (flags.json) console.log(JSON.stringify(summary));
      else process.stderr.write(`wrote ${stats.images} images to ${flags.outdir} in ${stats.seconds.toFixed(1)} s\n`);
    });
}
