// The browser's ONNX Runtime (onnxruntime-web): WebGPU when the page asks for it and the browser has
// it, multi-threaded WebAssembly otherwise. Stands in for ort.ts in the browser build.
import * as ort from 'onnxruntime-web';
import type { InferenceSession } from 'onnxruntime-common';
import type { PlatformSessionSettings } from './ort.js';

export { ort };

// The WebAssembly provider copies outputs out of its heap anyway; preallocated outputs buy nothing.
export const preallocatedOutputs = false;

export type WebProvider = 'webgpu' | 'wasm';

let provider: WebProvider = 'wasm';

/**
 * Choose the provider and threads before the first session is created. `threads` > 1 needs a
 * cross-origin-isolated page (SharedArrayBuffer); `lego serve` sends the headers for it.
 */
export function configureWebRuntime(options: { provider: WebProvider; threads: number; assetBase: string }): void {
  provider = options.provider;
  ort.env.wasm.numThreads = options.threads;
  ort.env.wasm.wasmPaths = options.assetBase;
}

export function sessionOptions(_settings: PlatformSessionSettings): InferenceSession.SessionOptions {
  return { graphOptimizationLevel: 'all', executionProviders: provider === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'] };
}
