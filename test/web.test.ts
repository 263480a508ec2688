// The web app end to end: `lego serve`, Debian's chromium driven by playwright-core, the page generating
// what the CLI generates. Needs /usr/bin/chromium (.ci/run installs it); LEGO_SKIP_BROWSER_TESTS=1 skips.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePng } from '../src/data/png.js';
import { DEFAULT_MODEL } from '../src/cli/network.js';
import { loadCheckpoint, saveCheckpoint } from '../src/io/checkpoint-file.js';
import { launchChromium } from '../bench/chromium.js';
import { legoBin, runLego } from './helpers/lego-cli.js';
import { tinyConfig, tinyWeights } from './helpers/tiny-model.js';

const skip = process.env.LEGO_SKIP_BROWSER_TESTS === '1';

/** The page's output canvas: its size and the red channel of every pixel (gray images: the value). */
function canvasRed(page: Page): Promise<{ width: number; height: number; red: number[] }> {
  return page.evaluate(() => {
    const c = document.getElementById('output') as HTMLCanvasElement;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    return { width: c.width, height: c.height, red: Array.from(data.filter((_, i) => i % 4 === 0)) };
  });
}

describe.skipIf(skip)('the web app in a browser', () => {
  let server: ChildProcess;
  let url: string;
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lego-web-'));
    server = spawn(process.execPath, [legoBin, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    url = await new Promise<string>((ok, fail) => {
      let seen = '';
      server.stdout!.on('data', (d: Buffer) => {
        seen += String(d);
        const m = /http:\/\/\S+\//.exec(seen);
        if (m) ok(m[0]);
      });
      server.once('exit', (code) => fail(new Error(`lego serve exited with ${code}`)));
    });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    server?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A page with the embedded model loaded; console errors and page errors are collected. */
  async function openPage(): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => !(document.getElementById('generate') as HTMLButtonElement).disabled, null, { timeout: 60_000 });
    return { page, errors };
  }

  const finished = (page: Page) =>
    page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 120_000 });

  /** Open `file` with the page's "Open a .safetensors snapshot" button; resolves once it is loaded and Generate is enabled again. */
  async function openModelFile(page: Page, file: string): Promise<void> {
    await page.setInputFiles('#model-file', file);
    await page.waitForFunction((name) => document.getElementById('model-info')!.textContent!.startsWith(`${name}:`), basename(file), { timeout: 30_000 });
    await page.waitForFunction(() => !(document.getElementById('generate') as HTMLButtonElement).disabled, null, { timeout: 60_000 });
  }

  it('generates class 3, seed 0, 12 steps: the CLI\'s image, with no console errors', async () => {
    const cli = await runLego(['generate', '--seeds', '0', '--class', '3', '--steps', '12', '--outdir', dir, '--no-grid']);
    expect(cli.code, cli.stderr).toBe(0);
    const expected = decodePng(await readFile(join(dir, '000000.png')), '000000.png');

    const { page, errors } = await openPage();
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await page.selectOption('#class', '3');
    await page.fill('#seed', '0');
    await page.fill('#steps', '12');
    await page.focus('#generate');
    await page.keyboard.press('Enter');
    await finished(page);
    expect(await page.textContent('#form-problem')).toBe('');
    expect(await page.textContent('#status')).toMatch(/^Done in .* \(seed 0, class 3\)/);
    const canvas = await canvasRed(page);
    expect([canvas.width, canvas.height]).toEqual([expected.width, expected.height]);
    const diff = canvas.red.reduce((s, v, i) => s + Math.abs(v - expected.data[i]), 0) / canvas.red.length;
    expect(diff).toBeLessThan(2);
    // 12 steps of Heun: 23 evaluations of every brick, one row per step.
    expect(await page.locator('#brick-table tbody tr').count()).toBe((await loadCheckpoint(DEFAULT_MODEL)).config.bricks.length);
    expect(await page.locator('#step-table tbody tr').count()).toBe(12);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(download.suggestedFilename()).toBe('lego-seed0-class3.png');
    const saved = decodePng(await readFile((await download.path())!), 'download');
    expect(saved.data.reduce((s, v, i) => s + Math.abs(v - expected.data[i]), 0) / saved.data.length).toBeLessThan(2);
    if (process.env.LEGO_UPDATE_SCREENSHOT === '1') await page.screenshot({ path: 'docs/web-app.png', fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('samples with 8-bit products, from an int8 file too: the CLI\'s --precision int8 image for the same seed, class and steps', async () => {
    const out = join(dir, 'int8');
    const cli = await runLego(['generate', '--seeds', '2', '--class', '5', '--steps', '8', '--precision', 'int8', '--outdir', out, '--no-grid']);
    expect(cli.code, cli.stderr).toBe(0);
    const expected = decodePng(await readFile(join(out, '000002.png')), '000002.png');
    // The page opens the model stored in 8 bits (lego convert --precision int8), the CLI sampled the float32 file.
    const int8File = join(dir, 'lego-mnist-32-int8.safetensors');
    const converted = await runLego(['convert', DEFAULT_MODEL, int8File, '--precision', 'int8']);
    expect(converted.code, converted.stderr).toBe(0);

    const { page, errors } = await openPage();
    await openModelFile(page, int8File);
    await page.selectOption('#precision', 'int8');
    await page.selectOption('#class', '5');
    await page.fill('#seed', '2');
    await page.fill('#steps', '8');
    await page.click('#generate');
    await finished(page);
    expect(await page.textContent('#form-problem')).toBe('');
    expect(await page.textContent('#status')).toMatch(/^Done in .* \(seed 2, class 5\)/);
    const { red } = await canvasRed(page);
    expect(red.length).toBe(expected.width * expected.height);
    expect(red.reduce((sum, v, i) => sum + Math.abs(v - expected.data[i]), 0) / red.length).toBeLessThan(2);
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('samples 16 seeds as one batch: a grid of the CLI\'s 16 images, downloadable as its grid.png', async () => {
    const out = join(dir, 'batch');
    const cli = await runLego(['generate', '--seeds', '10-25', '--class', '4', '--steps', '6', '--outdir', out]);
    expect(cli.code, cli.stderr).toBe(0);
    const cliGrid = decodePng(await readFile(join(out, 'grid.png')), 'grid.png');
    const cliImages = await Promise.all(
      Array.from({ length: 16 }, async (_, i) => decodePng(await readFile(join(out, `0000${10 + i}.png`)), `0000${10 + i}.png`)),
    );

    const { page, errors } = await openPage();
    await page.fill('#images', '16');
    await page.selectOption('#class', '4');
    await page.fill('#seed', '10');
    await page.fill('#steps', '6');
    await page.click('#generate');
    await finished(page);
    expect(await page.textContent('#form-problem')).toBe('');
    expect(await page.textContent('#status')).toMatch(/^Done in .* \(16 images, seeds 10–25, class 4\)/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(download.suggestedFilename()).toBe('lego-seeds10-25-class4.png');
    const grid = decodePng(await readFile((await download.path())!), 'download');
    expect([grid.width, grid.height, grid.channels]).toEqual([cliGrid.width, cliGrid.height, cliGrid.channels]);
    // Tile by tile: the page's image of seed 10 + i is the CLI's PNG of that seed.
    const size = cliImages[0].width;
    const columns = grid.width / size;
    for (const [i, expected] of cliImages.entries()) {
      const [x0, y0] = [(i % columns) * size, Math.floor(i / columns) * size];
      let diff = 0;
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) diff += Math.abs(grid.data[(y0 + y) * grid.width + x0 + x] - expected.data[y * size + x]);
      }
      expect(diff / (size * size), `seed ${10 + i}`).toBeLessThan(2);
    }
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('opens a snapshot from disk, names a bad one, and draws a wider canvas', async () => {
    const { page, errors } = await openPage();
    await writeFile(join(dir, 'broken.safetensors'), 'not a checkpoint');
    await page.setInputFiles('#model-file', join(dir, 'broken.safetensors'));
    await page.waitForFunction(() => document.getElementById('form-problem')!.textContent !== '', null, { timeout: 30_000 });
    expect(await page.textContent('#form-problem')).toContain('broken.safetensors');
    await openModelFile(page, DEFAULT_MODEL);
    await page.fill('#width', '64');
    await page.fill('#steps', '3');
    await page.check('#wrap');
    await page.click('#generate');
    await finished(page);
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('done');
    expect(await page.evaluate(() => [(document.getElementById('output') as HTMLCanvasElement).width, (document.getElementById('output') as HTMLCanvasElement).height])).toEqual([64, 32]);
    await page.fill('#width', '40');
    expect(await page.textContent('#form-problem')).toMatch(/^Canvas: /);
    expect(await page.isDisabled('#generate')).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('serves only its own files, with the isolation headers', async () => {
    const index = await fetch(url);
    expect(index.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(index.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect((await fetch(new URL('ort/ort-wasm-simd-threaded.jsep.wasm', url))).headers.get('content-type')).toBe('application/wasm');
    expect((await fetch(new URL('ort/ort-wasm-simd-threaded.wasm', url))).headers.get('content-type')).toBe('application/wasm');
    expect((await fetch(new URL('ort/ort.wasm.bundle.min.mjs', url))).status).toBe(200);
    expect((await fetch(new URL('ort/package.json', url))).status).toBe(404);
    expect((await fetch(new URL('%2e%2e/cli/main.js', url))).status).toBe(404);
    expect((await fetch(url, { method: 'POST' })).status).toBe(405);
    const model = new Uint8Array(await (await fetch(new URL('model.safetensors', url))).arrayBuffer());
    expect(model.length).toBeGreaterThan(1_000_000);
  });

  // Chromium's software WebGPU (SwiftShader) is slow, about 10 s per network evaluation on an idle machine and
  // several times that on a loaded one, so two steps only. A missing adapter, or a software GPU not ready
  // within the limits below, skips this test with the reason; a wrong image still fails it.
  const GPU_READY_MS = 180_000;
  const GPU_RUN_MS = 360_000;
  it('runs on WebGPU (SwiftShader, the software adapter) and matches the CLI', async (ctx) => {
    const gpuBrowser = await launchChromium(
      ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan', '--use-angle=swiftshader'], { gpu: true });
    const skipBecause = (reason: string): never => {
      console.warn(`WebGPU browser test skipped: ${reason}`);
      return ctx.skip(reason);
    };
    try {
      const page = await gpuBrowser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(url);
      const hasAdapter = await page.evaluate(async () => {
        const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
        return Boolean(gpu && (await gpu.requestAdapter().catch(() => null)));
      });
      if (!hasAdapter) skipBecause('this Chromium offers no WebGPU adapter (navigator.gpu.requestAdapter() gave none)');
      const cli = await runLego(['generate', '--seeds', '5', '--class', '7', '--steps', '2', '--outdir', join(dir, 'gpu'), '--no-grid']);
      expect(cli.code, cli.stderr).toBe(0);
      const expected = decodePng(await readFile(join(dir, 'gpu', '000005.png')), '000005.png');
      await page.selectOption('#provider', 'webgpu');
      const ready = await page
        .waitForFunction(() => !(document.getElementById('generate') as HTMLButtonElement).disabled, null, { timeout: GPU_READY_MS })
        .then(() => true, () => false);
      if (!ready) skipBecause(`the software WebGPU adapter was not ready within ${GPU_READY_MS / 1000} s (a loaded machine)`);
      expect(await page.textContent('#engine-info')).toBe('Running on WebGPU.');
      await page.selectOption('#class', '7');
      await page.fill('#seed', '5');
      await page.fill('#steps', '2');
      await page.click('#generate');
      const done = await page
        .waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: GPU_RUN_MS })
        .then(() => true, () => false);
      if (!done) skipBecause(`two steps on the software WebGPU adapter took over ${GPU_RUN_MS / 1000} s (a loaded machine)`);
      expect(await page.textContent('#form-problem')).toBe('');
      const { red } = await canvasRed(page);
      expect(red.reduce((sum, v, i) => sum + Math.abs(v - expected.data[i]), 0) / red.length).toBeLessThan(2);
      expect(errors).toEqual([]);
    } finally {
      await gpuBrowser.close();
    }
  }, GPU_READY_MS + GPU_RUN_MS + 120_000);

  it('warms up once the model is loaded, then labels every control and reaches each one with the keyboard', async () => {
    const { page, errors } = await openPage();
    await page.waitForFunction(() => document.body.dataset.warm === 'true', null, { timeout: 60_000 });
    expect(await page.textContent('#status')).toMatch(/^Ready \(warmed up: \d+ evaluations in [\d.]+ s/);
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, button, textarea')]
        .filter((el) => {
          const labels = (el as HTMLInputElement).labels;
          const text = el.tagName === 'BUTTON' ? el.textContent?.trim() : '';
          return !(labels && labels.length > 0) && !el.getAttribute('aria-label') && !text;
        })
        .map((el) => el.id || el.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    const enabled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, button')].filter((el) => !(el as HTMLInputElement).disabled).map((el) => el.id),
    );
    const reached = new Set<string>();
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      reached.add(await page.evaluate(() => document.activeElement?.id ?? ''));
    }
    expect(enabled.filter((id) => !reached.has(id))).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('skips bricks as the dial says, predicts the saving, and cancels with Escape', async () => {
    const { page, errors } = await openPage();
    // A three-brick stack from disk, whatever the embedded model's bricks are.
    const threeBricks = join(dir, 'three-bricks.safetensors');
    await saveCheckpoint(threeBricks, tinyConfig, tinyWeights());
    await openModelFile(page, threeBricks);
    await page.fill('#steps', '12');
    await page.selectOption('#skip-mode', 'top');
    await page.locator('#skip-fraction').fill('0.5');
    expect(await page.textContent('#dial-summary')).toMatch(/\d+% saved/);
    await page.press('#steps', 'Enter'); // submits the form
    await finished(page);
    // Heun, 12 steps: 23 evaluations; the last 6 steps (11 evaluations) stop before brick 2.
    const calls = await page.locator('#brick-table tbody tr td:nth-child(2)').allTextContents();
    expect(calls).toEqual(['23', '23', '12']);
    expect(await page.textContent('#dial-summary')).toMatch(/s of brick time instead of/);

    // Cancelling: the embedded model again, slow enough to be stopped mid-run.
    await openModelFile(page, DEFAULT_MODEL);
    await page.fill('#steps', '200');
    await page.press('#steps', 'Enter');
    await page.waitForFunction(() => document.querySelectorAll('#step-table tbody tr').length >= 1, null, { timeout: 60_000 });
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => document.getElementById('status')!.textContent === 'Cancelled.', null, { timeout: 30_000 });
    expect(await page.isEnabled('#generate')).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);
});
