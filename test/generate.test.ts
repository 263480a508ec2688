// Sampling as users run it: determinism across batch sizes, real brick skipping, previews,
// cancellation, canvases, and clean failures.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../src/diffusion/generate.js';
import { parseSkip } from '../src/diffusion/skip.js';
import { numel } from '../src/graph/ops.js';
import { saveCheckpoint } from '../src/io/checkpoint-file.js';
import { LegoRunner } from '../src/lego/runner.js';
import { tinyConfig, tinyWeights } from './helpers/tiny-model.js';
import { lego } from './helpers/lego-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'lego-generate-'));
const network = join(tmp, 'tiny.safetensors');

beforeAll(async () => {
  await saveCheckpoint(network, tinyConfig, tinyWeights());
});

describe('lego generate', () => {
  it('--batch 8 and --batch 3 (and other thread counts) give byte-identical PNGs', async () => {
    const a = join(tmp, 'b8');
    const b = join(tmp, 'b3');
    expect((await lego('generate', '--network', network, '--seeds', '0-7', '--batch', '8', '--steps', '5', '--outdir', a)).code).toBe(0);
    expect((await lego('generate', '--network', network, '--seeds', '0-7', '--batch', '3', '--steps', '5', '--threads', '1', '--outdir', b)).code).toBe(0);
    const files = readdirSync(a).filter((f) => /^\d{6}\.png$/.test(f)).sort();
    expect(files).toHaveLength(8);
    for (const f of files) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f))), f).toBe(true);
    // Different seeds are different images.
    expect(readFileSync(join(a, '000000.png')).equals(readFileSync(join(a, '000001.png')))).toBe(false);
  });

  it('--precision int8: --batch 1 and --batch 8 give byte-identical PNGs, and --json says int8', async () => {
    const run = (dir: string, ...args: string[]) =>
      lego('generate', '--network', network, '--seeds', '0-7', '--steps', '5', '--json', '--outdir', join(tmp, dir), ...args);
    const b8 = await run('int8-b8', '--batch', '8', '--precision', 'int8');
    const b1 = await run('int8-b1', '--batch', '1', '--precision', 'int8');
    const float = await run('f32-b8', '--batch', '8');
    for (const r of [b8, b1, float]) expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(b8.stdout).precision).toBe('int8');
    expect(JSON.parse(float.stdout).precision).toBe('float32');
    // FLOPs as in float32 (an 8-bit multiply-add counts 2), plus the elementwise work of quantising and
    // dequantising (7% on this 32-wide model, 0.5% on lego_S_PG_64).
    const gflop = (stdout: string) => (JSON.parse(stdout).bricks as { gflop: number }[]).map((b) => b.gflop);
    gflop(b8.stdout).forEach((g, k) => {
      expect(g / gflop(float.stdout)[k]).toBeGreaterThan(1);
      expect(g / gflop(float.stdout)[k]).toBeLessThan(1.1);
    });
    const files = readdirSync(join(tmp, 'int8-b8')).filter((f) => /^\d{6}\.png$/.test(f)).sort();
    expect(files).toHaveLength(8);
    for (const f of files) expect(readFileSync(join(tmp, 'int8-b1', f)).equals(readFileSync(join(tmp, 'int8-b8', f))), f).toBe(true);
    // It really sampled in 8 bits: some image differs from float32's.
    expect(files.some((f) => !readFileSync(join(tmp, 'f32-b8', f)).equals(readFileSync(join(tmp, 'int8-b8', f))))).toBe(true);
  });

  it('writes a grid and an ADM-style npz', async () => {
    const out = join(tmp, 'grid');
    const { code } = await lego('generate', '--network', network, '--seeds', '3-7', '--steps', '3', '--npz', '--outdir', out);
    expect(code).toBe(0);
    expect(existsSync(join(out, 'grid.png'))).toBe(true);
    const npz = unzipSync(readFileSync(join(out, 'samples.npz')));
    const npy = npz['arr_0.npy'];
    const header = new TextDecoder().decode(npy.subarray(10, 10 + new DataView(npy.buffer, npy.byteOffset).getUint16(8, true)));
    expect(header).toContain("'descr': '|u1'");
    expect(header).toContain("'shape': (5, 16, 16, 3)");
    // The classes, as guided-diffusion stores them: int64 arr_1 in image order, the same as labels.json.
    const labels = JSON.parse(readFileSync(join(out, 'labels.json'), 'utf8')) as Record<string, number>;
    const arr1 = npz['arr_1.npy'];
    const start = 10 + new DataView(arr1.buffer, arr1.byteOffset).getUint16(8, true);
    const classes = Array.from(new BigInt64Array(arr1.slice(start).buffer), Number);
    expect(classes).toEqual(['000003.png', '000004.png', '000005.png', '000006.png', '000007.png'].map((f) => labels[f]));
  });

  it('--json reports per-brick work, and top:0.5 really skips the last brick in half the steps', async () => {
    const { stdout } = await lego('generate', '--network', network, '--seeds', '0-1', '--steps', '8', '--skip', 'top:0.5', '--json', '--outdir', join(tmp, 'skip'));
    const r = JSON.parse(stdout);
    expect(r.stop_after_per_step).toEqual([2, 2, 2, 2, 1, 1, 1, 1]);
    const calls = r.bricks.map((b: { calls: number }) => b.calls);
    expect(calls[0]).toBe(15); // 8 Heun steps: 15 network evaluations
    expect(calls[2]).toBe(8); // steps 0-3 only, two evaluations each
  });

  it('without --network uses the embedded MNIST model', async () => {
    const out = join(tmp, 'default');
    const { code, stdout } = await lego('generate', '--seeds', '0-1', '--steps', '2', '--json', '--outdir', out);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).network).toMatch(/models\/lego-mnist-32\.safetensors$/);
    expect(readdirSync(out).sort()).toEqual(['000000.png', '000001.png', 'grid.png', 'labels.json', 'run.json']);
  });

  it('refuses bad input before creating the output directory', async () => {
    const out = join(tmp, 'never');
    for (const args of [['--seeds', '1..3'], ['--class', '9'], ['--width', '24'], ['--skip', 'top:2'], ['--solver', 'rk4']]) {
      const { code, stderr } = await lego('generate', '--network', network, '--outdir', out, ...args);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    const { code, stderr } = await lego('generate', '--network', join(tmp, 'missing.safetensors'), '--outdir', out);
    expect(code).toBe(1);
    expect(stderr).toContain('missing.safetensors');
    expect(existsSync(out)).toBe(false);
  });
});

describe('generate()', () => {
  it('calls onStep with a clean denoised preview each step and can be cancelled', async () => {
    const runner = new LegoRunner(tinyConfig, tinyWeights());
    const sigmas: number[] = [];
    const controller = new AbortController();
    const run = generate(runner, { seeds: [0, 1], steps: 6 }, {
      signal: controller.signal,
      onStep: ({ sigma, denoised, shape, step }) => {
        sigmas.push(sigma);
        expect(denoised.length).toBe(numel(shape));
        // A preview is an image estimate in about [-1, 1], not noise of scale sigma.
        expect(Math.max(...denoised.map(Math.abs))).toBeLessThan(10);
        if (step === 2) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(/abort/i);
    expect(sigmas).toHaveLength(3);
    expect(sigmas[0]).toBeCloseTo(80);
    await runner.release();
  });

  it('samples wide canvases, with and without shifted tiles, and a wrapped panorama', async () => {
    const runner = new LegoRunner(tinyConfig, tinyWeights());
    for (const extra of [{}, { shiftTiles: true }, { wrap: true }]) {
      const { images } = await generate(runner, { seeds: [4], steps: 3, width: 48, height: 16, ...extra });
      expect(images[0].width).toBe(48);
      expect(images[0].pixels.length).toBe(48 * 16 * 3);
    }
    await runner.release();
  });

  it('int8: guidance, skipping and a wide canvas with shifted tiles stay close to float32', async () => {
    const float = new LegoRunner(tinyConfig, tinyWeights());
    const int8 = new LegoRunner(tinyConfig, tinyWeights(), { precision: 'int8' });
    const options = { seeds: [3, 4], steps: 4, cfgScale: 2, classLabel: 1, skip: parseSkip('top:0.5'), width: 48, height: 16, shiftTiles: true };
    const a = await generate(float, options);
    const b = await generate(int8, options);
    expect(b.stats.stopAfterPerStep).toEqual([2, 2, 1, 1]);
    expect(b.stats.bricks.map((s) => s.calls)).toEqual(a.stats.bricks.map((s) => s.calls));
    for (let i = 0; i < 2; i++) {
      const [p, q] = [a.images[i].pixels, b.images[i].pixels];
      expect(q.length).toBe(48 * 16 * 3);
      const meanDiff = p.reduce((s, v, j) => s + Math.abs(v - q[j]), 0) / p.length;
      expect(meanDiff).toBeLessThan(4); // out of 255
    }
    await Promise.all([float.release(), int8.release()]);
  });

  it('skipping with guidance runs the unconditional pass through the same bricks', async () => {
    const runner = new LegoRunner(tinyConfig, tinyWeights());
    const { stats } = await generate(runner, { seeds: [0], steps: 4, cfgScale: 2, classLabel: 1, skip: parseSkip('top:0.5') });
    expect(stats.stopAfterPerStep).toEqual([2, 2, 1, 1]);
    expect(stats.bricks[2].calls).toBe(4); // steps 0-1, two evaluations each (guided: one batch of 2)
    await runner.release();
  });
});
