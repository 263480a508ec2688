// The VAE benchmark behind `lego bench --vae`: median time of a decode (one latent to one image) and of an
// encode after a warm-up, FLOPs counted from the graphs, achieved GFLOP/s and peak memory.
import { Rng } from '../random.js';
import { median, timeRuns } from '../timing.js';
import { decodeFlops, encodeFlops } from './autoencoder.js';
import { downscaleFactor, type VaeConfig } from './config.js';
import { Vae } from './vae.js';
import { randomVaeWeights } from './weights.js';

/** What benchVae times. */
export interface VaeBenchOptions {
  /** Image size in pixels (square); a multiple of the downscale factor. */
  resolution: number;
  /** Timed runs of each after one warm-up; the median is reported (default 3). */
  repeat?: number;
  /** Intra-op threads (default: one per core). */
  threads?: number;
}

/** One benchmark, in the units `lego bench --json` prints. */
export interface VaeBenchResult {
  resolution: number;
  /** The latent decoded, (1, latent, h, w). */
  latent_shape: number[];
  threads: number | null;
  decode_s: number;
  decode_runs_s: number[];
  encode_s: number;
  encode_runs_s: number[];
  gflop_per_decode: number;
  gflop_per_encode: number;
  decode_gflops: number;
  encode_gflops: number;
  /** Peak resident memory of the process so far. */
  peak_rss_mb: number;
}

/** Time one decode and one encode of a VAE of this config with random weights, batch 1. */
export async function benchVae(cfg: VaeConfig, options: VaeBenchOptions): Promise<VaeBenchResult> {
  const { resolution: r, repeat = 3 } = options;
  const f = downscaleFactor(cfg);
  const latentShape = [1, cfg.latentChannels, r / f, r / f];
  const imageShape = [1, cfg.inChannels, r, r];
  const rng = new Rng(0);
  const latents = rng.fillNormal(new Float32Array(latentShape.reduce((a, b) => a * b)));
  const images = Float32Array.from({ length: imageShape.reduce((a, b) => a * b) }, () => 2 * rng.uniform() - 1);
  const vae = new Vae(cfg, randomVaeWeights(cfg), { threads: options.threads });
  try {
    const decodeRuns = await timeRuns(repeat, () => vae.decode(latents, latentShape));
    const encodeRuns = await timeRuns(repeat, () => vae.encode(images, imageShape));
    const [decodeS, encodeS] = [median(decodeRuns), median(encodeRuns)];
    const gflopDecode = decodeFlops(cfg, latentShape) / 1e9;
    const gflopEncode = encodeFlops(cfg, imageShape) / 1e9;
    return {
      resolution: r,
      latent_shape: latentShape,
      threads: options.threads ?? null,
      decode_s: decodeS,
      decode_runs_s: decodeRuns,
      encode_s: encodeS,
      encode_runs_s: encodeRuns,
      gflop_per_decode: gflopDecode,
      gflop_per_encode: gflopEncode,
      decode_gflops: gflopDecode / decodeS,
      encode_gflops: gflopEncode / encodeS,
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    await vae.release();
  }
}

/** The benchmark as text lines, as `lego bench` prints it. */
export function formatVaeBench(r: VaeBenchResult): string {
  const size = `${r.resolution}x${r.resolution}`;
  return [
    `decode  ${r.decode_s.toFixed(3)} s  ${r.gflop_per_decode.toFixed(1)} GFLOP  ${r.decode_gflops.toFixed(0)} GFLOP/s  (latent ${r.latent_shape.slice(1).join('x')} to ${size})`,
    `encode  ${r.encode_s.toFixed(3)} s  ${r.gflop_per_encode.toFixed(1)} GFLOP  ${r.encode_gflops.toFixed(0)} GFLOP/s  (${size} to latent)`,
    `peak RSS ${r.peak_rss_mb.toFixed(0)} MB`,
  ].join('\n');
}
