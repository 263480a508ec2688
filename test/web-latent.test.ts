// The web app with a latent model: `lego serve --vae` hands the page the VAE, the worker decodes the previews
// and the final image, and the page draws what `lego generate --vae` writes. Needs /usr/bin/chromium, as
// web.test.ts; LEGO_SKIP_BROWSER_TESTS=1 skips.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePng } from '../src/data/png.js';
import { launchChromium } from '../bench/chromium.js';
import { legoBin, runLego } from './helpers/lego-cli.js';

const skip = process.env.LEGO_SKIP_BROWSER_TESTS === '1';
const fixtures = fileURLToPath(new URL('./fixtures/latent/', import.meta.url));
const snapshot = join(fixtures, 'latent-snapshot-000010.pkl');
const vae = join(fixtures, 'sd-vae-tiny');

/** Start `lego serve --port 0 ...args` and resolve with its address. */
function serve(args: string[]): Promise<{ server: ChildProcess; url: string }> {
  const server = spawn(process.execPath, [legoBin, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((ok, fail) => {
    let seen = '';
    server.stdout!.on('data', (d: Buffer) => {
      seen += String(d);
      const m = /http:\/\/\S+\//.exec(seen);
      if (m) ok({ server, url: m[0] });
    });
    server.once('exit', (code) => fail(new Error(`lego serve exited with ${code}`)));
  });
}

describe.skipIf(skip)('the web app with a latent model', () => {
  let served: { server: ChildProcess; url: string };
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lego-web-latent-'));
    served = await serve(['--network', snapshot, '--vae', vae]);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    served?.server.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('decodes previews and the final image: the 32x16 panorama lego generate --vae writes, with no console errors', async () => {
    const cli = await runLego(['generate', '--network', snapshot, '--vae', vae, '--seeds', '4', '--class', '7', '--steps', '6',
      '--width', '32', '--height', '16', '--wrap', '--outdir', dir, '--no-grid']);
    expect(cli.code, cli.stderr).toBe(0);
    const expected = decodePng(await readFile(join(dir, '000004.png')), '000004.png');

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(served.url);
    await page.waitForFunction(() => !(document.getElementById('generate') as HTMLButtonElement).disabled, null, { timeout: 60_000 });
    expect(await page.textContent('#model-info')).toMatch(/8×8×4 latents → 16×16 images \(VAE \[32, 64\], 4 latent channels\)/);
    expect(await page.inputValue('#width')).toBe('16');
    await page.selectOption('#class', '7');
    await page.fill('#seed', '4');
    await page.fill('#steps', '6');
    await page.fill('#width', '33');
    expect(await page.textContent('#form-problem')).toMatch(/^Canvas: a latent model's images are 2× its latents/);
    await page.fill('#width', '32');
    await page.check('#wrap');
    await page.click('#generate');
    await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 120_000 });
    expect(await page.textContent('#form-problem')).toBe('');
    const canvas = await page.evaluate(() => {
      const c = document.getElementById('output') as HTMLCanvasElement;
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      return { width: c.width, height: c.height, rgb: Array.from(data.filter((_, i) => i % 4 !== 3)) };
    });
    expect([canvas.width, canvas.height]).toEqual([32, 16]);
    const diff = canvas.rgb.reduce((s, v, i) => s + Math.abs(v - expected.data[i]), 0) / canvas.rgb.length;
    expect(diff).toBeLessThan(2);
    expect(await page.locator('#step-table tbody tr').count()).toBe(6);
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('without a VAE to hand out: lego serve refuses a latent model, and the page names one opened from disk', async () => {
    const refused = await runLego(['serve', '--network', snapshot, '--port', '0']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('is a latent model (4-channel VAE latents, 8x8): it needs its VAE to make images; give --vae PATH');

    const converted = join(dir, 'latent.safetensors');
    expect((await runLego(['convert', snapshot, converted])).code).toBe(0);
    const pixelServer = await serve([]);
    try {
      const page = await browser.newPage();
      await page.goto(pixelServer.url);
      await page.waitForFunction(() => !(document.getElementById('generate') as HTMLButtonElement).disabled, null, { timeout: 60_000 });
      await page.setInputFiles('#model-file', converted);
      await page.waitForFunction(() => document.getElementById('form-problem')!.textContent !== '', null, { timeout: 30_000 });
      expect(await page.textContent('#form-problem')).toBe('latent.safetensors is a latent model: it needs its VAE to make images; start lego serve with --vae PATH');
      await page.close();
    } finally {
      pixelServer.server.kill();
    }
  }, 90_000);
});
