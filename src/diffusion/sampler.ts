// The EDM sampler with stochastic churn (Karras et al. 2022, Algorithm 2; LEGO-SPEC "Sampler"):
// Heun's 2nd-order steps (Euler on request), the state kept in float64, the network in float32,
// and a per-step choice of the brick to stop after (brick skipping).
import { edmSigmas, type ScheduleOptions } from './schedule.js';

/** Where in the trajectory a network evaluation happens. */
export interface EvalContext {
  /** Sampler step (0-based). */
  step: number;
  /** Brick to stop after (undefined: all bricks). */
  stopAfter: number | undefined;
}

/** D(x; sigma) for a batch: x (B, ...) float32, one sigma for the whole batch. */
export type Denoiser = (x: Float32Array, sigma: number, context: EvalContext) => Promise<Float32Array>;

/** Sampler steps when none are given: EDM's 18 (35 network evaluations with Heun). */
export const DEFAULT_STEPS = 18;

export interface SamplerOptions extends ScheduleOptions {
  /** Number of steps (default `DEFAULT_STEPS`). */
  steps?: number;
  solver?: 'heun' | 'euler';
  sChurn?: number;
  sMin?: number;
  sMax?: number;
  sNoise?: number;
  /** Brick to stop after at step i (undefined: all bricks). */
  stopAfterAt?: (step: number, sigma: number) => number | undefined;
  /** Churn noise for step i, filled into `out` (B, ...): one stream per image keeps images independent of batching. */
  churnNoise?: (step: number, out: Float64Array) => void;
  /** Called after every step with the denoised estimate at the step's first evaluation. */
  onStep?: (info: { step: number; sigma: number; denoised: Float32Array }) => void | Promise<void>;
  signal?: AbortSignal;
}

/** Sample from latents (standard normal, (B, ...)) to images in float64. */
export async function edmSample(denoise: Denoiser, latents: Float32Array | Float64Array, options: SamplerOptions = {}): Promise<Float64Array> {
  const { steps = DEFAULT_STEPS, solver = 'heun', sChurn = 0, sMin = 0, sMax = Infinity, sNoise = 1 } = options;
  const t = edmSigmas(steps, options);
  const n = latents.length;
  let x = Float64Array.from(latents, (v) => v * t[0]);
  const eps = new Float64Array(n);
  const toF32 = (v: Float64Array) => Float32Array.from(v);
  for (let i = 0; i < steps; i++) {
    options.signal?.throwIfAborted();
    const [tCur, tNext] = [t[i], t[i + 1]];
    const stopAfter = options.stopAfterAt?.(i, tCur);
    const gamma = sMin <= tCur && tCur <= sMax ? Math.min(sChurn / steps, Math.SQRT2 - 1) : 0;
    const tHat = tCur + gamma * tCur;
    const xHat = x;
    if (gamma > 0) {
      if (!options.churnNoise) throw new Error('internal: edmSample: churn needs a churnNoise source');
      options.churnNoise(i, eps);
      const scale = Math.sqrt(tHat * tHat - tCur * tCur) * sNoise;
      for (let j = 0; j < n; j++) xHat[j] = x[j] + scale * eps[j];
    }
    const denoised = await denoise(toF32(xHat), tHat, { step: i, stopAfter });
    const dCur = new Float64Array(n);
    const next = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      dCur[j] = (xHat[j] - denoised[j]) / tHat;
      next[j] = xHat[j] + (tNext - tHat) * dCur[j];
    }
    if (solver === 'heun' && i < steps - 1) {
      const denoised2 = await denoise(toF32(next), tNext, { step: i, stopAfter });
      for (let j = 0; j < n; j++) {
        const dPrime = (next[j] - denoised2[j]) / tNext;
        next[j] = xHat[j] + (tNext - tHat) * (0.5 * dCur[j] + 0.5 * dPrime);
      }
    }
    x = next;
    await options.onStep?.({ step: i, sigma: tCur, denoised });
  }
  return x;
}
