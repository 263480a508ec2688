// Image generation: seeds to images with the EDM sampler, brick skipping, guidance and any canvas.
//
// Seeds: image k draws everything from its own streams, `new Rng(seed, stream)` (xoshiro128** seeded
// by splitmix32, normals by Box-Muller in float64; see random.ts): stream 0 gives the initial latents
// (C*H*W standard normals, CHW order), stream 1 the churn noise of each step in turn, stream 2 the
// random class. So image k is the same whatever the batch size: bit for bit on one thread; on more, ONNX
// Runtime's parallel kernels split the work by the tensor sizes and may round a float32 ulp differently,
// which now and then moves a pixel of the 8-bit image by one. A latent model samples VAE latents the same
// way, and its VAE decodes each batch to images.
import { canvasProblem, largestTile, type LegoConfig } from '../lego/config.js';
import type { BrickStats, LegoRunner } from '../lego/runner.js';
import { Rng } from '../random.js';
import { downscaleFactor } from '../vae/config.js';
import type { Vae } from '../vae/vae.js';
import { tileShift } from './canvas.js';
import { guidedDenoise } from './guidance.js';
import { DEFAULT_STEPS, edmSample, type SamplerOptions } from './sampler.js';
import { skipProblem, stopAfterAt, type SkipSchedule } from './skip.js';

export interface GenerateOptions extends Omit<SamplerOptions, 'stopAfterAt' | 'churnNoise' | 'onStep' | 'signal'> {
  /** One image per seed. */
  seeds: readonly number[];
  /** Images per network batch (default 8); results do not depend on it. */
  batch?: number;
  /** Class of every image, or 'random' (default): drawn per seed. Ignored by unconditional models. */
  classLabel?: number | 'random';
  /** Classifier-free guidance scale (default 1: none). */
  cfgScale?: number;
  /** Canvas size (default: the training size); multiples of the largest tile. */
  width?: number;
  height?: number;
  /** Brick skipping (default none). */
  skip?: SkipSchedule;
  /** Move every brick's tile grid by a per-step offset (wrapping at the edges). */
  shiftTiles?: boolean;
  /** Horizontally seamless 360-degree panorama: horizontal grid offsets every step. */
  wrap?: boolean;
  /**
   * The VAE of a latent model: the sampled latents (width x height, the model's channels) are decoded to
   * images downscale-factor times larger (default none: the samples are the images).
   */
  vae?: Vae;
}

/** One finished image, 8-bit, rows of pixels with interleaved channels (HWC). */
export interface GeneratedImage {
  seed: number;
  /** The class it was generated for; null for unconditional models. */
  classLabel: number | null;
  width: number;
  height: number;
  channels: number;
  pixels: Uint8Array;
  /** The sampled latents of an image decoded by a VAE, shape (C, h, w); absent for pixel models. */
  latents?: { data: Float32Array; shape: [number, number, number] };
}

export interface StepInfo {
  /** Seeds of the batch being sampled. */
  seeds: readonly number[];
  step: number;
  steps: number;
  sigma: number;
  /** Brick the stack stopped after in this step. */
  stopAfter: number;
  /** The denoised estimate D(x; sigma) of the step's first evaluation (B, C, H, W): a clean preview. */
  denoised: Float32Array;
  shape: readonly [number, number, number, number];
}

export interface GenerateHooks {
  onStep?: (info: StepInfo) => void | Promise<void>;
  /** Called with each finished batch, in seed order. */
  onImages?: (images: GeneratedImage[]) => void | Promise<void>;
  signal?: AbortSignal;
}

export interface GenerateStats {
  seconds: number;
  images: number;
  /** Time and work per brick over the whole run. */
  bricks: BrickStats[];
  /** The brick each step stopped after (the same for every batch). */
  stopAfterPerStep: number[];
  /** Time spent decoding latents with the VAE (latent models), included in `seconds`. */
  decodeSeconds?: number;
}

/** Most elements of one typed array in every engine this runs on. */
const MAX_LATENT_ELEMENTS = 2 ** 31 - 1;

/** Validate options against a model; returns a problem or null. */
export function generateProblem(cfg: LegoConfig, options: GenerateOptions): string | null {
  const width = options.width ?? cfg.imgResolution;
  const height = options.height ?? cfg.imgResolution;
  if (options.seeds.length === 0) return 'no seeds given';
  const canvas = canvasProblem(cfg, height, width);
  if (canvas) return canvas;
  const batch = options.batch ?? 8;
  if (!(Number.isInteger(batch) && batch > 0)) return `batch ${batch} is not a positive whole number of images`;
  // One batch's latents are one typed array; a larger canvas fails deep in the run instead of here.
  const images = Math.min(batch, options.seeds.length);
  const latents = images * cfg.imgChannels * height * width;
  if (latents > MAX_LATENT_ELEMENTS) {
    return `a ${width}x${height} canvas in batches of ${images} needs ${latents} latent values at once, more than one array holds (2^31 - 1); use a smaller batch or canvas`;
  }
  if (typeof options.classLabel === 'number') {
    if (cfg.labelDim === 0) return `class ${options.classLabel} given but the model is unconditional`;
    if (!Number.isInteger(options.classLabel) || options.classLabel < 0 || options.classLabel >= cfg.labelDim) {
      return `class ${options.classLabel} is out of range: the model has classes 0..${cfg.labelDim - 1}`;
    }
  }
  if (options.vae && options.vae.config.latentChannels !== cfg.imgChannels) {
    return `the VAE makes ${options.vae.config.latentChannels}-channel latents but the model denoises ${cfg.imgChannels} channels`;
  }
  if (options.skip) return skipProblem(options.skip, cfg.bricks.length);
  return null;
}

/** EDM's conversion: clip(x * 127.5 + 128, 0, 255), truncated; CHW floats -> HWC uint8. */
export function toUint8Image(x: ArrayLike<number>, offset: number, channels: number, height: number, width: number): Uint8Array {
  const out = new Uint8Array(channels * height * width);
  const plane = height * width;
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < plane; p++) {
      out[p * channels + c] = Math.min(255, Math.max(0, x[offset + c * plane + p] * 127.5 + 128));
    }
  }
  return out;
}

/** Generate one image per seed. */
export async function generate(runner: LegoRunner, options: GenerateOptions, hooks: GenerateHooks = {}) {
  const cfg = runner.config;
  const problem = generateProblem(cfg, options);
  if (problem) throw new Error(problem);
  const width = options.width ?? cfg.imgResolution;
  const height = options.height ?? cfg.imgResolution;
  const channels = cfg.imgChannels;
  const steps = options.steps ?? DEFAULT_STEPS;
  const batchSize = options.batch ?? 8;
  const skip = options.skip ?? { kind: 'none' };
  const pixels = channels * height * width;
  const largest = largestTile(cfg);
  const before = runner.brickStats.map((s) => ({ ...s }));
  const start = performance.now();
  const images: GeneratedImage[] = [];
  const stopAfterPerStep: number[] = [];
  let decodeMs = 0;

  for (let first = 0; first < options.seeds.length; first += batchSize) {
    const seeds = options.seeds.slice(first, first + batchSize);
    const b = seeds.length;
    const shape = [b, channels, height, width] as const;
    const latents = new Float32Array(b * pixels);
    seeds.forEach((seed, i) => new Rng(seed, 0).fillNormal(latents.subarray(i * pixels, (i + 1) * pixels)));
    const churn = seeds.map((seed) => new Rng(seed, 1));
    const classes = seeds.map((seed) => classFor(cfg, seed, options.classLabel));
    const labels = cfg.labelDim > 0 ? oneHot(classes as number[], cfg.labelDim) : null;
    const denoisedAt = new Map<number, Float32Array>();
    const x = await edmSample(
      async (xIn, sigma, { step, stopAfter }) => {
        const shift = options.wrap || options.shiftTiles ? tileShift(step, largest, !options.wrap) : undefined;
        const d = await guidedDenoise(runner, xIn, shape, new Array<number>(b).fill(sigma), {
          labels, stopAfter, cfgScale: options.cfgScale, tileOffset: shift,
        });
        if (!denoisedAt.has(step)) denoisedAt.set(step, d);
        return d;
      },
      latents,
      {
        ...options,
        steps,
        stopAfterAt: (i, sigma) => stopAfterAt(skip, i, steps, sigma, cfg.bricks.length),
        churnNoise: (_step, out) => churn.forEach((rng, i) => rng.fillNormal(out.subarray(i * pixels, (i + 1) * pixels))),
        signal: hooks.signal,
        onStep: async ({ step, sigma }) => {
          const stopAfter = stopAfterAt(skip, step, steps, sigma, cfg.bricks.length) ?? cfg.bricks.length - 1;
          if (first === 0) stopAfterPerStep.push(stopAfter);
          const denoised = denoisedAt.get(step)!;
          denoisedAt.delete(step);
          await hooks.onStep?.({ seeds, step, steps, sigma, stopAfter, denoised, shape });
        },
      },
    );
    let batchImages: GeneratedImage[];
    if (options.vae) {
      const decodeStart = performance.now();
      batchImages = await decodeBatch(options.vae, Float32Array.from(x), shape, seeds, classes);
      decodeMs += performance.now() - decodeStart;
    } else {
      batchImages = seeds.map((seed, i) => ({
        seed,
        classLabel: classes[i],
        width,
        height,
        channels,
        pixels: toUint8Image(x, i * pixels, channels, height, width),
      }));
    }
    images.push(...batchImages);
    await hooks.onImages?.(batchImages);
  }
  const stats: GenerateStats = {
    seconds: (performance.now() - start) / 1000,
    images: images.length,
    bricks: runner.brickStats.map((s, k) => ({ calls: s.calls - before[k].calls, ms: s.ms - before[k].ms, flops: s.flops - before[k].flops })),
    stopAfterPerStep,
    ...(options.vae ? { decodeSeconds: decodeMs / 1000 } : {}),
  };
  return { images, stats };
}

/** A batch of sampled latents (B, C, h, w) decoded by the VAE into 8-bit images, each keeping its latents. */
async function decodeBatch(vae: Vae, latents: Float32Array, shape: readonly number[], seeds: readonly number[], classes: (number | null)[]): Promise<GeneratedImage[]> {
  const [, c, h, w] = shape;
  const decoded = await decodeLatents(vae, latents, shape);
  const per = latents.length / seeds.length;
  return decoded.map((img, i) => ({
    seed: seeds[i],
    classLabel: classes[i],
    width: img.width,
    height: img.height,
    channels: img.channels,
    pixels: img.pixels,
    latents: { data: latents.slice(i * per, (i + 1) * per), shape: [c, h, w] },
  }));
}

/**
 * Latents (N, latent, h, w) decoded by the VAE to N 8-bit HWC images f times larger (f its downscale factor),
 * made 8-bit as the authors' generate.py does: clip(x * 127.5 + 128, 0, 255), truncated.
 */
export async function decodeLatents(vae: Vae, latents: Float32Array, shape: readonly number[]): Promise<{ width: number; height: number; channels: number; pixels: Uint8Array }[]> {
  const [n, , h, w] = shape;
  const f = downscaleFactor(vae.config);
  const channels = vae.config.outChannels;
  const decoded = await vae.decode(latents, [...shape]);
  const per = decoded.length / n;
  return Array.from({ length: n }, (_, i) => ({
    width: w * f,
    height: h * f,
    channels,
    pixels: toUint8Image(decoded, i * per, channels, h * f, w * f),
  }));
}

/** The class image `seed` is generated for: `classLabel`, or drawn from the seed's stream 2; null for an unconditional model. */
export function classFor(cfg: LegoConfig, seed: number, classLabel: GenerateOptions['classLabel']): number | null {
  if (cfg.labelDim === 0) return null;
  if (typeof classLabel === 'number') return classLabel;
  return new Rng(seed, 2).below(cfg.labelDim);
}

function oneHot(classes: number[], labelDim: number): Float32Array {
  const out = new Float32Array(classes.length * labelDim);
  classes.forEach((c, i) => (out[i * labelDim + c] = 1));
  return out;
}
