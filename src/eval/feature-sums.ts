// Mergeable feature statistics: the count, the sum and the sum of outer products of feature rows, in
// float64. Shards add them up (what EDM's FID code all-reduces across GPUs) and the sums give the mean
// and covariance of all rows at once: mu = s / n, sigma = (S - n mu mu^T) / (n - 1).
import type { GaussianStats } from './fd.js';

/** Sums over `count` feature rows of size `dim`. */
export interface FeatureSums {
  count: number;
  dim: number;
  /** (dim,) sum of the rows. */
  sum: Float64Array;
  /** (dim, dim) sum of x x^T over the rows, row-major. */
  outer: Float64Array;
}

/** No rows yet. */
export function emptySums(dim: number): FeatureSums {
  return { count: 0, dim, sum: new Float64Array(dim), outer: new Float64Array(dim * dim) };
}

/** The sums of `features` (count, dim) row-major. */
export function featureSums(features: Float32Array, dim: number): FeatureSums {
  const count = features.length / dim;
  if (!Number.isInteger(count)) throw new Error(`internal: featureSums: ${features.length} values are not rows of ${dim}`);
  const s = emptySums(dim);
  s.count = count;
  const row = new Float64Array(dim);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dim; j++) row[j] = features[i * dim + j];
    for (let j = 0; j < dim; j++) {
      s.sum[j] += row[j];
      const xj = row[j];
      // Upper triangle only; mirrored below once all rows are in.
      for (let k = j; k < dim; k++) s.outer[j * dim + k] += xj * row[k];
    }
  }
  for (let j = 0; j < dim; j++) for (let k = 0; k < j; k++) s.outer[j * dim + k] = s.outer[k * dim + j];
  return s;
}

/** a + b: the sums over the rows of both. */
export function addSums(a: FeatureSums, b: FeatureSums): FeatureSums {
  if (a.dim !== b.dim) throw new Error(`internal: addSums: dimensions ${a.dim} and ${b.dim}`);
  return {
    count: a.count + b.count,
    dim: a.dim,
    sum: a.sum.map((v, j) => v + b.sum[j]),
    outer: a.outer.map((v, j) => v + b.outer[j]),
  };
}

/** Mean and covariance (normalised by count - 1, as gaussianStats) of the summed rows; at least two. */
export function sumsToGaussian(s: FeatureSums): GaussianStats {
  const { count, dim } = s;
  if (count < 2) throw new Error(`internal: sumsToGaussian: ${count} rows`);
  const mu = s.sum.map((v) => v / count);
  const sigma = new Float64Array(dim * dim);
  // Upper triangle, then mirrored: exactly symmetric, as the eigen solver of FD expects.
  for (let j = 0; j < dim; j++) {
    for (let k = j; k < dim; k++) {
      sigma[j * dim + k] = (s.outer[j * dim + k] - count * mu[j] * mu[k]) / (count - 1);
      sigma[k * dim + j] = sigma[j * dim + k];
    }
  }
  return { count, dim, mu, sigma };
}
