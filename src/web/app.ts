// The page: settings, brick dial, live previews and timing; the model runs in worker.ts.
import { DEFAULT_STEPS } from '../diffusion/sampler.js';
import { dialSchedule, evaluationsPerStep, planCost, type DialSetting } from '../diffusion/skip-plan.js';
import { canvasProblem, largestTile, type LegoConfig } from '../lego/config.js';
import { median } from '../timing.js';
import { WARM_WINDOW, type FromWorker, type StepRow, type ToWorker, type WebGenerateRequest, type WebImage, type WebProvider } from './protocol.js';

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page is missing #${id}`);
  return el as T;
};

const ui = {
  modelInfo: $('model-info'),
  modelFile: $<HTMLInputElement>('model-file'),
  modelDefault: $<HTMLButtonElement>('model-default'),
  provider: $<HTMLSelectElement>('provider'),
  engineInfo: $('engine-info'),
  form: $<HTMLFormElement>('settings'),
  classLabel: $<HTMLSelectElement>('class'),
  seed: $<HTMLInputElement>('seed'),
  images: $<HTMLInputElement>('images'),
  steps: $<HTMLInputElement>('steps'),
  cfg: $<HTMLInputElement>('cfg'),
  width: $<HTMLInputElement>('width'),
  height: $<HTMLInputElement>('height'),
  wrap: $<HTMLInputElement>('wrap'),
  shiftTiles: $<HTMLInputElement>('shift-tiles'),
  precision: $<HTMLSelectElement>('precision'),
  skipMode: $<HTMLSelectElement>('skip-mode'),
  skipFraction: $<HTMLInputElement>('skip-fraction'),
  skipFractionValue: $<HTMLOutputElement>('skip-fraction-value'),
  skipDropped: $<HTMLInputElement>('skip-dropped'),
  dialMap: $('dial-map'),
  dialSummary: $('dial-summary'),
  problem: $('form-problem'),
  generate: $<HTMLButtonElement>('generate'),
  cancel: $<HTMLButtonElement>('cancel'),
  download: $<HTMLButtonElement>('download'),
  output: $<HTMLCanvasElement>('output'),
  progress: $<HTMLProgressElement>('progress'),
  status: $('status'),
  brickRows: $('brick-table').querySelector('tbody')!,
  stepRows: $('step-table').querySelector('tbody')!,
};

interface Model {
  name: string;
  config: LegoConfig;
  parameters: number;
  /** Image pixels per canvas pixel: a latent model's VAE downscale factor, 1 for pixel models. */
  factor: number;
}

/** What the page knows: the model, the run in flight, the last result (for download and time prediction). */
const state = {
  worker: null as Worker | null,
  model: null as Model | null,
  modelBytes: null as ArrayBuffer | null,
  /** The run in flight and the canvas it samples (the key of its brick timings). */
  running: null as { id: number; canvas: string } | null,
  nextId: 1,
  png: null as { bytes: Uint8Array; name: string } | null,
  /** Milliseconds per call of each brick measured on a canvas and batch (key WxHxN), for the dial's time prediction. */
  brickMs: new Map<string, number[]>(),
  /** FLOPs of one call of each brick on the training canvas. */
  brickFlops: null as number[] | null,
};

// Worker and engine ---------------------------------------------------------------------------------

async function chooseProvider(choice: string): Promise<WebProvider> {
  if (choice === 'wasm') return 'wasm';
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
  if (adapter) return 'webgpu';
  if (choice === 'webgpu') ui.problem.textContent = 'This browser has no WebGPU adapter; using WebAssembly.';
  return 'wasm';
}

async function startWorker(): Promise<void> {
  state.worker?.terminate();
  state.running = null;
  const provider = await chooseProvider(ui.provider.value);
  // Threads need SharedArrayBuffer, i.e. a cross-origin-isolated page (lego serve sends the headers).
  // ?threads=N and ?profile=1 are for measuring (npm run bench:web): thread count, ONNX Runtime's profiler.
  const query = new URLSearchParams(location.search);
  const asked = Number(query.get('threads'));
  const threads = globalThis.crossOriginIsolated ? Math.max(1, Math.min(asked || navigator.hardwareConcurrency || 1, 8)) : 1;
  ui.engineInfo.textContent = `Running on ${provider === 'webgpu' ? 'WebGPU' : `WebAssembly, ${threads} thread${threads > 1 ? 's' : ''}`}.`;
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = (event: MessageEvent<FromWorker>) => onWorkerMessage(event.data);
  worker.onerror = (event) => showError(`the generation worker failed: ${event.message}`);
  state.worker = worker;
  post({ type: 'init', provider, threads, assetBase: new URL('./ort/', location.href).href, profile: query.get('profile') === '1' });
  if (state.modelBytes && state.model) {
    post({ type: 'load', bytes: state.modelBytes.slice(0), name: state.model.name });
    warm();
  }
}

const precision = () => (ui.precision.value === 'int8' ? 'int8' : 'float32');

/** Warm-ups asked for and not yet finished. */
let warmUps = 0;

/** Ask the worker to warm up in the chosen precision (after the model it is loading, if any). */
function warm(): void {
  warmUps++;
  document.body.dataset.warm = 'false';
  post({ type: 'warm', precision: precision() });
}

function post(message: ToWorker, transfer: Transferable[] = []): void {
  state.worker?.postMessage(message, transfer);
}

async function loadModel(bytes: ArrayBuffer, name: string): Promise<void> {
  ui.modelInfo.textContent = `Loading ${name}…`;
  ui.generate.disabled = true;
  state.modelBytes = bytes;
  state.model = null;
  state.brickMs.clear();
  post({ type: 'load', bytes: bytes.slice(0), name });
  warm();
}

async function loadDefaultModel(): Promise<void> {
  const response = await fetch('./model.safetensors');
  if (!response.ok) throw new Error(`the embedded model could not be fetched (HTTP ${response.status})`);
  await loadModel(await response.arrayBuffer(), 'the embedded model');
}

// Messages from the worker --------------------------------------------------------------------------

function onWorkerMessage(message: FromWorker): void {
  switch (message.type) {
    case 'loaded':
      onModelLoaded(message);
      return;
    case 'warm':
      // Tools that measure the page (npm run bench:web) wait for this, as a user choosing settings would.
      warmUps = Math.max(0, warmUps - 1);
      document.body.dataset.warm = String(warmUps === 0);
      document.body.dataset.warmTimesMs = message.timesMs.map((t) => t.toFixed(1)).join(' ');
      if (!state.running && state.model && message.timesMs.length > 0) {
        ui.status.textContent = `Ready (warmed up: ${message.timesMs.length} evaluations in ${(message.ms / 1000).toFixed(1)} s, ` +
          `${median(message.timesMs.slice(-WARM_WINDOW)).toFixed(0)} ms each at the end).`;
      }
      return;
    case 'steps': {
      if (message.id !== state.running?.id) return;
      if (message.preview) drawImage(message.preview);
      const latest = message.rows[message.rows.length - 1];
      ui.progress.value = (latest.step + 1) / message.steps;
      ui.status.textContent = `Step ${latest.step + 1} of ${message.steps} (σ = ${latest.sigma.toPrecision(3)}), ${latest.ms.toFixed(0)} ms` +
        (message.previewEvery > 1 ? `; preview decoded every ${message.previewEvery} steps (a VAE decode takes ${message.previewMs.toFixed(0)} ms)` : '');
      addStepRows(message.rows);
      return;
    }
    case 'done':
      if (message.id !== state.running?.id) return;
      onDone(message);
      return;
    case 'cancelled':
      if (message.id !== state.running?.id) return;
      finishRun('Cancelled.');
      return;
    case 'error':
      if (message.id !== undefined && message.id !== state.running?.id) return;
      if (message.id === undefined) ui.modelInfo.textContent = 'No model loaded.';
      finishRun('');
      showError(message.message);
  }
}

function onModelLoaded(message: Extract<FromWorker, { type: 'loaded' }>): void {
  const { config } = message;
  const { factor } = message;
  state.model = { name: message.name, config, parameters: message.parameters, factor };
  state.brickFlops = message.brickFlops;
  const bricks = config.bricks.map((b) => `${b.resolution}px tiles`).join(', ');
  const size = config.imgResolution * factor;
  const latents = message.vae ? ` latents → ${size}×${size} images (VAE ${message.vae})` : '';
  ui.modelInfo.textContent = `${message.name}: ${config.imgResolution}×${config.imgResolution}×${config.imgChannels}${latents}, ` +
    `${config.bricks.length} brick${config.bricks.length === 1 ? '' : 's'} (${bricks}), ${(message.parameters / 1e6).toFixed(2)} M parameters, ` +
    (config.labelDim > 0 ? `${config.labelDim} classes.` : 'unconditional.');
  const previous = ui.classLabel.value;
  ui.classLabel.replaceChildren(new Option('random (from the seed)', 'random'));
  for (let c = 0; c < config.labelDim; c++) ui.classLabel.add(new Option(String(c), String(c)));
  ui.classLabel.value = [...ui.classLabel.options].some((o) => o.value === previous) ? previous : 'random';
  ui.classLabel.disabled = config.labelDim === 0;
  ui.cfg.disabled = config.labelDim === 0;
  const largest = largestTile(config) * factor;
  for (const input of [ui.width, ui.height]) {
    input.step = String(largest);
    input.min = String(largest);
    input.value = String(size);
  }
  ui.skipDropped.max = String(Math.max(1, config.bricks.length - 1));
  ui.skipMode.disabled = config.bricks.length < 2;
  ui.generate.disabled = state.running !== null;
  ui.status.textContent = warmUps > 0 ? 'Warming up (compiling the bricks, a few throw-away evaluations)…' : 'Ready.';
  updateForm();
}

function onDone(message: Extract<FromWorker, { type: 'done' }>): void {
  drawImage(message.image);
  const { images } = message;
  const first = images[0];
  const classes = new Set(images.map((i) => i.classLabel));
  const label = classes.size === 1 && first.classLabel !== null ? `-class${first.classLabel}` : '';
  const seeds = images.length === 1 ? `seed${first.seed}` : `seeds${first.seed}-${images[images.length - 1].seed}`;
  state.png = { bytes: message.png, name: `lego-${seeds}${label}.png` };
  ui.download.disabled = false;
  ui.download.textContent = images.length === 1 ? 'Download PNG' : 'Download grid PNG';
  const what = images.length === 1
    ? `seed ${first.seed}${first.classLabel === null ? '' : `, class ${first.classLabel}`}`
    : `${images.length} images, seeds ${first.seed}–${images[images.length - 1].seed}${label ? `, class ${first.classLabel}` : ''}`;
  ui.output.setAttribute('aria-label', `Generated ${images.length === 1 ? 'image' : 'grid'}: ${what}`);
  if (state.running) state.brickMs.set(state.running.canvas, message.bricks.map((b) => (b.calls > 0 ? b.ms / b.calls : NaN)));
  ui.brickRows.replaceChildren(
    ...message.bricks.map((b, k) => {
      const tr = row([
        String(k), String(b.calls), b.calls ? (b.ms / b.calls).toFixed(1) : '–', b.ms.toFixed(0),
        b.ms > 0 ? (b.flops / b.ms / 1e6).toFixed(1) : '–',
      ]);
      // Unrounded, for tools that read the page (npm run bench:web).
      Object.assign(tr.dataset, { calls: String(b.calls), ms: String(b.ms), flops: String(b.flops) });
      return tr;
    }),
  );
  finishRun(`Done in ${message.seconds.toFixed(2)} s (${what}).`);
  document.body.dataset.state = 'done';
  updateDial();
}

function finishRun(status: string): void {
  state.running = null;
  ui.generate.disabled = state.model === null;
  ui.cancel.disabled = true;
  if (status) ui.status.textContent = status;
}

function showError(text: string): void {
  ui.problem.textContent = text;
  document.body.dataset.state = 'error';
}

// Form ---------------------------------------------------------------------------------------------

function dialSetting(): DialSetting {
  return {
    mode: ui.skipMode.value as DialSetting['mode'],
    fraction: Number(ui.skipFraction.value),
    dropped: Number(ui.skipDropped.value) || 1,
  };
}

/** Images per run at most: one batch, drawn as one grid. */
const MAX_IMAGES = 64;

/** The request the form describes, or a problem naming the field. */
function readForm(): { request: WebGenerateRequest } | { problem: string } {
  const model = state.model;
  if (!model) return { problem: 'No model loaded yet.' };
  const int = (input: HTMLInputElement, name: string, min: number, max: number): number | string => {
    const v = Number(input.value);
    return input.value.trim() !== '' && Number.isInteger(v) && v >= min && v <= max ? v : `${name}: expected a whole number from ${min} to ${max}`;
  };
  const images = int(ui.images, 'Images', 1, MAX_IMAGES);
  const seed = int(ui.seed, 'Seed', 0, 2 ** 32 - 1);
  const steps = int(ui.steps, 'Steps', 1, 200);
  const width = int(ui.width, 'Width', 1, 4096);
  const height = int(ui.height, 'Height', 1, 4096);
  const cfgScale = Number(ui.cfg.value);
  for (const v of [images, seed, steps, width, height]) if (typeof v === 'string') return { problem: v };
  if ((seed as number) + (images as number) - 1 > 2 ** 32 - 1) return { problem: `Seed: the last of ${images} seeds from ${seed} is over 4294967295` };
  if (!Number.isFinite(cfgScale) || ui.cfg.value.trim() === '') return { problem: 'Guidance scale: expected a number' };
  const f = model.factor;
  if ((width as number) % f !== 0 || (height as number) % f !== 0) return { problem: `Canvas: a latent model's images are ${f}× its latents; give multiples of ${f}` };
  const canvas = canvasProblem(model.config, (height as number) / f, (width as number) / f);
  if (canvas) return { problem: `Canvas: ${canvas}${f > 1 ? ` (in latents, 1/${f} of the image)` : ''}` };
  const classLabel = ui.classLabel.value === 'random' ? 'random' : Number(ui.classLabel.value);
  const skip = dialSchedule(dialSetting(), steps as number, model.config.bricks.length);
  return {
    request: {
      seed: seed as number, images: images as number, classLabel, steps: steps as number, cfgScale, width: width as number, height: height as number,
      wrap: ui.wrap.checked, shiftTiles: ui.shiftTiles.checked, skip, precision: ui.precision.value === 'int8' ? 'int8' : 'float32',
    },
  };
}

/** The key of brick timings: what a brick call's time depends on. */
const canvasKey = (width: number, height: number, images: number) => `${width}x${height}x${images}`;

function updateForm(): void {
  const read = readForm();
  ui.problem.textContent = 'problem' in read && state.model ? read.problem : '';
  ui.generate.disabled = !state.model || state.running !== null || 'problem' in read;
  updateDial();
}

/** Draw which bricks run at which step, and what the plan is predicted to save. */
function updateDial(): void {
  const model = state.model;
  ui.skipFractionValue.value = `${Math.round(Number(ui.skipFraction.value) * 100)}%`;
  const dialOn = ui.skipMode.value !== 'none';
  ui.skipFraction.disabled = !dialOn;
  ui.skipDropped.disabled = !dialOn;
  if (!model) return;
  const steps = Math.max(1, Math.min(200, Math.round(Number(ui.steps.value)) || DEFAULT_STEPS));
  const bricks = model.config.bricks.length;
  const schedule = dialSchedule(dialSetting(), steps, bricks);
  ui.dialMap.replaceChildren(
    ...model.config.bricks.map((b, k) => {
      const line = document.createElement('div');
      line.className = 'row';
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = `brick ${k} (${b.resolution}px)`;
      line.append(name, ...schedule.stopAfter.map((stop) => {
        const cell = document.createElement('span');
        cell.className = (stop ?? bricks - 1) >= k ? 'cell on' : 'cell';
        return cell;
      }));
      return line;
    }).reverse(),
  );
  if (bricks === 1) {
    ui.dialSummary.textContent = 'One brick: nothing to skip (open a stack of two or more bricks to use the dial).';
    return;
  }
  const evals = evaluationsPerStep(steps);
  const width = Number(ui.width.value);
  const height = Number(ui.height.value);
  const work = state.brickFlops ? planCost(schedule, evals, state.brickFlops) : null;
  const measured = state.brickMs.get(canvasKey(width, height, Number(ui.images.value)));
  let text = work ? `Runs ${(100 * (1 - work.savedFraction)).toFixed(0)}% of the full work (${(100 * work.savedFraction).toFixed(0)}% saved)` : '';
  if (measured && measured.every(Number.isFinite)) {
    const time = planCost(schedule, evals, measured);
    text += `: about ${(time.planned / 1000).toFixed(2)} s of brick time instead of ${(time.full / 1000).toFixed(2)} s (from the last run's brick timings).`;
  } else if (text) {
    text += '; generate once on this canvas to predict the time saved.';
  }
  ui.dialSummary.textContent = text;
}

// Output -------------------------------------------------------------------------------------------

function drawImage(img: WebImage): void {
  const canvas = ui.output;
  if (canvas.width !== img.width || canvas.height !== img.height) {
    canvas.width = img.width;
    canvas.height = img.height;
  }
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) return;
  const rgba = new ImageData(img.width, img.height);
  for (let p = 0; p < img.width * img.height; p++) {
    const c = img.channels;
    const src = img.pixels;
    const gray = c < 3;
    rgba.data[4 * p] = src[p * c];
    rgba.data[4 * p + 1] = gray ? src[p * c] : src[p * c + 1];
    rgba.data[4 * p + 2] = gray ? src[p * c] : src[p * c + 2];
    rgba.data[4 * p + 3] = c === 2 ? src[p * c + 1] : c === 4 ? src[p * c + 3] : 255;
  }
  ctx.putImageData(rgba, 0, 0);
}

function row(cells: string[]): HTMLTableRowElement {
  const tr = document.createElement('tr');
  for (const text of cells) tr.insertCell().textContent = text;
  return tr;
}

function addStepRows(rows: readonly StepRow[]): void {
  ui.stepRows.append(...rows.map(({ step, sigma, stopAfter, ms }) => row([String(step + 1), sigma.toPrecision(3), `0–${stopAfter}`, ms.toFixed(0)])));
}

function startGenerate(): void {
  const read = readForm();
  if ('problem' in read) {
    ui.problem.textContent = read.problem;
    return;
  }
  const id = state.nextId++;
  const { width, height, images } = read.request;
  state.running = { id, canvas: canvasKey(width, height, images) };
  state.png = null;
  ui.problem.textContent = '';
  ui.download.disabled = true;
  ui.generate.disabled = true;
  ui.cancel.disabled = false;
  ui.progress.value = 0;
  ui.stepRows.replaceChildren();
  ui.status.textContent = 'Compiling the bricks…';
  document.body.dataset.state = 'running';
  post({ type: 'generate', id, request: read.request });
}

function download(): void {
  if (!state.png) return;
  const url = URL.createObjectURL(new Blob([state.png.bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = state.png.name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// Wiring -------------------------------------------------------------------------------------------

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  startGenerate();
});
ui.form.addEventListener('input', updateForm);
ui.form.addEventListener('change', updateForm);
ui.cancel.addEventListener('click', () => state.running && post({ type: 'cancel', id: state.running.id }));
ui.download.addEventListener('click', download);
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && state.running) post({ type: 'cancel', id: state.running.id });
});
ui.modelFile.addEventListener('change', async () => {
  const file = ui.modelFile.files?.[0];
  if (file) await loadModel(await file.arrayBuffer(), file.name);
});
ui.modelDefault.addEventListener('click', () => loadDefaultModel().catch((e: Error) => showError(e.message)));
// The graphs of the other precision compile (and int8 quantises the weights) while the user goes on choosing.
ui.precision.addEventListener('change', () => state.model && warm());
ui.provider.addEventListener('change', () => startWorker().catch((e: Error) => showError(e.message)));

startWorker()
  .then(loadDefaultModel)
  .catch((e: Error) => {
    ui.modelInfo.textContent = 'No model loaded.';
    showError(e.message);
  });
