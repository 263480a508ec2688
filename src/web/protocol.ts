// Messages between the page (app.ts) and the generation worker (worker.ts). Plain data only: what
// structured cloning carries, with pixel buffers transferred.
import type { SkipSchedule } from '../diffusion/skip.js';
import type { LegoConfig } from '../lego/config.js';
import type { BrickStats } from '../lego/runner.js';
import type { Precision } from '../nn/linear.js';

export type WebProvider = 'webgpu' | 'wasm';

/**
 * What the page asks the worker to sample: `images` images, seeds `seed` to `seed + images - 1`, in one
 * batch, with the CLI's defaults for everything else.
 */
export interface WebGenerateRequest {
  seed: number;
  images: number;
  classLabel: number | 'random';
  steps: number;
  cfgScale: number;
  /** Canvas in image pixels: for a latent model, its latents times the VAE's factor. */
  width: number;
  height: number;
  wrap: boolean;
  shiftTiles: boolean;
  skip: SkipSchedule;
  /** How the bricks' block Linears multiply, as `lego generate --precision`. */
  precision: Precision;
}

export type ToWorker =
  /** `profile`: run ONNX Runtime's profiler and print each graph's profile to the console after the first image. */
  | { type: 'init'; provider: WebProvider; threads: number; assetBase: string; profile: boolean }
  | { type: 'load'; bytes: ArrayBuffer; name: string }
  /** Compile the loaded model's graphs in `precision` and run throw-away evaluations until the kernels are hot. */
  | { type: 'warm'; precision: Precision }
  | { type: 'generate'; id: number; request: WebGenerateRequest }
  | { type: 'cancel'; id: number };

/** An 8-bit image, rows of interleaved channels (HWC). */
export interface WebImage {
  width: number;
  height: number;
  channels: number;
  pixels: Uint8Array;
}

/** One sampler step: its noise level, the last brick it ran and its time. */
export interface StepRow {
  step: number;
  sigma: number;
  stopAfter: number;
  ms: number;
}

/**
 * The least time between two step messages. Each message redraws the page (preview, progress, a table row),
 * and on two cores a redraw takes a core from the runtime's threads: a message per step made every brick call
 * 30% slower (docs/performance.md).
 */
export const STEP_MESSAGE_INTERVAL_MS = 100;

/** The warm-up's last evaluations whose median decides that it has settled, and that the page shows. */
export const WARM_WINDOW = 10;

export type FromWorker =
  /** `brickFlops`: one call of each brick on one training-size image (every brick's cost scales with the canvas area). */
  /** `factor`: image pixels per canvas pixel (a latent model's VAE downscale factor, 1 for pixel models); `vae`: the VAE, for display. */
  | { type: 'loaded'; name: string; config: LegoConfig; parameters: number; brickFlops: number[]; factor: number; vae: string | null }
  /** The warm-up finished (or stopped early for a request) in `ms`: each throw-away network evaluation's time in `timesMs`. */
  | { type: 'warm'; ms: number; timesMs: number[] }
  /**
   * The sampler steps finished since the last message (at most one message per STEP_MESSAGE_INTERVAL_MS, plus
   * the first and the last step). `preview`: the estimate of the last of them, or null when a latent model's
   * preview is not decoded (at most every `previewEvery` steps when a decode takes longer than a step;
   * `previewMs` is the last decode's time).
   */
  | { type: 'steps'; id: number; steps: number; rows: StepRow[]; preview: WebImage | null; previewEvery: number; previewMs: number }
  /**
   * `images`: one per seed, in seed order; `image` and `png`: the one image, or for a batch the grid of
   * them all as `lego generate` writes grid.png.
   */
  | {
      type: 'done';
      id: number;
      images: { seed: number; classLabel: number | null }[];
      image: WebImage;
      png: Uint8Array;
      seconds: number;
      stepMs: number[];
      bricks: BrickStats[];
    }
  | { type: 'cancelled'; id: number }
  | { type: 'error'; id?: number; message: string };
