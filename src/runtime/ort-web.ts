// The browser's ONNX Runtime (onnxruntime-web): WebGPU when the page asks for it and the browser has
// it, multi-threaded WebAssembly otherwise. Stands in for ort.ts in the browser build.
//
// Which build is loaded matters: the WebGPU build (JSEP) is compiled with Asyncify, which makes every
// WebAssembly kernel slower, so a WebAssembly session loads the plain SIMD + threads build instead
// (measured in docs/performance.md: bricks 1.3-2.1x faster). Both are served by `lego serve` under ort/.
import type * as OrtWeb from 'onnxruntime-web';
import type { InferenceSession } from 'onnxruntime-common';
import type { OnnxLowering } from '../graph/onnx.js';
import type { PlatformSessionSettings } from './ort.js';

type OrtModule = typeof OrtWeb;

/** The loaded build; set by `configureWebRuntime`, before the first session. */
export let ort: OrtModule;

/**
 * The ONNX forms the WebAssembly build runs fastest: attention over 4-token tiles as broadcast products
 * (measured in docs/performance.md: the fused kernel took 3.9x native's time there).
 */
export const onnxLowering: OnnxLowering = { elementwiseAttentionTokens: 4 };

// The WebAssembly provider copies outputs out of its heap anyway; preallocated outputs buy nothing.
export const preallocatedOutputs = false;

export type WebProvider = 'webgpu' | 'wasm';

/** The ES module of each build, under the page's ort/ folder. */
const BUILD_FILES: Record<WebProvider, string> = {
  webgpu: 'ort.bundle.min.mjs',
  wasm: 'ort.wasm.bundle.min.mjs',
};

let provider: WebProvider = 'wasm';

/**
 * Load the build for `provider` and set its threads, before the first session is created. `threads` > 1
 * needs a cross-origin-isolated page (SharedArrayBuffer); `lego serve` sends the headers for it.
 */
export async function configureWebRuntime(options: { provider: WebProvider; threads: number; assetBase: string }): Promise<void> {
  provider = options.provider;
  ort = (await import(new URL(BUILD_FILES[provider], options.assetBase).href)) as OrtModule;
  ort.env.wasm.numThreads = options.threads;
  ort.env.wasm.wasmPaths = options.assetBase;
}

/** Session options; a profile (`profilePrefix` set) is printed to the console as JSON when it ends. */
export function sessionOptions(settings: PlatformSessionSettings): InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: 'all',
    executionProviders: provider === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'],
    ...(settings.profilePrefix ? { enableProfiling: true } : {}),
  };
}
