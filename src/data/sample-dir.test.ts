// Sample directories (sample-dir.ts): one PNG per seed where `lego eval` and EDM's tools look for it,
// labels.json for conditional images only, grid.png of the first images and samples.npz in seed order;
// run.json, by which a run continues in its directory and another run is refused.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GeneratedImage } from '../diffusion/generate.js';
import { GRID_MAX, openSampleDir, samplePath } from './sample-dir.js';
import { decodePng } from './png.js';
import { RUN_FILE, type SampleRun } from './sample-run.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sample-dir-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A 2x3 RGB image filled with its seed. */
function sample(seed: number, classLabel: number | null): GeneratedImage {
  return { seed, classLabel, width: 3, height: 2, channels: 3, pixels: new Uint8Array(18).fill(seed % 256) };
}

describe('samplePath', () => {
  it('pads seeds to six digits and groups them by thousands with subdirs', () => {
    expect(samplePath(7, false)).toBe('000007.png');
    expect(samplePath(1500, true)).toBe('001000/001500.png');
    expect(samplePath(999, true)).toBe('000000/000999.png');
  });
});

describe('openSampleDir', () => {
  it('writes PNGs in subdirectories, labels.json, grid.png and samples.npz', async () => {
    const outdir = join(dir, 'out');
    const samples = await openSampleDir(outdir, { subdirs: true, npz: true });
    await samples.write([sample(0, 3), sample(1, 5)]);
    await samples.write([sample(1500, 1)]);
    expect(samples.count).toBe(3);
    await samples.finish();

    expect((await readdir(outdir)).sort()).toEqual(['000000', '001000', 'grid.png', 'labels.json', 'samples.npz']);
    const png = decodePng(await readFile(join(outdir, '001000', '001500.png')), '001500.png');
    expect([png.width, png.height, png.channels, png.data[0]]).toEqual([3, 2, 3, 1500 % 256]);
    const labels = JSON.parse(await readFile(join(outdir, 'labels.json'), 'utf8'));
    expect(labels).toEqual({ '000000/000000.png': 3, '000000/000001.png': 5, '001000/001500.png': 1 });

    const npz = unzipSync(await readFile(join(outdir, 'samples.npz')));
    expect(Object.keys(npz).sort()).toEqual(['arr_0.npy', 'arr_1.npy']);
    const header = new TextDecoder().decode(npz['arr_0.npy'].subarray(10, 128));
    expect(header).toContain("'shape': (3, 2, 3, 3)");
    const images = npz['arr_0.npy'].subarray(npz['arr_0.npy'].length - 3 * 18);
    expect([images[0], images[18], images[36]]).toEqual([0, 1, 1500 % 256]);
  });

  it('writes no labels for unconditional images, no arr_1, and no grid when asked', async () => {
    const samples = await openSampleDir(dir, { grid: false, npz: true });
    await samples.write([sample(2, null), sample(3, null)]);
    await samples.finish();
    expect((await readdir(dir)).sort()).toEqual(['000002.png', '000003.png', 'samples.npz']);
    expect(Object.keys(unzipSync(await readFile(join(dir, 'samples.npz'))))).toEqual(['arr_0.npy']);
  });

  it(`puts only the first ${GRID_MAX} images in grid.png`, async () => {
    const samples = await openSampleDir(dir);
    const seeds = Array.from({ length: GRID_MAX + 10 }, (_, i) => i);
    const tall = (seed: number): GeneratedImage => ({ ...sample(seed, null), width: 2, height: 3, pixels: new Uint8Array(18).fill(seed) });
    await samples.write(seeds.slice(0, 200).map((s) => tall(s)));
    await samples.write(seeds.slice(200).map((s) => tall(s)));
    await samples.finish();
    const grid = decodePng(await readFile(join(dir, 'grid.png')), 'grid.png');
    // 256 images of 2x3 pixels make 20 columns of 13 rows; all 266 would make 14 rows.
    expect([grid.width, grid.height]).toEqual([2 * 20, 3 * 13]);
    expect((await readdir(dir)).length).toBe(GRID_MAX + 10 + 1);
  });
});

describe('openSampleDir with a run record', () => {
  const run = (cfg: string, sha256 = 'aa'): SampleRun => ({ network: { file: 'net.safetensors', sha256 }, settings: { '--steps': '18', '--cfg': cfg } });

  it('records the run, continues it skipping seeds already written, and fills grid, labels and npz from all of them', async () => {
    const first = await openSampleDir(dir, { run: run('2'), npz: true });
    expect(first.pending([0, 1])).toEqual([0, 1]);
    await first.write([sample(0, 3), sample(1, 5)]);
    await first.finish();
    expect(JSON.parse(await readFile(join(dir, RUN_FILE), 'utf8'))).toEqual(run('2'));

    const again = await openSampleDir(dir, { run: run('2'), npz: true });
    expect(again.pending([1, 2, 0, 3])).toEqual([2, 3]);
    await again.write([sample(2, 7), sample(3, 9)]);
    await again.finish();
    expect(again.count).toBe(2);
    const labels = JSON.parse(await readFile(join(dir, 'labels.json'), 'utf8'));
    expect(labels).toEqual({ '000000.png': 3, '000001.png': 5, '000002.png': 7, '000003.png': 9 });
    const npz = unzipSync(await readFile(join(dir, 'samples.npz')));
    const pixels = npz['arr_0.npy'].subarray(npz['arr_0.npy'].length - 4 * 18);
    expect([0, 1, 2, 3].map((i) => pixels[i * 18])).toEqual([1, 2, 0, 3]); // the planned order, 1 and 0 read back
    const grid = decodePng(await readFile(join(dir, 'grid.png')), 'grid.png');
    expect(grid.width * grid.height).toBe(4 * 6);
  });

  it('refuses a directory recorded for another run, naming what differs, unless forced', async () => {
    const first = await openSampleDir(dir, { run: run('1') });
    first.pending([0]);
    await first.write([sample(0, null)]);
    await first.finish();
    await expect(openSampleDir(dir, { run: run('2') })).rejects.toThrow(`${dir}: holds images of another run (--cfg 1 vs 2); use another --outdir or --force`);
    await expect(openSampleDir(dir, { run: run('1', 'bb') })).rejects.toThrow('(--network net.safetensors, whose bytes changed)');
    const forced = await openSampleDir(dir, { run: run('2'), force: true });
    expect(forced.pending([0, 1])).toEqual([0, 1]); // the other run's image of seed 0 no longer counts
    expect(JSON.parse(await readFile(join(dir, RUN_FILE), 'utf8'))).toEqual(run('2'));
  });

  it('refuses images without a record unless forced', async () => {
    await writeFile(join(dir, '000000.png'), 'old');
    await expect(openSampleDir(dir, { run: run('1') })).rejects.toThrow(`${dir}: holds images (000000.png) but no ${RUN_FILE}`);
    await openSampleDir(dir, { run: run('1'), force: true });
  });

  it('names an output directory that cannot be created', async () => {
    await writeFile(join(dir, 'file'), 'x');
    await expect(openSampleDir(join(dir, 'file'))).rejects.toThrow(`${join(dir, 'file')}: cannot create directory: a file of that name exists`);
  });
});
