// `npm run bench:web`: the web app's speed against native, in one run on one machine. Serves the built
// page (`lego serve`), drives Debian's Chromium as a user would (the embedded model, one image, class 7,
// seed 5, 18 steps, WebAssembly with the page's threads), and times the same image with the CLI's own
// graphs on ONNX Runtime native (LegoRunner, 2 threads, the same batch), before and after the browser.
// Progress goes to stderr; the last line of stdout is one JSON object:
//   bricks: [{brick, calls, wasm_ms, native_ms, ratio, wasm_gflops, native_gflops}] (ms per call, steady state),
//   page_ready_s (opening the page to the Generate button), page_warm_s (to the end of the page's warm-up,
//   which the bench waits for as a user choosing settings would), first_image_s (the first image, click
//   to image), open_to_first_image_s, steady_image_s (median click-to-image of the next --images),
//   native_image_s, and the same for WebGPU under `webgpu` when an adapter exists (--webgpu asks for
//   Chromium's software adapter; without it, the plain headless browser is probed and usually has none).
// --profile adds one more image in each engine under ONNX Runtime's profiler: kernel ms per run of each
//   brick by op type, WebAssembly (from the worker's console) against native (profile files), as `profile`.
// --query appends to the page's URL (?threads=1: the page's WebAssembly threads).
// Run: npm run bench:web [-- --images 3 --steps 18 --batch 1 --precision float32 --webgpu --profile]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { DEFAULT_MODEL } from '../src/cli/network.js';
import { generate, type GenerateStats } from '../src/diffusion/generate.js';
import { decodeCheckpoint } from '../src/io/checkpoint.js';
import { LegoRunner, type BrickStats } from '../src/lego/runner.js';
import type { Precision } from '../src/nn/linear.js';
import { median } from '../src/timing.js';
import { launchChromium } from './chromium.js';
import { kernelEvents, msPerOp } from './ort-profile.js';

const { values: flags } = parseArgs({
  options: {
    images: { type: 'string', default: '3' },
    steps: { type: 'string', default: '18' },
    batch: { type: 'string', default: '1' },
    seed: { type: 'string', default: '5' },
    class: { type: 'string', default: '7' },
    precision: { type: 'string', default: 'float32' },
    webgpu: { type: 'boolean', default: false },
    query: { type: 'string', default: '' },
    profile: { type: 'boolean', default: false },
  },
});
const steadyImages = Number(flags.images);
const steps = Number(flags.steps);
const batch = Number(flags.batch);
const seed = Number(flags.seed);
const classLabel = Number(flags.class);
const precision = flags.precision as Precision;
const log = (line: string) => process.stderr.write(`${line}\n`);
const legoBin = new URL('../dist/cli/main.js', import.meta.url).pathname;

/** Per-brick ms per call, calls and FLOPs of one run. */
interface BrickTimes {
  calls: number;
  ms: number;
  flops: number;
}

async function startServer(): Promise<{ server: ChildProcess; url: string }> {
  const server = spawn(process.execPath, [legoBin, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((ok, fail) => {
    let seen = '';
    server.stdout!.on('data', (d: Buffer) => {
      seen += String(d);
      const m = /http:\/\/\S+\//.exec(seen);
      if (m) ok(m[0]);
    });
    server.once('exit', (code) => fail(new Error(`lego serve exited with ${code} (run npm run build first)`)));
  });
  return { server, url };
}

/** Native: the CLI's runner and sampler, one warm-up image, then `images` timed ones (median per brick). */
async function native(images: number): Promise<{ bricks: BrickTimes[]; imageS: number }> {
  const { config, weights } = decodeCheckpoint(new Uint8Array(await readFile(DEFAULT_MODEL)), DEFAULT_MODEL);
  const runner = new LegoRunner(config, weights, { threads: 2, precision });
  const seeds = Array.from({ length: batch }, (_, i) => seed + i);
  const run = async () => {
    const { stats } = await generate(runner, { seeds, batch, classLabel, steps });
    return stats;
  };
  await run();
  const runs: GenerateStats[] = [];
  for (let i = 0; i < images; i++) runs.push(await run());
  await runner.release();
  return {
    bricks: config.bricks.map((_, k) => medianBrick(runs.map((r) => r.bricks[k]))),
    imageS: median(runs.map((r) => r.seconds)),
  };
}

/** Kernel ms per run by op type of each brick, natively: one image under the profiler. */
async function nativeProfile(): Promise<Map<string, { ms: number; nodes: number }>[]> {
  const { config, weights } = decodeCheckpoint(new Uint8Array(await readFile(DEFAULT_MODEL)), DEFAULT_MODEL);
  const dir = await mkdtemp(join(tmpdir(), 'lego-bench-web-'));
  try {
    const runner = new LegoRunner(config, weights, { threads: 2, precision, profilePrefix: join(dir, 'p') });
    await generate(runner, { seeds: Array.from({ length: batch }, (_, i) => seed + i), batch, classLabel, steps });
    await runner.endProfiling();
    await runner.release();
    const files = await readdir(dir);
    return Promise.all(config.bricks.map(async (_, k) => {
      const file = files.find((f) => f.startsWith(`p-brick${k}_`));
      if (!file) throw new Error(`no native profile for brick ${k} in ${dir}`);
      return msPerOp(kernelEvents(await readFile(join(dir, file), 'utf8')));
    }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The same in the page: `?profile=1` makes the worker print each graph's profile after the first image. */
async function browserProfile(browser: Browser, url: string, bricks: number): Promise<Map<string, { ms: number; nodes: number }>[]> {
  const page = await browser.newPage();
  const lines: string[] = [];
  page.on('console', (m) => lines.push(m.text()));
  await page.goto(`${url}${flags.query ? `${flags.query}&` : '?'}profile=1`);
  await page.waitForFunction(() => !(document.getElementById('generate') as HTMLButtonElement).disabled, null, { timeout: 600_000 });
  await chooseSettings(page);
  await clickGenerate(page);
  // Console messages arrive on their own schedule: wait for the last graph's dump to close.
  const last = `lego-profile brick${bricks - 1}:`;
  for (let i = 0; i < 600; i++) {
    const at = lines.findIndex((l) => l.startsWith(last));
    if (at >= 0 && lines.slice(at).some((l) => l.trim() === ']')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await page.close();
  return Array.from({ length: bricks }, (_, k) => {
    const start = lines.findIndex((l) => l.startsWith(`lego-profile brick${k}:`));
    if (start < 0) throw new Error(`the page printed no profile for brick ${k}`);
    const end = lines.findIndex((l, i) => i > start && l.startsWith('lego-profile '));
    return msPerOp(kernelEvents(lines.slice(start + 1, end < 0 ? undefined : end).join('\n')));
  });
}

function medianBrick(runs: BrickStats[]): BrickTimes {
  return { calls: runs[0].calls, ms: median(runs.map((r) => r.ms)), flops: runs[0].flops };
}

/** Fill in the form as a user would, then wait for the page's warm-up (which runs while settings are chosen). */
async function chooseSettings(page: Page): Promise<void> {
  await page.selectOption('#class', String(classLabel));
  await page.fill('#seed', String(seed));
  await page.fill('#steps', String(steps));
  if (batch > 1) await page.fill('#images', String(batch));
  if (precision !== 'float32') await page.selectOption('#precision', precision);
  await page.waitForFunction(() => document.body.dataset.warm === 'true', null, { timeout: 600_000 });
}

async function clickGenerate(page: Page): Promise<number> {
  const start = performance.now();
  await page.click('#generate');
  // Polled every 20 ms, not every animation frame: a check per frame is work on the page's main thread, which
  // a user's page does not do while it samples.
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 600_000, polling: 20 });
  if ((await page.evaluate(() => document.body.dataset.state)) === 'error') {
    throw new Error(`the page failed: ${await page.textContent('#form-problem')}`);
  }
  return (performance.now() - start) / 1000;
}

async function pageBricks(page: Page): Promise<BrickTimes[]> {
  return page.$$eval('#brick-table tbody tr', (rows) =>
    rows.map((r) => ({ calls: Number(r.dataset.calls), ms: Number(r.dataset.ms), flops: Number(r.dataset.flops) })),
  );
}

/** The ms column of the page's step table: each sampler step of the last image. */
async function stepTimes(page: Page): Promise<number[]> {
  return page.$$eval('#step-table tbody tr', (rows) => rows.map((r) => Number(r.lastElementChild?.textContent)));
}

/** The page as a user meets it: open, set the form, generate; then `images` more for the steady state. */
async function browserRun(browser: Browser, url: string, provider: 'wasm' | 'webgpu', images: number) {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const opened = performance.now();
  await page.goto(url + flags.query);
  // The page starts on its automatic choice (WebAssembly in a browser without an adapter).
  if (provider === 'webgpu') await page.selectOption('#provider', 'webgpu');
  await page.waitForFunction(() => !(document.getElementById('generate') as HTMLButtonElement).disabled, null, { timeout: 600_000 });
  const readyS = (performance.now() - opened) / 1000;
  await chooseSettings(page);
  const warmS = (performance.now() - opened) / 1000;
  const warmTimesMs = (await page.evaluate(() => document.body.dataset.warmTimesMs ?? '')).split(' ').filter(Boolean).map(Number);
  const firstImageS = await clickGenerate(page);
  const firstStepsMs = await stepTimes(page);
  const openToFirstImageS = (performance.now() - opened) / 1000;
  const engine = await page.textContent('#engine-info');
  const times: number[] = [];
  const runs: BrickTimes[][] = [];
  for (let i = 0; i < images; i++) {
    times.push(await clickGenerate(page));
    runs.push(await pageBricks(page));
    log(`  ${provider} image ${i + 1}/${images}: ${times[i].toFixed(2)} s`);
  }
  await page.close();
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  return {
    engine,
    readyS,
    warmS,
    firstImageS,
    firstStepsMs,
    warmTimesMs,
    openToFirstImageS,
    steadyImageS: median(times),
    bricks: runs[0].map((_, k) => medianBrick(runs.map((r) => r[k]))),
  };
}

const perCall = (b: BrickTimes) => b.ms / b.calls;
const gflops = (b: BrickTimes) => b.flops / b.ms / 1e6;
const round = (v: number, digits = 3) => Number(v.toPrecision(digits));

const cpu = cpus()[0]?.model ?? 'unknown';
log(`CPU: ${cpu}, ${cpus().length} cores; ${steps} steps, batch ${batch}, ${precision}`);
log('native (before)…');
const nativeBefore = await native(steadyImages);
const { server, url } = await startServer();
let browser: Browser | null = null;
let gpuBrowser: Browser | null = null;
try {
  browser = await launchChromium();
  log('WebAssembly in Chromium…');
  const wasm = await browserRun(browser, url, 'wasm', steadyImages);
  log(`  ${wasm.engine} Page ready ${wasm.readyS.toFixed(2)} s, warm ${wasm.warmS.toFixed(2)} s after opening; first image ${wasm.firstImageS.toFixed(2)} s`);
  log(`  warm-up: ${wasm.warmTimesMs.length} evaluations, ms: ${wasm.warmTimesMs.map((t) => t.toFixed(0)).join(' ')}`);
  log(`  first image, ms per step: ${wasm.firstStepsMs.join(' ')}`);
  let webgpu: Awaited<ReturnType<typeof browserRun>> | null = null;
  let webgpuNote = '';
  const probe = flags.webgpu
    ? (gpuBrowser = await launchChromium(['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan', '--use-angle=swiftshader'], { gpu: true }))
    : browser;
  const probePage = await probe.newPage();
  await probePage.goto(url);
  const hasAdapter = await probePage.evaluate(async () => {
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    return Boolean(gpu && (await gpu.requestAdapter().catch(() => null)));
  });
  await probePage.close();
  if (hasAdapter) {
    log('WebGPU in Chromium…');
    webgpu = await browserRun(probe, url, 'webgpu', Math.min(steadyImages, 1));
  } else {
    webgpuNote = 'no WebGPU adapter in this browser (--webgpu tries the software one)';
    log(`  ${webgpuNote}`);
  }
  let profile = null;
  if (flags.profile) {
    log('profiles: native, then WebAssembly…');
    const nativeOps = await nativeProfile();
    const wasmOps = await browserProfile(browser, url, nativeOps.length);
    profile = wasmOps.map((ops, k) => {
      const names = new Set([...ops.keys(), ...nativeOps[k].keys()]);
      const rows = [...names].map((op) => ({
        op,
        nodes: ops.get(op)?.nodes ?? nativeOps[k].get(op)?.nodes ?? 0,
        wasm_ms: round(ops.get(op)?.ms ?? 0),
        native_ms: round(nativeOps[k].get(op)?.ms ?? 0),
      })).sort((a, b) => b.wasm_ms - a.wasm_ms);
      const total = (key: 'wasm_ms' | 'native_ms') => round(rows.reduce((sum, r) => sum + r[key], 0));
      log(`  brick ${k}: kernels ${total('wasm_ms')} ms WebAssembly, ${total('native_ms')} ms native`);
      for (const r of rows.slice(0, 8)) log(`    ${r.op.padEnd(20)} ${String(r.wasm_ms).padStart(8)} ${String(r.native_ms).padStart(8)}  (${r.nodes} nodes)`);
      return { brick: k, wasm_ms: total('wasm_ms'), native_ms: total('native_ms'), ops: rows };
    });
  }
  log('native (after)…');
  const nativeAfter = await native(steadyImages);
  // Native before and after the browser, so drift during the run shows; the faster of the two is compared.
  const nativeBricks = nativeBefore.bricks.map((b, k) => (perCall(b) <= perCall(nativeAfter.bricks[k]) ? b : nativeAfter.bricks[k]));
  const result = {
    cpu,
    cores: cpus().length,
    model: 'embedded (models/lego-mnist-32.safetensors)',
    steps,
    batch,
    precision,
    engine: wasm.engine,
    bricks: wasm.bricks.map((b, k) => ({
      brick: k,
      calls: b.calls,
      wasm_ms: round(perCall(b)),
      native_ms: round(perCall(nativeBricks[k])),
      native_ms_before_after: [round(perCall(nativeBefore.bricks[k])), round(perCall(nativeAfter.bricks[k]))],
      ratio: round(perCall(b) / perCall(nativeBricks[k])),
      wasm_gflops: round(gflops(b)),
      native_gflops: round(gflops(nativeBricks[k])),
    })),
    page_ready_s: round(wasm.readyS),
    page_warm_s: round(wasm.warmS),
    first_image_s: round(wasm.firstImageS),
    // Where a slow first image spends its time: the warm-up's evaluations (ms each) and the first image's steps.
    warm_evaluations_ms: wasm.warmTimesMs,
    first_image_steps_ms: wasm.firstStepsMs,
    open_to_first_image_s: round(wasm.openToFirstImageS),
    steady_image_s: round(wasm.steadyImageS),
    native_image_s: round(Math.min(nativeBefore.imageS, nativeAfter.imageS)),
    webgpu: webgpu && {
      engine: webgpu.engine,
      bricks: webgpu.bricks.map((b, k) => ({ brick: k, ms: round(perCall(b)), gflops: round(gflops(b)) })),
      page_warm_s: round(webgpu.warmS),
      first_image_s: round(webgpu.firstImageS),
      steady_image_s: round(webgpu.steadyImageS),
    },
    ...(webgpuNote ? { webgpu_note: webgpuNote } : {}),
    ...(profile ? { profile } : {}),
  };
  console.log(JSON.stringify(result));
} finally {
  await browser?.close();
  await gpuBrowser?.close();
  server.kill();
}
