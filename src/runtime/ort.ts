// The ONNX Runtime this build runs on: onnxruntime-node here; the browser build swaps in ort-web.ts
// (scripts/build-web.mjs maps this module to it), so executable.ts is the same code on both.
import ort from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-common';
import { DEFAULT_LOWERING, type OnnxLowering } from '../graph/onnx.js';

export { ort };

/** The ONNX forms the native build runs fastest: its fused kernels everywhere. */
export const onnxLowering: OnnxLowering = DEFAULT_LOWERING;

/** Whether `session.run` may write outputs into arrays the caller preallocated. */
export const preallocatedOutputs = true;

export interface PlatformSessionSettings {
  threads?: number;
  /** Let idle pool threads spin for the next op (ONNX Runtime's default) instead of sleeping. */
  spinWhenIdle?: boolean;
  profilePrefix?: string;
}

/** Session options for the native CPU provider. */
export function sessionOptions(settings: PlatformSessionSettings): InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    // Measured on lego_S_PG_64, batch 8: without the memory pattern a forward is 8% faster and a
    // training step peaks at 6.0 GB instead of 8.7 GB (the pattern block comes on top of the arena).
    enableMemPattern: false,
    // Idle pool threads spin by default. Between the runs of a sampler (rolls, preconditioning: the JavaScript
    // between bricks) a spinning thread takes a core from the main thread: measured on the LEGO-PG MNIST
    // model (training/mnist-pg/lego-mnist-pg-32.safetensors, the embedded model until December 2026; see
    // docs/performance.md), 2 threads that spin run a brick call 2x slower than 2 that sleep (and slower
    // than 1 thread).
    ...(settings.spinWhenIdle ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
    ...(settings.threads ? { intraOpNumThreads: settings.threads, interOpNumThreads: 1 } : {}),
    ...(settings.profilePrefix ? { enableProfiling: true, profileFilePrefix: settings.profilePrefix } : {}),
  };
}
