// Classifier-free guidance (Ho & Salimans 2022; LEGO-SPEC "Sampler"): one network call on the batch
// doubled into [conditional; unconditional] rows, F = F_u + s (F_c - F_u), then D = c_skip x + c_out F.
import { numel } from '../graph/ops.js';
import { preconditionOutput } from '../lego/precond.js';
import type { DenoiseOptions, LegoRunner } from '../lego/runner.js';

export interface GuidanceOptions extends DenoiseOptions {
  /** Classifier-free guidance scale s; 1 (default) runs no unconditional pass. */
  cfgScale?: number;
}

/**
 * Denoised images D(x; sigma) (B, C, H, W) from noisy x, one sigma per image, with classifier-free
 * guidance on conditional models: the one way generation, the web app and `lego bench` denoise.
 */
export async function guidedDenoise(
  runner: LegoRunner,
  x: Float32Array,
  shape: readonly number[],
  sigma: ArrayLike<number>,
  options: GuidanceOptions = {},
): Promise<Float32Array> {
  const { cfgScale = 1, ...rest } = options;
  const { labelDim, sigmaData } = runner.config;
  if (cfgScale === 1 || labelDim === 0) return runner.denoise(x, shape, sigma, rest);
  const [b, ...image] = shape;
  const pixels = numel(image);
  const doubledShape = [2 * b, ...image];
  const sigmas = Array.from({ length: 2 * b }, (_, i) => sigma[i % b]);
  const labels = withNullLabels(options.labels ?? null, b, labelDim);
  const f = await runner.forward(twice(x, b * pixels), doubledShape, sigmas, { ...rest, labels });
  return preconditionOutput(x, mixGuidance(f, b * pixels, cfgScale), shape, sigma, sigmaData);
}

/** The first `count` values of x, then the same values again: the conditional and the unconditional rows. */
function twice(x: Float32Array, count: number): Float32Array {
  const out = new Float32Array(2 * count);
  out.set(x.subarray(0, count));
  out.set(x.subarray(0, count), count);
  return out;
}

/** Labels (2B, labelDim): the given rows (zeros where absent), then B null labels (zeros). */
function withNullLabels(labels: Float32Array | null, b: number, labelDim: number): Float32Array {
  const out = new Float32Array(2 * b * labelDim);
  if (labels) out.set(labels.subarray(0, b * labelDim));
  return out;
}

/**
 * F = F_u + s (F_c - F_u) on all channels, from f = [F_c; F_u] of `count` values each. Kept in float64:
 * the mix is rounded to float32 only once, with the preconditioning.
 */
function mixGuidance(f: Float32Array, count: number, scale: number): Float64Array {
  const mixed = new Float64Array(count);
  for (let at = 0; at < count; at++) mixed[at] = f[count + at] + scale * (f[at] - f[count + at]);
  return mixed;
}
