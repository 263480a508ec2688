// Feature statistics of one job's generated images, written beside them (stats/<tag>.<network>.safetensors
// in the sample directory): a float32 feature row and the classifier logits per image (KID, precision/recall
// and accuracy need the rows) and the float64 sums (FD). `mergeJobStats` combines a directory's files into
// what `lego eval` would compute over all the images at once, in the same row order.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, printable } from '../errors.js';
import type { Image } from '../data/image.js';
import { sortNames } from '../files/file-table.js';
import { fileError } from '../files/fs-files.js';
import { f32, f64, toFloat32, toFloat64, type TensorEntry } from '../io/safetensors.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../io/safetensors-file.js';
import { extractAll } from './extract.js';
import { addSums, emptySums, featureSums, type FeatureSums } from './feature-sums.js';
import type { FeatureExtractor } from './features.js';

/** The folder of a sample directory that holds the jobs' statistics files. */
export const STATS_DIR = 'stats';

/** The `format` metadata value of a job statistics file. */
export const JOB_STATS_FORMAT = 'lego-job-stats';

/** Features of a set of generated images, one row per image. */
export interface ImageFeatures {
  /** The feature network's registry name and fingerprint. */
  net: { name: string; fingerprint: string };
  dim: number;
  /** Classes of the network's classifier head (0: no logits). */
  classCount: number;
  /** Image paths inside the sample directory, in the order `lego eval` reads them (sorted). */
  names: string[];
  /** The class each image was generated for; -1 where it has none (unconditional). */
  classes: Int32Array;
  /** (n, dim) */
  features: Float32Array;
  /** (n, classCount), or null without a classifier head. */
  logits: Float32Array | null;
  sums: FeatureSums;
}

/** The statistics file of the job tagged `tag` (data/seed-split.ts seedsTag) for feature network `netName`. */
export function jobStatsPath(outdir: string, tag: string, netName: string): string {
  return join(outdir, STATS_DIR, `${tag}.${netName}.safetensors`);
}

/**
 * Features of the images `names` (sorted here), read by `image(name)`, with the class each was generated for
 * (`classOf`, null for none).
 */
export async function imageFeatures(
  net: FeatureExtractor,
  names: readonly string[],
  image: (name: string) => Image,
  classOf: (name: string) => number | null,
): Promise<ImageFeatures> {
  const sorted = sortNames([...names]);
  const { features, logits } = await extractAll(net, sorted.length, (i) => image(sorted[i]));
  return {
    net: { name: net.name, fingerprint: net.fingerprint },
    dim: net.dim,
    classCount: net.classes,
    names: sorted,
    classes: Int32Array.from(sorted, (name) => classOf(name) ?? -1),
    features,
    logits,
    sums: featureSums(features, net.dim),
  };
}

/** Write a job's statistics to `file` (atomically). */
export async function writeJobStats(file: string, stats: ImageFeatures): Promise<void> {
  const n = stats.names.length;
  const tensors: [string, TensorEntry][] = [
    ['features', f32([n, stats.dim], stats.features)],
    ['classes', { dtype: 'I32', shape: [n], data: stats.classes }],
    ['sum', f64([stats.dim], stats.sums.sum)],
    ['outer', f64([stats.dim, stats.dim], stats.sums.outer)],
  ];
  if (stats.logits) tensors.push(['logits', f32([n, stats.classCount], stats.logits)]);
  await writeSafetensorsFile(file, tensors, {
    format: JOB_STATS_FORMAT,
    features: stats.net.name,
    fingerprint: stats.net.fingerprint,
    count: String(n),
    names: JSON.stringify(stats.names),
  });
}

/** A job statistics file. Throws InputError naming `file` when it is not one. */
export async function readJobStats(file: string): Promise<ImageFeatures> {
  const { metadata: m, tensors } = await readSafetensorsFile(file);
  const bad = (what: string) => new InputError(`${file}: ${what}; not a job statistics file of this version (lego generate --stats writes them)`);
  if (m.format !== JOB_STATS_FORMAT) throw bad(`format "${printable(m.format ?? '', 40)}"`);
  let names: unknown;
  try {
    names = JSON.parse(m.names ?? '');
  } catch {
    names = null;
  }
  if (!Array.isArray(names) || !names.every((x) => typeof x === 'string')) throw bad('no list of image names');
  const [features, classes, sum, outer, logits] = ['features', 'classes', 'sum', 'outer', 'logits'].map((t) => tensors.get(t));
  const n = names.length;
  if (!features || !classes || !sum || !outer || features.shape.length !== 2 || features.shape[0] !== n) throw bad(`expected features (${n}, dim), classes, sum and outer`);
  const dim = features.shape[1];
  if (classes.shape.join() !== `${n}` || sum.shape.join() !== `${dim}` || outer.shape.join() !== `${dim},${dim}`) throw bad('tensor shapes disagree');
  if (logits && (logits.shape.length !== 2 || logits.shape[0] !== n)) throw bad('logits are not one row per image');
  if (m.features === undefined || m.fingerprint === undefined || m.count !== String(n)) throw bad('no feature network or count');
  return {
    net: { name: m.features, fingerprint: m.fingerprint },
    dim,
    classCount: logits ? logits.shape[1] : 0,
    names: names as string[],
    classes: Int32Array.from(toFloat64(classes, 'classes')),
    features: toFloat32(features, 'features'),
    logits: logits ? toFloat32(logits, 'logits') : null,
    sums: { count: n, dim, sum: toFloat64(sum, 'sum'), outer: toFloat64(outer, 'outer') },
  };
}

/**
 * The statistics of all images of a sample directory's jobs for feature network `netName`: the files
 * `stats/*.<netName>.safetensors` of `dir` (or of `dir` itself when it is the stats folder), rows in
 * `lego eval`'s order, sums added. An image in two files (jobs that overlap) counts once. Throws InputError
 * when there are no such files, or they disagree.
 */
export async function mergeJobStats(dir: string, netName: string): Promise<ImageFeatures & { files: number }> {
  const folder = listing(dir).includes(STATS_DIR) ? join(dir, STATS_DIR) : dir;
  const suffix = `.${netName}.safetensors`;
  const files = sortNames(listing(folder).filter((name) => name.endsWith(suffix)));
  if (files.length === 0) throw new InputError(`${folder}: no *${suffix} statistics files (lego generate --stats ${netName} writes them)`);
  const parts: ImageFeatures[] = [];
  for (const name of files) parts.push(await readJobStats(join(folder, name)));
  const first = parts[0];
  const other = parts.findIndex((p) => p.net.fingerprint !== first.net.fingerprint || p.dim !== first.dim || p.classCount !== first.classCount);
  if (other >= 0) {
    throw new InputError(`${join(folder, files[other])}: made with feature network ${printable(parts[other].net.fingerprint, 60)}, but ${files[0]} with ${printable(first.net.fingerprint, 60)}; remove the stale files`);
  }
  // Each image's row, by name: the first file that has it.
  const rows = new Map<string, { part: ImageFeatures; row: number }>();
  let duplicates = false;
  for (const part of parts) {
    part.names.forEach((name, row) => {
      if (rows.has(name)) duplicates = true;
      else rows.set(name, { part, row });
    });
  }
  const names = sortNames([...rows.keys()]);
  const { dim, classCount } = first;
  const features = new Float32Array(names.length * dim);
  const logits = classCount > 0 ? new Float32Array(names.length * classCount) : null;
  const classes = new Int32Array(names.length);
  names.forEach((name, i) => {
    const { part, row } = rows.get(name)!;
    features.set(part.features.subarray(row * dim, (row + 1) * dim), i * dim);
    if (logits && part.logits) logits.set(part.logits.subarray(row * classCount, (row + 1) * classCount), i * classCount);
    classes[i] = part.classes[row];
  });
  // Added sums would count an image in two files twice: then they are summed again over the kept rows.
  const sums = duplicates ? featureSums(features, dim) : parts.reduce((total, p) => addSums(total, p.sums), emptySums(dim));
  return { net: first.net, dim, classCount, names, classes, features, logits, sums, files: files.length };
}

function listing(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    throw fileError(dir, 'list', e);
  }
}
