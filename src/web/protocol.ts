// Messages between the page (app.ts) and the generation worker (worker.ts). Plain data only: what
// structured cloning carries, with pixel buffers transferred.
import type { SkipSchedule } from '../diffusion/skip.js';
import type { LegoConfig } from '../lego/config.js';
import type { BrickStats } from '../lego/runner.js';
import type { Precision } from '../nn/linear.js';

export type WebProvider = 'webgpu' | 'wasm';

/** What the page asks the worker to sample: one image, with the CLI's defaults for everything else. */
export interface WebGenerateRequest {
  seed: number;
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
  | { type: 'init'; provider: WebProvider; threads: number; assetBase: string }
  | { type: 'load'; bytes: ArrayBuffer; name: string }
  | { type: 'generate'; id: number; request: WebGenerateRequest }
  | { type: 'cancel'; id: number };

/** An 8-bit image, rows of interleaved channels (HWC). */
export interface WebImage {
  width: number;
  height: number;
  channels: number;
  pixels: Uint8Array;
}

export type FromWorker =
  /** `brickFlops`: one call of each brick on one training-size image (every brick's cost scales with the canvas area). */
  /** `factor`: image pixels per canvas pixel (a latent model's VAE downscale factor, 1 for pixel models); `vae`: the VAE, for display. */
  | { type: 'loaded'; name: string; config: LegoConfig; parameters: number; brickFlops: number[]; factor: number; vae: string | null }
  /**
   * `preview`: the decoded estimate, or null on the steps a latent model's preview is not decoded (it is every
   * `previewEvery` steps when a decode takes longer than a step; `previewMs` is the last decode's time).
   */
  | { type: 'step'; id: number; step: number; steps: number; sigma: number; stopAfter: number; ms: number; preview: WebImage | null; previewEvery: number; previewMs: number }
  | {
      type: 'done';
      id: number;
      seed: number;
      classLabel: number | null;
      image: WebImage;
      png: Uint8Array;
      seconds: number;
      stepMs: number[];
      bricks: BrickStats[];
    }
  | { type: 'cancelled'; id: number }
  | { type: 'error'; id?: number; message: string };
