// `lego eval` as a library call: features of generated images and of a reference dataset (cached), then
// Fréchet distance, KID, precision/recall and the classifier's accuracy on the classes images were
// generated for. Metrics are named after the feature network (fd-lenet-mnist); FID is fd-inception-v3.
// evaluateMerged scores the per-job statistics of a sharded run instead, with the same result.
import { InputError } from '../errors.js';
import { openDataset } from '../data/dataset-reader.js';
import type { Image } from '../data/image.js';
import { Rng } from '../random.js';
import { extractAll } from './extract.js';
import { sumsToGaussian } from './feature-sums.js';
import { frechetDistance, gaussianStats, type GaussianStats } from './fd.js';
import { classAccuracy, loadFeatureNet, type FeatureExtractor } from './features.js';
import { labelsOf, openImageSet, type Labels } from './image-set.js';
import { mergeJobStats } from './job-stats.js';
import { kid } from './kid.js';
import { precisionRecall } from './precision-recall.js';
import { datasetStamp, readReferenceStats, referenceStatsPath, writeReferenceStats, type ReferenceFeatures } from './reference-stats.js';

export const METRICS = ['fd', 'kid', 'pr', 'acc'] as const;
export type MetricName = (typeof METRICS)[number];

export interface EvaluateOptions {
  /** Generated images: a folder or ZIP of PNG/JPEG files, or an .npz (arr_0 uint8 N x H x W x C). */
  images: string;
  /** Reference dataset: a ZIP or folder as `lego dataset` writes it. */
  ref: string;
  /** Default: fd, kid, pr, and acc when the images have labels. */
  metrics?: readonly MetricName[];
  /** A registered feature network or a LeNet .safetensors file (default 'lenet-mnist'). */
  features?: string;
  /** Class per generated image; default: labels.json (or dataset.json) inside `images`. */
  labels?: Labels;
  /** KID subsets (default 100) and rows per subset (default min(1000, n)). */
  kidSubsets?: number;
  kidSubsetSize?: number;
  /** Precision/recall neighbourhood size (default 3). */
  prK?: number;
  /** Images per set used for precision/recall, a seeded random subset beyond it (default 10000). */
  prMaxImages?: number;
  /** Seed of every random subset (default 0). */
  seed?: number;
  /** Read and write the reference cache beside the dataset (default true). */
  cache?: boolean;
  threads?: number;
  /** Feature extraction progress: `stage` is 'images' or 'reference'. */
  onProgress?: (stage: 'images' | 'reference', done: number, total: number) => void;
}

/** One metric's value and the numbers of images it used. */
export interface MetricResult {
  value: number;
  images: number;
  ref_images?: number;
  [detail: string]: number | undefined;
}

export interface EvaluateResult {
  features: string;
  feature_dim: number;
  images: { path: string; count: number };
  ref: { path: string; count: number; cache: 'hit' | 'written' | 'off' | 'unwritable'; cache_file: string | null };
  metrics: Record<string, MetricResult>;
  seconds: number;
}

/** Features of the reference dataset, from the cache when it is fresh. */
async function referenceFeatures(
  net: FeatureExtractor,
  options: Pick<EvaluateOptions, 'ref' | 'cache'> & { onProgress?: (stage: 'reference', done: number, total: number) => void },
): Promise<{ ref: ReferenceFeatures; cache: EvaluateResult['ref']['cache']; file: string | null }> {
  const file = options.cache === false ? null : referenceStatsPath(options.ref, net.name);
  const dataset = openDataset(options.ref);
  try {
    if (dataset.count < 2) throw new InputError(`${options.ref}: ${dataset.count} image; the metrics need at least 2`);
    const key = { fingerprint: net.fingerprint, stamp: datasetStamp(options.ref) };
    if (file) {
      const cached = await readReferenceStats(file, key);
      if (cached && cached.stats.count === dataset.count && cached.stats.dim === net.dim) return { ref: cached, cache: 'hit', file };
    }
    const { resolution: r, channels } = dataset;
    const image = (i: number): Image => ({ width: r, height: r, channels, data: chwToHwc(dataset.getImage(i), channels) });
    const { features } = await extractAll(net, dataset.count, image, (done) => options.onProgress?.('reference', done, dataset.count));
    const ref = { features, stats: gaussianStats(features, net.dim) };
    if (!file) return { ref, cache: 'off', file };
    try {
      await writeReferenceStats(file, ref, key, options.ref);
      return { ref, cache: 'written', file };
    } catch (e) {
      if (e instanceof InputError) return { ref, cache: 'unwritable', file };
      throw e;
    }
  } finally {
    dataset.close();
  }
}

function chwToHwc(chw: Uint8Array, channels: number): Uint8Array {
  if (channels === 1) return chw;
  const n = chw.length / channels;
  const out = new Uint8Array(chw.length);
  for (let c = 0; c < channels; c++) for (let i = 0; i < n; i++) out[i * channels + c] = chw[c * n + i];
  return out;
}

/** `rows` rows of x (n, d), a seeded random subset in index order when n is larger. */
function subsetRows(x: Float32Array, d: number, rows: number, seed: number): Float32Array {
  const n = x.length / d;
  if (n <= rows) return x;
  const rng = new Rng(seed, 0x9e);
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < rows; i++) {
    const j = i + rng.below(n - i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const picked = order.subarray(0, rows).sort();
  const out = new Float32Array(rows * d);
  picked.forEach((row, i) => out.set(x.subarray(row * d, (row + 1) * d), i * d));
  return out;
}

/** The generated side of an evaluation: one feature row (and logits) per image, in set order. */
interface Generated {
  /** What was given (a path), for the result; `where` names it in errors. */
  path: string;
  where: string;
  count: number;
  features: Float32Array;
  logits: Float32Array | null;
  /** The class each image was generated for (-1: none); null when acc is not wanted. */
  classes: Int32Array | null;
  /** Mean and covariance of the features, for FD. */
  gaussian: () => GaussianStats;
}

/** The metrics asked for: by default fd, kid, pr, and acc when the images have classes. */
function wantedMetrics(options: EvaluateOptions | MergedEvaluateOptions, hasClasses: boolean): Set<MetricName> {
  return new Set(options.metrics ?? (hasClasses ? METRICS : METRICS.filter((m) => m !== 'acc')));
}

/** Reference features, then every wanted metric of `gen` against them. */
async function score(net: FeatureExtractor, gen: Generated, wanted: Set<MetricName>, options: EvaluateOptions | MergedEvaluateOptions, start: number): Promise<EvaluateResult> {
  const seed = options.seed ?? 0;
  const { ref, cache, file } = await referenceFeatures(net, options);
  const d = net.dim;
  const nGen = gen.count;
  const nRef = ref.stats.count;
  const metrics: Record<string, MetricResult> = {};
  if (wanted.has('fd')) {
    metrics[`fd-${net.name}`] = { value: frechetDistance(gen.gaussian(), ref.stats), images: nGen, ref_images: nRef };
  }
  if (wanted.has('kid')) {
    const r = await kid(gen.features, ref.features, d, { subsets: options.kidSubsets, subsetSize: options.kidSubsetSize, seed, threads: options.threads });
    metrics[`kid-${net.name}`] = { value: r.value, std: r.std, images: nGen, ref_images: nRef, subsets: r.subsets, subset_size: r.subsetSize };
  }
  if (wanted.has('pr')) {
    const cap = options.prMaxImages ?? 10_000;
    const k = options.prK ?? 3;
    if (Math.min(nGen, nRef, cap) <= k) throw new InputError(`precision/recall with k = ${k} needs more than ${k} images in each set; got ${nGen} and ${nRef} (at most ${cap} used)`);
    const real = subsetRows(ref.features, d, cap, seed);
    const fake = subsetRows(gen.features, d, cap, seed + 1);
    const r = await precisionRecall(real, fake, d, { k, threads: options.threads });
    const used = { images: fake.length / d, ref_images: real.length / d, k: r.k };
    metrics[`precision-${net.name}`] = { value: r.precision, ...used };
    metrics[`recall-${net.name}`] = { value: r.recall, ...used };
  }
  const { logits: genLogits, classes } = gen;
  if (wanted.has('acc') && classes && genLogits) {
    const rows = [...classes.keys()].filter((i) => classes[i] >= 0);
    if (rows.length === 0) throw new InputError(`${gen.where}: the labels name none of its ${nGen} images`);
    const logits = new Float32Array(rows.length * net.classes);
    rows.forEach((row, i) => logits.set(genLogits.subarray(row * net.classes, (row + 1) * net.classes), i * net.classes));
    metrics[`acc-${net.name}`] = { value: classAccuracy(logits, rows.map((i) => classes[i])), images: rows.length };
  }
  return {
    features: net.name,
    feature_dim: d,
    images: { path: gen.path, count: nGen },
    ref: { path: options.ref, count: nRef, cache, cache_file: file },
    metrics,
    seconds: (performance.now() - start) / 1000,
  };
}

/**
 * Score generated images against a reference dataset.
 *
 * @example
 * const r = await evaluate({ images: 'out/', ref: 'mnist32.zip' });
 * r.metrics['fd-lenet-mnist'].value; // Fréchet distance in LeNet-MNIST feature space
 */
export async function evaluate(options: EvaluateOptions): Promise<EvaluateResult> {
  const start = performance.now();
  const set = openImageSet(options.images);
  let loaded: FeatureExtractor | undefined;
  try {
    const net = (loaded = await loadFeatureNet(options.features ?? 'lenet-mnist', { threads: options.threads }));
    const labelSource = options.labels ?? set.labels;
    const wanted = wantedMetrics(options, labelSource !== null);
    if (wanted.has('acc') && !labelSource) {
      throw new InputError(`${set.where}: accuracy needs the class of each image: a labels.json inside it (lego generate writes one) or a labels file`);
    }
    if (wanted.has('acc') && net.classes === 0) throw new InputError(`accuracy: feature network ${net.name} has no classifier head`);
    if (set.count < 2) throw new InputError(`${set.where}: ${set.count} image; the metrics need at least 2`);
    const { features, logits } = await extractAll(net, set.count, (i) => set.image(i), (done) => options.onProgress?.('images', done, set.count));
    const classes = wanted.has('acc') && labelSource ? labelsOf(set, labelSource) : null;
    const gen = { path: options.images, where: set.where, count: set.count, features, logits, classes, gaussian: () => gaussianStats(features, net.dim) };
    return await score(net, gen, wanted, options, start);
  } finally {
    set.close();
    await loaded?.release();
  }
}

/** evaluate's options for the statistics that the jobs of a sharded run wrote, instead of its images. */
export interface MergedEvaluateOptions extends Omit<EvaluateOptions, 'images' | 'labels' | 'onProgress'> {
  /** A sample directory with the jobs' statistics (`lego generate --stats`), or its stats folder. */
  stats: string;
  /** Reference feature extraction progress (the generated side needs none). */
  onProgress?: (stage: 'reference', done: number, total: number) => void;
}

/**
 * Score the per-job statistics of a sharded run (written by `lego generate --stats` or `lego worker`)
 * against a reference dataset: the same result as `evaluate` over all of the run's images at once, without
 * reading them again. Classes for accuracy come from the statistics.
 *
 * @example
 * const r = await evaluateMerged({ stats: 'out/', ref: 'mnist32.zip' });
 * r.images.count; // every image of every job, each once
 */
export async function evaluateMerged(options: MergedEvaluateOptions): Promise<EvaluateResult> {
  const start = performance.now();
  const net = await loadFeatureNet(options.features ?? 'lenet-mnist', { threads: options.threads });
  try {
    const merged = await mergeJobStats(options.stats, net.name);
    if (merged.net.fingerprint !== net.fingerprint) {
      throw new InputError(`${options.stats}: the statistics were made with feature network ${merged.net.fingerprint}, not ${net.fingerprint}; use the same --features`);
    }
    const hasClasses = merged.classes.some((c) => c >= 0);
    const wanted = wantedMetrics(options, hasClasses);
    if (wanted.has('acc') && !hasClasses) throw new InputError(`${options.stats}: accuracy needs the class of each image, and the statistics have none (an unconditional model)`);
    if (wanted.has('acc') && net.classes === 0) throw new InputError(`accuracy: feature network ${net.name} has no classifier head`);
    if (merged.sums.count < 2) throw new InputError(`${options.stats}: ${merged.sums.count} image; the metrics need at least 2`);
    const gen = {
      path: options.stats,
      where: options.stats,
      count: merged.sums.count,
      features: merged.features,
      logits: merged.logits,
      classes: merged.classes,
      gaussian: () => sumsToGaussian(merged.sums),
    };
    return await score(net, gen, wanted, options, start);
  } finally {
    await net.release();
  }
}
