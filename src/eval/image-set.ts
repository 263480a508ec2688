// The images `lego eval` scores: a folder or ZIP of PNG/JPEG files (what `lego generate` writes, searched
// recursively) or an .npz holding arr_0, uint8 (N, H, W[, C]), as `lego generate --npz` and the ADM
// evaluation suite write it; and the class each image was generated for, from a labels JSON file (labels.json
// and the per-job labels/*.json of a sharded run, read together).
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { InputError, printable } from '../errors.js';
import { numel } from '../graph/ops.js';
import { DATASET_JSON, parseDatasetJson } from '../data/dataset-json.js';
import { decodeImage, isImageName } from '../data/decode-image.js';
import { parseNpyHeader } from '../data/npy.js';
import { memorySource } from '../files/byte-source.js';
import { openFileTable } from '../files/fs-files.js';
import { isZip, zipFileTable } from '../files/zip-reader.js';
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
  const labelFiles = files.names.filter((name) => name === LABELS_JSON || isJobLabelsName(name));
  if (labelFiles.length > 0) {
    labels = readLabelFiles(labelFiles, (name) => files.read(name), path);
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

/** The folder of a sample directory with one labels file per job (labels/<tag>.json), read together. */
export const JOB_LABELS_DIR = 'labels';

function isJobLabelsName(name: string): boolean {
  return name.startsWith(`${JOB_LABELS_DIR}/`) && name.endsWith('.json') && !name.slice(JOB_LABELS_DIR.length + 1).includes('/');
}

/** labels.json and the jobs' labels files as one map (a single file as it is). */
function readLabelFiles(names: readonly string[], read: (name: string) => Uint8Array, path: string): Labels {
  const parsed = names.map((name) => parseLabelsJson(new TextDecoder().decode(read(name)), `${path}: ${name}`));
  if (parsed.length === 1) return parsed[0];
  const byName = new Map<string, number>();
  parsed.forEach((labels, i) => {
    if ('byIndex' in labels) throw new InputError(`${path}: ${names[i]} lists classes in image order, which cannot be read together with the other labels files; expected { "000123.png": 3, ... }`);
    for (const [name, label] of labels.byName) byName.set(name, label);
  });
  return { byName };
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
    throw new InputError(`${where}: not JSON (${printable((e as Error).message)})`); // the message quotes the text
  }
  const check = (key: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new InputError(`${where}: class of ${printable(key)} is ${printable(JSON.stringify(v) ?? String(v), 40)}; expected an integer >= 0`);
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
  let bytes: Uint8Array;
  try {
    const buffer = readFileSync(path);
    bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength); // images are views of it: plain Uint8Arrays
  } catch (e) {
    throw new InputError(`${path}: cannot read as .npz (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  // The package's ZIP reader: it checks each entry's CRC and never allocates sizes a damaged directory claims.
  const src = memorySource(bytes, path);
  if (!isZip(src)) throw new InputError(`${path}: cannot read as .npz (not a ZIP archive)`);
  const files = zipFileTable(src);
  const name = files.names.includes('arr_0.npy') ? 'arr_0.npy' : files.names.find((n) => n.endsWith('.npy'));
  if (!name) throw new InputError(`${path}: no arr_0.npy inside; expected np.savez(path, images)`);
  const { shape, data } = parseNpyUint8(files.read(name), `${path}: ${printable(name)}`);
  const [count, height, width, channels = 1] = shape;
  if ((shape.length !== 3 && shape.length !== 4) || count === 0 || ![1, 3, 4].includes(channels)) {
    throw new InputError(`${path}: ${printable(name)} has shape ${tuple(shape)}; expected uint8 (N, H, W) or (N, H, W, C) with C 1, 3 or 4`);
  }
  const size = height * width * channels;
  const classes = files.names.includes('arr_1.npy') && name === 'arr_0.npy' ? parseNpyLabels(files.read('arr_1.npy'), `${path}: arr_1.npy`, count) : null;
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
  const { descr, shape, dataOffset } = parseNpyHeader(bytes, where);
  const problem = dtypeProblem(descr);
  if (problem) throw new InputError(`${where}: dtype ${printable(descr, 20)}; ${problem}`);
  const itemSize = npyItemSize(descr);
  if (itemSize === null) throw new InputError(`${where}: dtype ${printable(descr, 20)}; expected a numeric array`);
  const size = numel(shape) * itemSize;
  const data = bytes.subarray(dataOffset);
  if (data.length !== size) throw new InputError(`${where}: ${data.length} bytes of data for shape ${tuple(shape)} of ${descr}; truncated`);
  return { descr, shape, data };
}

/** A shape for a message, as numpy prints it: `(2, 4, 4)`, cut short when it has many dimensions. */
function tuple(shape: readonly number[]): string {
  return printable(`(${shape.join(', ')})`, 60);
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
