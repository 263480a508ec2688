// The images `lego eval` scores: a folder or ZIP of PNG/JPEG files (what `lego generate` writes, searched
// recursively) or an .npz holding arr_0, uint8 (N, H, W[, C]), as `lego generate --npz` and the ADM
// evaluation suite write it; and the class each image was generated for, from a labels JSON file.
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { unzipSync } from 'fflate';
import { InputError } from '../errors.js';
import { DATASET_JSON, parseDatasetJson } from '../data/dataset-json.js';
import { decodeImage, isImageName } from '../data/decode-image.js';
import { openFileTable } from '../data/fs-files.js';
import type { Image } from '../data/image.js';

/** The labels file `lego generate` writes beside the images of a conditional model. */
export const LABELS_JSON = 'labels.json';
/** The preview `lego generate` writes beside the images: not one of them. */
const GRID_PNG = 'grid.png';

/** A set of images, decoded on demand. */
export interface ImageSet {
  where: string;
  count: number;
  /** Names for labels: file paths inside the folder or ZIP, `"<index>"` in an .npz. */
  names: string[];
  image(i: number): Image;
  /** Labels the set carries itself (a labels.json or dataset.json inside it), or null. */
  labels: Labels | null;
  close(): void;
}

/** Classes by image name, or by index in set order. */
export type Labels = { byName: Map<string, number> } | { byIndex: number[] };

/** Open a folder, ZIP or .npz of images (a top-level grid.png excepted). Throws InputError naming the path. */
export function openImageSet(path: string): ImageSet {
  if (path.toLowerCase().endsWith('.npz')) return npzImageSet(path);
  const files = openFileTable(path);
  const names = files.names.filter((name) => isImageName(name) && name !== GRID_PNG);
  if (names.length === 0) {
    files.close();
    throw new InputError(`${path}: no PNG or JPEG images (expected the output folder of lego generate, a dataset, or an .npz)`);
  }
  let labels: Labels | null = null;
  if (files.names.includes(LABELS_JSON)) {
    labels = parseLabelsJson(new TextDecoder().decode(files.read(LABELS_JSON)), `${path}: ${LABELS_JSON}`);
  } else if (files.names.includes(DATASET_JSON)) {
    const json = parseDatasetJson(new TextDecoder().decode(files.read(DATASET_JSON)), `${path}: ${DATASET_JSON}`);
    if (json.labels) labels = { byName: json.labels };
  }
  return {
    where: path,
    count: names.length,
    names,
    image: (i) => decodeImage(files.read(names[i]), `${path}: ${names[i]}`),
    labels,
    close: () => files.close(),
  };
}

/**
 * A labels file: `{ "000123.png": 3, ... }` (image path -> class; a bare file name also matches an image
 * in a sub-folder) or `[3, 1, ...]` (one class per image, in set order). Throws InputError naming `where`.
 */
export function parseLabelsJson(text: string, where: string): Labels {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${where}: not JSON (${(e as Error).message})`);
  }
  const check = (key: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new InputError(`${where}: class of ${key} is ${JSON.stringify(v)}; expected an integer >= 0`);
    return v;
  };
  if (Array.isArray(json)) return { byIndex: json.map((v, i) => check(`image ${i}`, v)) };
  if (json === null || typeof json !== 'object') throw new InputError(`${where}: expected an object { "000123.png": 3, ... } or an array of classes`);
  return { byName: new Map(Object.entries(json).map(([k, v]) => [k, check(k, v)])) };
}

/** The class of each image of `set` (-1 where the labels have none). */
export function labelsOf(set: Pick<ImageSet, 'names' | 'count'>, labels: Labels): Int32Array {
  const out = new Int32Array(set.count).fill(-1);
  if ('byIndex' in labels) {
    for (let i = 0; i < Math.min(set.count, labels.byIndex.length); i++) out[i] = labels.byIndex[i];
    return out;
  }
  set.names.forEach((name, i) => {
    out[i] = labels.byName.get(name) ?? labels.byName.get(posix.basename(name)) ?? -1;
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// .npz

function npzImageSet(path: string): ImageSet {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(readFileSync(path));
  } catch (e) {
    throw new InputError(`${path}: cannot read as .npz (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const name = 'arr_0.npy' in entries ? 'arr_0.npy' : Object.keys(entries).find((n) => n.endsWith('.npy'));
  if (!name) throw new InputError(`${path}: no arr_0.npy inside; expected np.savez(path, images)`);
  const { shape, data } = parseNpyUint8(entries[name], `${path}: ${name}`);
  const [count, height, width, channels = 1] = shape;
  if ((shape.length !== 3 && shape.length !== 4) || count === 0 || ![1, 3, 4].includes(channels)) {
    throw new InputError(`${path}: ${name} has shape (${shape.join(', ')}); expected uint8 (N, H, W) or (N, H, W, C) with C 1, 3 or 4`);
  }
  const size = height * width * channels;
  const classes = 'arr_1.npy' in entries && name === 'arr_0.npy' ? parseNpyLabels(entries['arr_1.npy'], `${path}: arr_1.npy`, count) : null;
  return {
    where: path,
    count,
    names: Array.from({ length: count }, (_, i) => String(i)),
    image: (i) => ({ width, height, channels, data: data.subarray(i * size, (i + 1) * size) }),
    labels: classes ? { byIndex: classes } : null,
    close: () => {},
  };
}

/**
 * A .npy array in C order (format versions 1-3): its dtype descriptor, shape and raw bytes. `dtypeProblem`
 * may refuse the dtype (checked before the size, which depends on it).
 */
function parseNpy(bytes: Uint8Array, where: string, dtypeProblem: (descr: string) => string | null = () => null): { descr: string; shape: number[]; data: Uint8Array } {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) throw new InputError(`${where}: not a .npy array`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran !== 'False' || shapeText === undefined) throw new InputError(`${where}: expected a C-order array with a dtype and a shape, got header ${header.trim()}`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const problem = dtypeProblem(descr);
  if (problem) throw new InputError(`${where}: dtype ${descr}; ${problem}`);
  const itemSize = npyItemSize(descr);
  if (itemSize === null) throw new InputError(`${where}: dtype ${descr}; expected a numeric array`);
  const size = shape.reduce((a, b) => a * b, 1) * itemSize;
  const data = bytes.subarray(start + headerLength);
  if (data.length !== size) throw new InputError(`${where}: ${data.length} bytes of data for shape (${shape.join(', ')}) of ${descr}; truncated`);
  return { descr, shape, data };
}

/** Bytes per item of a .npy dtype: the digits of a numeric one ('|u1', '<i8', '<f4', ...). */
function npyItemSize(descr: string): number | null {
  const numeric = /^[<>|=][biufc](\d+)$/.exec(descr);
  return numeric ? Number(numeric[1]) : null;
}

/** Integer dtypes a labels array may have, and their sizes. */
const NPY_INT_BYTES: Record<string, number> = { '|u1': 1, '<u1': 1, '|i1': 1, '<i2': 2, '<u2': 2, '<i4': 4, '<u4': 4, '<i8': 8, '<u8': 8 };

/** A .npy array of uint8 in C order. */
function parseNpyUint8(bytes: Uint8Array, where: string): { shape: number[]; data: Uint8Array } {
  return parseNpy(bytes, where, (descr) => (['|u1', '<u1', '>u1'].includes(descr) ? null : 'expected uint8 images (|u1)'));
}

/** arr_1 of an .npz: one integer class per image (guided-diffusion's convention), or null if it is something else. */
function parseNpyLabels(bytes: Uint8Array, where: string, count: number): number[] | null {
  const { descr, shape, data } = parseNpy(bytes, where);
  const width = NPY_INT_BYTES[descr];
  if (!width || shape.length !== 1 || shape[0] !== count) return null;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const signed = descr.includes('i');
  return Array.from({ length: count }, (_, i) => {
    const at = i * width;
    if (width === 1) return signed ? view.getInt8(at) : view.getUint8(at);
    if (width === 2) return signed ? view.getInt16(at, true) : view.getUint16(at, true);
    if (width === 4) return signed ? view.getInt32(at, true) : view.getUint32(at, true);
    return Number(signed ? view.getBigInt64(at, true) : view.getBigUint64(at, true));
  });
}
