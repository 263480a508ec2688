// The ONNX Runtime this build runs on: onnxruntime-node here; the browser build swaps in ort-web.ts
// (scripts/build-web.mjs maps this module to it), so executable.ts is the same code on both.
import ort from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-common';

export { ort };

/** Whether `session.run` may write outputs into arrays the caller preallocated. */
export const preallocatedOutputs = true;

export interface PlatformSessionSettings {
  threads?: number;
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
    ...(settings.threads ? { intraOpNumThreads: settings.threads, interOpNumThreads: 1 } : {}),
    ...(settings.profilePrefix ? { enableProfiling: true, profileFilePrefix: settings.profilePrefix } : {}),
  };
}
