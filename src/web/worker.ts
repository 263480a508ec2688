// The generation worker: owns the model and ONNX Runtime, so the page stays responsive while bricks
// run. Same code path as `lego generate` (LegoRunner + generate()), so the same seed gives the same image.
import { encodePng } from '../data/png.js';
import { generate, toUint8Image } from '../diffusion/generate.js';
import { decodeCheckpoint } from '../io/checkpoint.js';
import { countParameters } from '../lego/model.js';
import { LegoRunner } from '../lego/runner.js';
import { configureWebRuntime } from '../runtime/ort-web.js';
import type { FromWorker, ToWorker, WebGenerateRequest } from './protocol.js';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

let runner: LegoRunner | null = null;
let running: { id: number; abort: AbortController } | null = null;
// Messages are handled one after another (a load waits for a generation to finish or cancel).
let queue: Promise<void> = Promise.resolve();

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === 'cancel') {
    if (running?.id === message.id) running.abort.abort();
    return;
  }
  queue = queue.then(() => handle(message)).catch((e: unknown) => {
    const id = message.type === 'generate' ? message.id : undefined;
    scope.postMessage({ type: 'error', id, message: e instanceof Error ? e.message : String(e) });
  });
};

async function handle(message: Exclude<ToWorker, { type: 'cancel' }>): Promise<void> {
  switch (message.type) {
    case 'init':
      configureWebRuntime(message);
      return;
    case 'load': {
      const checkpoint = decodeCheckpoint(new Uint8Array(message.bytes), message.name);
      await runner?.release();
      runner = new LegoRunner(checkpoint.config, checkpoint.weights);
      const { config } = checkpoint;
      const brickFlops = runner.brickFlops(1, config.imgResolution, config.imgResolution);
      scope.postMessage({ type: 'loaded', name: message.name, config, parameters: countParameters(config), brickFlops });
      return;
    }
    case 'generate':
      return generateOne(message.id, message.request);
  }
}

async function generateOne(id: number, request: WebGenerateRequest): Promise<void> {
  if (!runner) throw new Error('no model loaded');
  const model = runner;
  const abort = new AbortController();
  running = { id, abort };
  const stepMs: number[] = [];
  let stepStart = performance.now();
  try {
    const { images, stats } = await generate(
      model,
      {
        seeds: [request.seed],
        batch: 1,
        classLabel: request.classLabel,
        steps: request.steps,
        cfgScale: request.cfgScale,
        width: request.width,
        height: request.height,
        wrap: request.wrap,
        shiftTiles: request.shiftTiles,
        skip: request.skip,
      },
      {
        signal: abort.signal,
        onStep: async ({ step, steps, sigma, stopAfter, denoised, shape }) => {
          const now = performance.now();
          stepMs.push(now - stepStart);
          stepStart = now;
          const [, channels, height, width] = shape;
          const pixels = toUint8Image(denoised, 0, channels, height, width);
          scope.postMessage(
            { type: 'step', id, step, steps, sigma, stopAfter, ms: stepMs[step], preview: { width, height, channels, pixels } },
            [pixels.buffer],
          );
          // ONNX Runtime's runs finish as microtasks: yield a macrotask so a cancel message gets through.
          await new Promise((resume) => setTimeout(resume, 0));
        },
      },
    );
    const img = images[0];
    const png = encodePng({ width: img.width, height: img.height, channels: img.channels, data: img.pixels }, 6);
    const image = { width: img.width, height: img.height, channels: img.channels, pixels: img.pixels };
    scope.postMessage(
      {
        type: 'done', id, seed: img.seed, classLabel: img.classLabel, image, png, seconds: stats.seconds, stepMs,
        bricks: stats.bricks,
      },
      [img.pixels.buffer, png.buffer],
    );
  } catch (e) {
    if (abort.signal.aborted) scope.postMessage({ type: 'cancelled', id });
    else throw e;
  } finally {
    running = null;
  }
}
