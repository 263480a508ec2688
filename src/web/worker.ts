// The generation worker: owns the model and ONNX Runtime, so the page stays responsive while bricks
// run. Same code path as `lego generate` (LegoRunner + generate()), so the same seed gives the same image;
// a latent model's samples are decoded by the VAE that lego serve hands out (/vae.safetensors).
import { imageGrid } from '../data/image-grid.js';
import { encodePng } from '../data/png.js';
import { decodeLatents, generate, toUint8Image } from '../diffusion/generate.js';
import { decodeCheckpoint } from '../io/checkpoint.js';
import { latentInfo } from '../io/latent-checkpoint.js';
import { decodeVaeFile } from '../io/vae-file.js';
import { downscaleFactor } from '../vae/config.js';
import { Vae } from '../vae/vae.js';
import { countParameters } from '../lego/model.js';
import type { LegoCheckpoint } from '../io/checkpoint.js';
import { LegoRunner } from '../lego/runner.js';
import type { Precision } from '../nn/linear.js';
import { configureWebRuntime } from '../runtime/ort-web.js';
import { Rng } from '../random.js';
import { median } from '../timing.js';
import { STEP_MESSAGE_INTERVAL_MS, WARM_WINDOW, type FromWorker, type StepRow, type ToWorker, type WebGenerateRequest, type WebImage } from './protocol.js';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

let checkpoint: LegoCheckpoint | null = null;
/** One runner per precision asked for, made on first use (an int8 runner quantises the weights then). */
const runners = new Map<Precision, LegoRunner>();
let running: { id: number; abort: AbortController } | null = null;
/** The server's VAE, fetched once when a latent model is first loaded. */
let serverVae: Vae | null = null;
/** The VAE of the loaded model when it is latent. */
let modelVae: Vae | null = null;
/** Profile the graphs of the next image (then print the profiles to the console and stop). */
let profiling = false;
// Messages are handled one after another (a load waits for a generation to finish or cancel).
let queue: Promise<void> = Promise.resolve();

scope.onmessage = (event) => {
  const message = event.data;
  // A request ends the warm-up at its next evaluation: the request warms the kernels itself.
  if (message.type !== 'cancel') waiting++;
  if (message.type === 'cancel') {
    if (running?.id === message.id) running.abort.abort();
    return;
  }
  queue = queue.then(() => {
    waiting--;
    return handle(message);
  }).catch((e: unknown) => {
    const id = message.type === 'generate' ? message.id : undefined;
    scope.postMessage({ type: 'error', id, message: e instanceof Error ? e.message : String(e) });
  });
};

async function handle(message: Exclude<ToWorker, { type: 'cancel' }>): Promise<void> {
  switch (message.type) {
    case 'init':
      await configureWebRuntime(message);
      profiling = message.profile;
      return;
    case 'load': {
      const loaded = decodeCheckpoint(new Uint8Array(message.bytes), message.name);
      const vae = latentInfo(loaded.config, loaded.metadata).latent ? await vaeFor(message.name, loaded.config.imgChannels) : null;
      await Promise.all([...runners.values()].map((r) => r.release()));
      runners.clear();
      checkpoint = loaded;
      modelVae = vae;
      const { config } = loaded;
      const brickFlops = runnerFor('float32').brickFlops(1, config.imgResolution, config.imgResolution);
      const factor = vae ? downscaleFactor(vae.config) : 1;
      const vaeName = vae ? `[${vae.config.blockOutChannels.join(', ')}], ${vae.config.latentChannels} latent channels` : null;
      scope.postMessage({ type: 'loaded', name: message.name, config, parameters: countParameters(config), brickFlops, factor, vae: vaeName });
      return;
    }
    case 'warm':
      return warmUp(message.precision);
    case 'generate':
      return generateBatch(message.id, message.request);
  }
}

/** Requests received and not yet started (a warm-up gives way to them). */
let waiting = 0;

/** A warm-up runs at least this long, then until evaluations stop getting faster, and at most this long. */
const WARM_MIN_MS = 3000;
const WARM_MAX_MS = 10_000;
/** And at least as many evaluations as one image of 20 Heun steps: stopped after 16, first images still had slow steps. */
const WARM_MIN_EVALUATIONS = 40;
/** The longest idle gap after an evaluation (the first one, which compiles, takes seconds). */
const WARM_GAP_MAX_MS = 100;
/** Evaluations stop getting faster: the median of the last WARM_WINDOW is within this factor of the 10th percentile. */
const WARM_SETTLED = 1.2;

/**
 * Compile the graphs of the training canvas in `precision` and run throw-away evaluations while the user
 * is choosing settings, so that the first image runs at the speed of the tenth. Browsers compile
 * WebAssembly in two tiers: quick baseline code first, optimised code later, for the functions that turn
 * out hot (V8: Liftoff, then TurboFan in the background). Measured in docs/performance.md on the LEGO-PG
 * MNIST model (training/mnist-pg/lego-mnist-pg-32.safetensors, the embedded model until December 2026):
 * evaluations take 30-80 ms for the first ~4 s of running and 10-12 ms once the hot kernels are optimised.
 * The optimising compiler needs a share of the cores for that, so the warm-up leaves gaps between evaluations.
 * A request ends the warm-up at once.
 */
async function warmUp(precision: Precision): Promise<void> {
  if (!checkpoint) {
    scope.postMessage({ type: 'warm', ms: 0, timesMs: [] });
    return;
  }
  const { config } = checkpoint;
  const runner = runnerFor(precision);
  const r = config.imgResolution;
  const shape = [1, config.imgChannels, r, r] as const;
  const x = new Rng(0).fillNormal(new Float32Array(config.imgChannels * r * r));
  const labels = config.labelDim > 0 ? new Float32Array(config.labelDim) : null;
  const start = performance.now();
  // A latent model's previews are VAE decodes: compile the decoder too.
  if (modelVae && waiting === 0) await decodeLatents(modelVae, x, shape);
  const times: number[] = [];
  // Against a low percentile, not the fastest: one stray 7 ms evaluation among 10-11 ms ones kept a warm-up
  // running to WARM_MAX_MS.
  const settled = () => {
    const all = times.slice().sort((a, b) => a - b);
    return times.length >= WARM_WINDOW && median(times.slice(-WARM_WINDOW)) <= WARM_SETTLED * all[Math.floor(all.length / 10)];
  };
  while (waiting === 0) {
    const t = performance.now();
    await runner.forward(x, shape, [config.sigmaData], { labels });
    times.push(performance.now() - t);
    // Idle as long as the evaluation took (at most WARM_GAP_MAX_MS). The optimised code is compiled on the
    // browser's background threads, which get next to no core while the runtime's two threads run evaluation
    // after evaluation: measured, back-to-back evaluations stayed at 30-100 ms for 5.5-6 s before the optimised
    // code arrived (10-12 ms); with this gap they reached 10-20 ms by the third one.
    await new Promise((done) => setTimeout(done, Math.min(times[times.length - 1], WARM_GAP_MAX_MS)));
    const elapsed = performance.now() - start;
    if (elapsed >= WARM_MAX_MS || (elapsed >= WARM_MIN_MS && times.length >= WARM_MIN_EVALUATIONS && settled())) break;
  }
  scope.postMessage({ type: 'warm', ms: performance.now() - start, timesMs: times });
}

/** The server's VAE for a latent model (`name`, denoising `channels`); an error when the server has none that fits. */
async function vaeFor(name: string, channels: number): Promise<Vae> {
  if (!serverVae) {
    const response = await fetch(new URL('./vae.safetensors', import.meta.url));
    if (!response.ok) throw new Error(`${name} is a latent model: it needs its VAE to make images; start lego serve with --vae PATH`);
    const { config, weights } = decodeVaeFile(new Uint8Array(await response.arrayBuffer()), 'vae.safetensors');
    serverVae = new Vae(config, weights);
  }
  if (serverVae.config.latentChannels !== channels) {
    throw new Error(`${name} denoises ${channels} channels but the server's VAE makes ${serverVae.config.latentChannels}-channel latents`);
  }
  return serverVae;
}

function runnerFor(precision: Precision): LegoRunner {
  if (!checkpoint) throw new Error('no model loaded');
  let runner = runners.get(precision);
  if (!runner) {
    runner = new LegoRunner(checkpoint.config, checkpoint.weights, {
      precision, quantized: checkpoint.quantized, constantWeights: true, profilePrefix: profiling ? 'lego' : undefined,
    });
    runners.set(precision, runner);
  }
  return runner;
}

/** An 8-bit image of each image in (B, C, H, W) floats, or for a latent model of their VAE decodes; a grid of several. */
async function previewOf(denoised: Float32Array, shape: readonly [number, number, number, number], vae: Vae | null): Promise<WebImage> {
  const [b, channels, height, width] = shape;
  const images: WebImage[] = vae
    ? await decodeLatents(vae, denoised, shape)
    : Array.from({ length: b }, (_, i) => ({ width, height, channels, pixels: toUint8Image(denoised, i * channels * height * width, channels, height, width) }));
  return images.length === 1 ? images[0] : imageGrid(images);
}

async function generateBatch(id: number, request: WebGenerateRequest): Promise<void> {
  const model = runnerFor(request.precision);
  const abort = new AbortController();
  running = { id, abort };
  const stepMs: number[] = [];
  let stepStart = performance.now();
  const vae = modelVae;
  const factor = vae ? downscaleFactor(vae.config) : 1;
  const seeds = Array.from({ length: request.images }, (_, i) => request.seed + i);
  // A preview of a latent model is a VAE decode: when one takes longer than a step, decode only every so many steps.
  let previewEvery = 1;
  let previewMs = 0;
  let stepsSinceDecode = 0;
  // Steps are reported in messages at most STEP_MESSAGE_INTERVAL_MS apart: each one redraws the page.
  let rows: StepRow[] = [];
  let lastMessage = -Infinity;
  try {
    const { images, stats } = await generate(
      model,
      {
        seeds,
        batch: seeds.length,
        classLabel: request.classLabel,
        steps: request.steps,
        cfgScale: request.cfgScale,
        width: request.width / factor,
        height: request.height / factor,
        wrap: request.wrap,
        shiftTiles: request.shiftTiles,
        skip: request.skip,
        vae: vae ?? undefined,
      },
      {
        signal: abort.signal,
        onStep: async ({ step, steps, sigma, stopAfter, denoised, shape }) => {
          stepMs.push(performance.now() - stepStart);
          rows.push({ step, sigma, stopAfter, ms: stepMs[step] });
          stepsSinceDecode++;
          const last = step === steps - 1;
          if (last || performance.now() - lastMessage >= STEP_MESSAGE_INTERVAL_MS) {
            let preview: WebImage | null = null;
            if (!vae || stepsSinceDecode >= previewEvery || last) {
              const previewStart = performance.now();
              preview = await previewOf(denoised, shape, vae);
              previewMs = performance.now() - previewStart;
              stepsSinceDecode = 0;
              if (vae) previewEvery = Math.max(1, Math.ceil(previewMs / stepMs[step]));
            }
            scope.postMessage({ type: 'steps', id, steps, rows, preview, previewEvery, previewMs }, preview ? [preview.pixels.buffer] : []);
            rows = [];
            lastMessage = performance.now();
          }
          // The next step's time starts here: a preview's decode is not the sampler's.
          stepStart = performance.now();
          // ONNX Runtime's runs finish as microtasks: yield a macrotask so a cancel message gets through.
          await new Promise((resume) => setTimeout(resume, 0));
        },
      },
    );
    if (profiling) {
      profiling = false;
      // Each graph's profile follows a line naming it (its runner key, e.g. brick0:1x32x32).
      await model.endProfiling((graph) => console.log(`lego-profile ${graph}`));
    }
    // One image as it is; a batch as `lego generate`'s grid.png of the same seeds.
    const image: WebImage = images.length === 1 ? images[0] : imageGrid(images);
    const png = encodePng({ width: image.width, height: image.height, channels: image.channels, data: image.pixels }, 6);
    scope.postMessage(
      {
        type: 'done', id, images: images.map(({ seed, classLabel }) => ({ seed, classLabel })),
        image: { width: image.width, height: image.height, channels: image.channels, pixels: image.pixels },
        png, seconds: stats.seconds, stepMs, bricks: stats.bricks,
      },
      [image.pixels.buffer, png.buffer],
    );
  } catch (e) {
    if (abort.signal.aborted) scope.postMessage({ type: 'cancelled', id });
    else throw e;
  } finally {
    running = null;
  }
}
