// The generation worker: owns the model and ONNX Runtime, so the page stays responsive while bricks
// run. Same code path as `lego generate` (LegoRunner + generate()), so the same seed gives the same image;
// a latent model's samples are decoded by the VAE that lego serve hands out (/vae.safetensors).
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
import type { FromWorker, ToWorker, WebGenerateRequest, WebImage } from './protocol.js';

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
    case 'generate':
      return generateOne(message.id, message.request);
  }
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
    runner = new LegoRunner(checkpoint.config, checkpoint.weights, { precision });
    runners.set(precision, runner);
  }
  return runner;
}

async function generateOne(id: number, request: WebGenerateRequest): Promise<void> {
  const model = runnerFor(request.precision);
  const abort = new AbortController();
  running = { id, abort };
  const stepMs: number[] = [];
  let stepStart = performance.now();
  const vae = modelVae;
  const factor = vae ? downscaleFactor(vae.config) : 1;
  // A latent preview is a VAE decode: when one takes longer than a step, decode only every so many steps.
  let previewEvery = 1;
  let previewMs = 0;
  try {
    const { images, stats } = await generate(
      model,
      {
        seeds: [request.seed],
        batch: 1,
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
          let preview: WebImage | null = null;
          if (!vae) {
            const [, channels, height, width] = shape;
            preview = { width, height, channels, pixels: toUint8Image(denoised, 0, channels, height, width) };
          } else if (step % previewEvery === 0 || step === steps - 1) {
            const decodeStart = performance.now();
            [preview] = await decodeLatents(vae, denoised, shape);
            previewMs = performance.now() - decodeStart;
            previewEvery = Math.max(1, Math.ceil(previewMs / stepMs[step]));
          }
          // The next step's time starts here: a preview's decode is not the sampler's.
          stepStart = performance.now();
          scope.postMessage(
            { type: 'step', id, step, steps, sigma, stopAfter, ms: stepMs[step], preview, previewEvery, previewMs },
            preview ? [preview.pixels.buffer] : [],
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
