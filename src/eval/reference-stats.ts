// Cached features of a reference dataset, one safetensors file beside it per feature network
// (`mnist32.zip.lenet-mnist.stats.safetensors`): mean and covariance for FD and every feature row for
// KID and precision/recall. Stale when the dataset's size or modification time, or the network, changes.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isUserError } from '../errors.js';
import { f32, f64, toFloat32, toFloat64 } from '../io/safetensors.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../io/safetensors-file.js';
import type { GaussianStats } from './fd.js';

/** Features of a reference set and their Gaussian statistics. */
export interface ReferenceFeatures {
  /** (count, dim) row-major. */
  features: Float32Array;
  stats: GaussianStats;
}

/** What a cache entry must match to be used. */
export interface CacheKey {
  /** The feature network's fingerprint (name and weights). */
  fingerprint: string;
  stamp: DatasetStamp;
}

/** Size and modification time of a dataset file, or the totals over a dataset folder's files. */
export interface DatasetStamp {
  bytes: number;
  mtimeMs: number;
}

export const CACHE_FORMAT = 'lego-reference-stats';

/** The cache file of `ref` for a feature network: beside the dataset, never inside it. */
export function referenceStatsPath(ref: string, features: string): string {
  return `${ref.replace(/[\\/]+$/, '')}.${features}.stats.safetensors`;
}

/** The dataset's stamp: its own size and mtime, or for a folder the sum of sizes and the latest mtime. */
export function datasetStamp(path: string): DatasetStamp {
  const stat = statSync(path);
  if (!stat.isDirectory()) return { bytes: stat.size, mtimeMs: stat.mtimeMs };
  const total = { bytes: 0, mtimeMs: stat.mtimeMs };
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const sub = datasetStamp(join(path, entry.name));
    total.bytes += sub.bytes;
    total.mtimeMs = Math.max(total.mtimeMs, sub.mtimeMs);
  }
  return total;
}

/** The cached features at `file` when they match `key`; null when missing, stale or unreadable. */
export async function readReferenceStats(file: string, key: CacheKey): Promise<ReferenceFeatures | null> {
  let parsed;
  try {
    parsed = await readSafetensorsFile(file);
  } catch (e) {
    if (isUserError(e)) return null;
    throw e;
  }
  const { metadata: m, tensors } = parsed;
  const fresh = m.format === CACHE_FORMAT && m.fingerprint === key.fingerprint &&
    m.dataset_bytes === String(key.stamp.bytes) && m.dataset_mtime_ms === String(key.stamp.mtimeMs);
  const [mu, sigma, features] = ['mu', 'sigma', 'features'].map((n) => tensors.get(n));
  if (!fresh || !mu || !sigma || !features || features.shape.length !== 2) return null;
  const [count, dim] = features.shape;
  if (mu.shape.join() !== `${dim}` || sigma.shape.join() !== `${dim},${dim}`) return null;
  return {
    features: toFloat32(features, 'features'),
    stats: { count, dim, mu: toFloat64(mu, 'mu'), sigma: toFloat64(sigma, 'sigma') },
  };
}

/** Write the cache (atomically). Throws InputError naming `file` when it cannot be written. */
export async function writeReferenceStats(file: string, ref: ReferenceFeatures, key: CacheKey, dataset: string): Promise<void> {
  const { count, dim, mu, sigma } = ref.stats;
  await writeSafetensorsFile(
    file,
    [['mu', f64([dim], mu)], ['sigma', f64([dim, dim], sigma)], ['features', f32([count, dim], ref.features)]],
    {
      format: CACHE_FORMAT,
      fingerprint: key.fingerprint,
      dataset,
      dataset_bytes: String(key.stamp.bytes),
      dataset_mtime_ms: String(key.stamp.mtimeMs),
    },
  );
}
