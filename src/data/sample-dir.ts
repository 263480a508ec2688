// A directory of generated samples, as `lego generate` writes it: one PNG per seed (optionally in
// subdirectories of 1000, as EDM's generate.py), grid.png of the first images, labels.json (image path ->
// class, which `lego eval` reads), samples.npz for the ADM evaluation suite, run.json (sample-run.ts), and
// for latent models on request the sampled latents beside each PNG (000123.npy, float32 (C, h, w)).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { GeneratedImage } from '../diffusion/generate.js';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import { ensureDir } from '../files/ensure-dir.js';
import { fileError } from '../files/fs-files.js';
import { imageGrid, type GridImage } from './image-grid.js';
import { encodeNpyFloat32 } from './npy.js';
import { encodeNpzUint8 } from './npz.js';
import { decodePng, encodePng } from './png.js';
import { claimSampleDir, type SampleRun } from './sample-run.js';

/** Images in grid.png at most. */
export const GRID_MAX = 256;

/** The class file: image path -> class, for conditional models. */
const LABELS_FILE = 'labels.json';

export interface SampleDirOptions {
  /** Write images into subdirectories of 1000 seeds: 000000/, 001000/, ... (default false). */
  subdirs?: boolean;
  /** Write grid.png, the first GRID_MAX images in a near-square grid (default true). */
  grid?: boolean;
  /** Write samples.npz: uint8 N x H x W x C as arr_0, and the classes as int64 arr_1 when every image has one (default false). */
  npz?: boolean;
  /** Keep labels.json up to date (default true); off where each job records its own classes instead. */
  labels?: boolean;
  /** Write each image's latents (a latent model's) beside its PNG as a float32 .npy (C, h, w): `000123.npy` (default false). */
  latents?: boolean;
  /**
   * What makes the images, recorded in run.json: the directory continues this run (images already there
   * count, see `pending`), and one recorded for another run is refused (default: nothing recorded).
   */
  run?: SampleRun;
  /** With `run`: take over a directory holding another run's images; its images no longer count (default false). */
  force?: boolean;
}

/** An open sample directory: `write` each batch as it is generated, then `finish` once. */
export interface SampleDir {
  readonly outdir: string;
  /** Images written so far. */
  readonly count: number;
  /**
   * Plan the run's `seeds`: returns those still to generate, without the ones whose PNG this run already wrote
   * (a continued run). grid.png and samples.npz then hold all of `seeds`, in this order, reading back the
   * PNGs of the skipped ones.
   */
  pending(seeds: readonly number[]): number[];
  /** Write one PNG per image (atomically) and remember what grid.png, labels.json and samples.npz need. */
  write(images: readonly GeneratedImage[]): Promise<void>;
  /** Write grid.png, labels.json (conditional models only, merged with the directory's) and samples.npz, as the options ask. */
  finish(): Promise<void>;
}

/** The path of a seed's PNG inside the directory, with '/' separators: `000123.png` or `000000/000123.png`. */
export function samplePath(seed: number, subdirs: boolean): string {
  const name = `${String(seed).padStart(6, '0')}.png`;
  return subdirs ? `${String(Math.floor(seed / 1000) * 1000).padStart(6, '0')}/${name}` : name;
}

/**
 * Create `outdir` (and parents), claim it for `run` when given, and return a writer for it. Throws InputError
 * naming `outdir` when it cannot be created or holds another run's images.
 *
 * @example
 * const samples = await openSampleDir('out', { npz: true });
 * await generate(runner, { seeds }, { onImages: (images) => samples.write(images) });
 * await samples.finish();
 */
export async function openSampleDir(outdir: string, { subdirs = false, grid = true, npz = false, labels: keepLabels = true, latents = false, run, force = false }: SampleDirOptions = {}): Promise<SampleDir> {
  ensureDir(outdir);
  const continued = run ? await claimSampleDir(outdir, run, force) : false;
  const madeDirs = new Set<string>();
  // Seeds in grid and npz order (the plan, or the order written), and the images of them still needed.
  let order: number[] = [];
  let gridSeeds: Set<number> | null = null;
  const kept = new Map<number, GeneratedImage>();
  // Classes by image path; null (unconditional) only matters where an earlier labels.json may name the path.
  const hadLabels = keepLabels && existsSync(join(outdir, LABELS_FILE));
  const classes = new Map<string, number | null>();
  let count = 0;
  const fileOf = (seed: number) => join(outdir, samplePath(seed, subdirs));
  return {
    outdir,
    get count() {
      return count;
    },
    pending(seeds) {
      order = [...seeds];
      gridSeeds = new Set(order.slice(0, GRID_MAX));
      return continued ? seeds.filter((seed) => !existsSync(fileOf(seed))) : [...seeds];
    },
    async write(images) {
      for (const img of images) {
        const path = samplePath(img.seed, subdirs);
        const file = join(outdir, path);
        if (subdirs && !madeDirs.has(dirname(file))) {
          ensureDir(dirname(file));
          madeDirs.add(dirname(file));
        }
        // The PNG last: a seed counts as done (`pending`) once its PNG exists.
        if (latents && img.latents) await writeFileAtomic(file.replace(/\.png$/, '.npy'), encodeNpyFloat32(img.latents.data, img.latents.shape));
        await writeFileAtomic(file, pngOf(img));
        if (keepLabels && (img.classLabel !== null || hadLabels)) classes.set(path, img.classLabel);
        if (!gridSeeds) order.push(img.seed);
        const inGrid = gridSeeds ? gridSeeds.has(img.seed) : order.length <= GRID_MAX;
        if (npz || (grid && inGrid)) kept.set(img.seed, img);
      }
      count += images.length;
    },
    async finish() {
      const labels = mergedLabels(outdir, classes);
      const image = (seed: number) => kept.get(seed) ?? readBack(fileOf(seed), seed, labels[samplePath(seed, subdirs)] ?? null);
      if (grid && order.length > 0) await writeFileAtomic(join(outdir, 'grid.png'), pngOf(imageGrid(order.slice(0, GRID_MAX).map(image))));
      if (keepLabels && Object.keys(labels).length > 0) await writeFileAtomic(join(outdir, LABELS_FILE), new TextEncoder().encode(JSON.stringify(labels)));
      else if (hadLabels) rmSync(join(outdir, LABELS_FILE), { force: true });
      if (npz && order.length > 0) await writeFileAtomic(join(outdir, 'samples.npz'), npzOf(order.map(image)));
    },
  };
}

/**
 * The directory's labels.json with this run's images applied: a class set, or removed for an unconditional
 * image (an image of another run replaced by --force keeps no stale class).
 */
function mergedLabels(outdir: string, classes: ReadonlyMap<string, number | null>): Record<string, number> {
  const file = join(outdir, LABELS_FILE);
  const labels = existsSync(file) ? readLabels(file) : {};
  for (const [path, label] of classes) {
    if (label === null) delete labels[path];
    else labels[path] = label;
  }
  return labels;
}

function readLabels(file: string): Record<string, number> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw e instanceof SyntaxError ? new InputError(`${file}: not JSON; delete it, or use another output directory`) : fileError(file, 'read', e);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json) || !Object.values(json).every((v) => Number.isInteger(v))) {
    throw new InputError(`${file}: expected { "000123.png": class, ... }; delete it, or use another output directory`);
  }
  return { ...(json as Record<string, number>) };
}

/** A PNG this run wrote earlier, as the image it was generated as. */
function readBack(file: string, seed: number, classLabel: number | null): GeneratedImage {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw fileError(file, 'read', e);
  }
  const png = decodePng(bytes, file);
  return { seed, classLabel, width: png.width, height: png.height, channels: png.channels, pixels: png.data };
}

function pngOf(img: GridImage): Uint8Array {
  return encodePng({ width: img.width, height: img.height, channels: img.channels, data: img.pixels });
}

/** The images as one uint8 (N, H, W, C) array, with their classes when every image has one. */
function npzOf(images: readonly GeneratedImage[]): Uint8Array {
  const { width, height, channels } = images[0];
  const data = new Uint8Array(images.length * width * height * channels);
  images.forEach((img, i) => data.set(img.pixels, i * img.pixels.length));
  const classes = images.map((img) => img.classLabel);
  const labels = classes.every((c): c is number => c !== null) ? classes : undefined;
  return encodeNpzUint8(data, [images.length, height, width, channels], labels);
}
