// `lego eval` as a library call: features of generated images and of a reference dataset (cached), then
// Fréchet distance, KID, precision/recall and the classifier's accuracy on the classes images were
// generated for. Metrics are named after the feature network (fd-lenet-mnist); FID is fd-inception-v3.
import { InputError } from '../errors.js';
import { openDataset } from '../data/dataset-reader.js';
import type { Image } from '../data/image.js';
import { Rng } from '../random.js';
import { frechetDistance, gaussianStats } from './fd.js';
import { classAccuracy, loadFeatureNet, type FeatureExtractor } from './features.js';
import { labelsOf, openImageSet, type Labels } from './image-set.js';
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

/** Images per extraction call (bounds memory, paces progress). */
const CHUNK = 1000;

async function extractAll(net: FeatureExtractor, count: number, image: (i: number) => Image, onProgress?: (done: number) => void) {
  const features = new Float32Array(count * net.dim);
  const logits = net.classes > 0 ? new Float32Array(count * net.classes) : null;
  for (let start = 0; start < count; start += CHUNK) {
    const end = Math.min(count, start + CHUNK);
    const batch = await net.extract(Array.from({ length: end - start }, (_, j) => image(start + j)));
    features.set(batch.features, start * net.dim);
    if (logits && batch.logits) logits.set(batch.logits, start * net.classes);
    onProgress?.(end);
  }
  return { features, logits };
}

/** Features of the reference dataset, from the cache when it is fresh. */
async function referenceFeatures(net: FeatureExtractor, options: EvaluateOptions): Promise<{ ref: ReferenceFeatures; cache: EvaluateResult['ref']['cache']; file: string | null }> {
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

/**
 * Score generated images against a reference dataset.
 *
 * @example
 * const r = await evaluate({ images: 'out/', ref: 'mnist32.zip' });
 * r.metrics['fd-lenet-mnist'].value; // Fréchet distance in LeNet-MNIST feature space
 */
export async function evaluate(options: EvaluateOptions): Promise<EvaluateResult> {
  const start = performance.now();
  const seed = options.seed ?? 0;
  const set = openImageSet(options.images);
  let loaded: FeatureExtractor | undefined;
  try {
    const net = (loaded = await loadFeatureNet(options.features ?? 'lenet-mnist', { threads: options.threads }));
    const labelSource = options.labels ?? set.labels;
    const wanted = new Set(options.metrics ?? (labelSource ? METRICS : METRICS.filter((m) => m !== 'acc')));
    if (wanted.has('acc') && !labelSource) {
      throw new InputError(`${set.where}: accuracy needs the class of each image: a labels.json inside it (lego generate writes one) or a labels file`);
    }
    if (wanted.has('acc') && net.classes === 0) throw new InputError(`accuracy: feature network ${net.name} has no classifier head`);
    if (set.count < 2) throw new InputError(`${set.where}: ${set.count} image; the metrics need at least 2`);
    const gen = await extractAll(net, set.count, (i) => set.image(i), (done) => options.onProgress?.('images', done, set.count));
    const { ref, cache, file } = await referenceFeatures(net, options);
    const d = net.dim;
    const nGen = set.count;
    const nRef = ref.stats.count;
    const metrics: Record<string, MetricResult> = {};
    if (wanted.has('fd')) {
      metrics[`fd-${net.name}`] = { value: frechetDistance(gaussianStats(gen.features, d), ref.stats), images: nGen, ref_images: nRef };
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
    const genLogits = gen.logits;
    if (wanted.has('acc') && labelSource && genLogits) {
      const labels = labelsOf(set, labelSource);
      const rows = [...labels.keys()].filter((i) => labels[i] >= 0);
      if (rows.length === 0) throw new InputError(`${set.where}: the labels name none of its ${set.count} images`);
      const logits = new Float32Array(rows.length * net.classes);
      rows.forEach((row, i) => logits.set(genLogits.subarray(row * net.classes, (row + 1) * net.classes), i * net.classes));
      metrics[`acc-${net.name}`] = { value: classAccuracy(logits, rows.map((i) => labels[i])), images: rows.length };
    }
    return {
      features: net.name,
      feature_dim: d,
      images: { path: options.images, count: nGen },
      ref: { path: options.ref, count: nRef, cache, cache_file: file },
      metrics,
      seconds: (performance.now() - start) / 1000,
    };
  } finally {
    set.close();
    await loaded?.release();
  }
}
