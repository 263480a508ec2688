// A loaded VAE: decode latents to images and encode images to the posterior, on ONNX Runtime. Graphs are
// compiled once per input shape and kept; batches too large for one run go through in pieces.
import { InputError } from '../errors.js';
import { numel, type Shape } from '../graph/ops.js';
import { Executable } from '../runtime/executable.js';
import { decoderGraph, encoderGraph, IMAGES_INPUT, LATENTS_INPUT } from './autoencoder.js';
import { downscaleFactor, type VaeConfig } from './config.js';
import { checkVaeWeights, type VaeWeights } from './weights.js';

/** How a Vae runs its graphs. */
export interface VaeOptions {
  /** Intra-op threads per graph run (default: ONNX Runtime's choice, one per core). */
  threads?: number;
  /**
   * Images per graph run are chosen so that the largest activation of one run (the widest level at full
   * size) stays under this many bytes; a larger batch runs in pieces, each image whole, so results do
   * not depend on it. Default 256 MiB: a 512x512 SD decode runs one image at a time, peaking at 2.5 GB.
   */
  maxActivationBytes?: number;
}

/** The posterior of a batch of images: DiagonalGaussianDistribution's mean and std, (N, latent, h, w) each. */
export interface Posterior {
  mean: Float32Array;
  std: Float32Array;
  shape: number[];
}

const DEFAULT_MAX_ACTIVATION_BYTES = 256 * 2 ** 20;

/**
 * diffusers' AutoencoderKL with its weights. Latents are in the diffusion model's units (the VAE's
 * latents times `scaling_factor`) in and out, images are NCHW float32 in about [-1, 1].
 * @example
 * const vae = await loadVae('sd-vae-ft-ema');                       // io/vae-load.ts
 * const images = await vae.decode(latents, [1, 4, 32, 32]);          // (1, 3, 256, 256)
 * const pixels = vae.toUint8(images);                                // as the authors' generate.py
 * await vae.release();
 */
export class Vae {
  private readonly executables = new Map<string, Promise<Executable>>();

  /** Throws InputError when `weights` lacks a parameter of `config` or has one of the wrong size. */
  constructor(
    readonly config: VaeConfig,
    private readonly weights: VaeWeights,
    private readonly options: VaeOptions = {},
  ) {
    checkVaeWeights(weights, config, 'Vae');
  }

  /**
   * Images from latents: `decoder(post_quant_conv(latents / scaling_factor))`, as the authors' generate.py
   * calls `vae.decode(x / 0.18215).sample`. latents (N, latent, h, w) -> images (N, out, f h, f w), f the
   * downscale factor (8 for SD).
   */
  async decode(latents: Float32Array, shape: Shape): Promise<Float32Array> {
    const [n, c, h, w] = this.checkShape('decode: latents', latents, shape, this.config.latentChannels, 1);
    const f = downscaleFactor(this.config);
    const out = new Float32Array(n * this.config.outChannels * h * f * w * f);
    await this.inPieces(n, (h * f) * (w * f) * Math.max(...this.config.blockOutChannels), async (start, count) => {
      const exe = await this.executable('decode', [count, c, h, w]);
      const per = c * h * w;
      const result = await exe.run({ [LATENTS_INPUT]: latents.subarray(start * per, (start + count) * per) });
      out.set(result.images, start * (out.length / n));
    });
    return out;
  }

  /**
   * The posterior of images (N, in, H, W) in [-1, 1], H and W multiples of the downscale factor f:
   * mean and std (N, latent, H/f, W/f), log-variance clamped to [-30, 20] as diffusers does.
   */
  async encode(images: Float32Array, shape: Shape): Promise<Posterior> {
    const f = downscaleFactor(this.config);
    const [n, c, h, w] = this.checkShape('encode: images', images, shape, this.config.inChannels, f);
    const latentShape = [n, this.config.latentChannels, h / f, w / f];
    const mean = new Float32Array(numel(latentShape));
    const std = new Float32Array(mean.length);
    await this.inPieces(n, h * w * Math.max(...this.config.blockOutChannels), async (start, count) => {
      const exe = await this.executable('encode', [count, c, h, w]);
      const per = c * h * w;
      const result = await exe.run({ [IMAGES_INPUT]: images.subarray(start * per, (start + count) * per) });
      mean.set(result.mean, start * (mean.length / n));
      std.set(result.std, start * (std.length / n));
    });
    return { mean, std, shape: latentShape };
  }

  /**
   * Latents for the diffusion model from a posterior and standard normal noise of the same shape:
   * (mean + std * noise) * scaling_factor, as the authors' latent dataset tool makes them.
   */
  sampleLatents(posterior: Posterior, noise: Float32Array): Float32Array {
    const { mean, std } = posterior;
    if (noise.length !== mean.length) throw new InputError(`sampleLatents: noise has ${noise.length} values; the posterior has ${mean.length}`);
    const s = this.config.scalingFactor;
    // float32 at each step, as torch computes it.
    return mean.map((m, i) => Math.fround(Math.fround(m + Math.fround(std[i] * noise[i])) * s));
  }

  /** Decoded images to 8-bit pixels as the authors' generate.py: clip(x * 127.5 + 128, 0, 255), truncated. */
  toUint8(decoded: Float32Array): Uint8Array {
    return Uint8Array.from(decoded, (x) => Math.min(255, Math.max(0, Math.fround(Math.fround(x * 127.5) + 128))));
  }

  /** Free every compiled graph (the weights stay; the Vae can be used again). */
  async release(): Promise<void> {
    const all = [...this.executables.values()];
    this.executables.clear();
    for (const exe of all) await (await exe).release();
  }

  // -------------------------------------------------------------------------------------------

  private checkShape(what: string, data: Float32Array, shape: Shape, channels: number, multiple: number): number[] {
    const [n, c, h, w] = shape;
    if (shape.length !== 4 || c !== channels || !(n > 0) || !(h > 0) || !(w > 0) || h % multiple !== 0 || w % multiple !== 0) {
      const sizes = multiple > 1 ? `, H and W multiples of ${multiple}` : '';
      throw new InputError(`${what}: shape [${shape.join(', ')}]; expected [N, ${channels}, H, W]${sizes}`);
    }
    if (data.length !== numel(shape)) throw new InputError(`${what}: ${data.length} values for shape [${shape.join(', ')}] (${numel(shape)})`);
    return [...shape];
  }

  /** Run `step` over the batch in runs of as many images as the activation budget allows. */
  private async inPieces(n: number, activationPerImage: number, step: (start: number, count: number) => Promise<void>): Promise<void> {
    const budget = this.options.maxActivationBytes ?? DEFAULT_MAX_ACTIVATION_BYTES;
    const per = Math.max(1, Math.min(n, Math.floor(budget / (4 * activationPerImage))));
    for (let start = 0; start < n; start += per) await step(start, Math.min(per, n - start));
  }

  private executable(kind: 'encode' | 'decode', shape: number[]): Promise<Executable> {
    const key = `${kind} ${shape.join('x')}`;
    let exe = this.executables.get(key);
    if (!exe) {
      // Weights are baked into the model: ONNX Runtime then reorders the conv filters once for its blocked
      // (NCHWc) kernels, which it does only for constant filters (a decode is 10-30% faster measured).
      const options = { threads: this.options.threads, name: `vae ${key}`, constants: this.weights };
      if (kind === 'decode') {
        exe = Executable.compile({ images: decoderGraph(this.config, shape).images }, options);
      } else {
        const { mean, std } = encoderGraph(this.config, shape);
        exe = Executable.compile({ mean, std }, options);
      }
      this.executables.set(key, exe);
    }
    return exe;
  }
}
