// The Fréchet distance between Gaussians fitted to two feature sets (Heusel et al. 2017, eq. 6; with
// Inception-v3 features it is FID): |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^1/2), in float64.
import { trace, traceSqrtProduct } from './linalg.js';

/** Mean and covariance of a feature set. */
export interface GaussianStats {
  /** Feature vectors they were computed from. */
  count: number;
  dim: number;
  /** (dim,) */
  mu: Float64Array;
  /** (dim, dim), normalised by count - 1 as numpy.cov (pytorch-fid's choice). */
  sigma: Float64Array;
}

/** Mean and covariance of `features` (count, dim) row-major; at least two rows. */
export function gaussianStats(features: Float32Array, dim: number): GaussianStats {
  const count = features.length / dim;
  if (!Number.isInteger(count) || count < 2) throw new Error(`internal: gaussianStats: ${features.length} values do not make >= 2 rows of ${dim}`);
  const mu = new Float64Array(dim);
  for (let i = 0; i < count; i++) for (let j = 0; j < dim; j++) mu[j] += features[i * dim + j];
  for (let j = 0; j < dim; j++) mu[j] /= count;
  // Upper triangle of sum (x - mu)(x - mu)^T, then mirrored.
  const sigma = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dim; j++) centred[j] = features[i * dim + j] - mu[j];
    for (let j = 0; j < dim; j++) {
      const cj = centred[j];
      for (let k = j; k < dim; k++) sigma[j * dim + k] += cj * centred[k];
    }
  }
  for (let j = 0; j < dim; j++) {
    for (let k = j; k < dim; k++) {
      sigma[j * dim + k] /= count - 1;
      sigma[k * dim + j] = sigma[j * dim + k];
    }
  }
  return { count, dim, mu, sigma };
}

/** The Fréchet distance between two Gaussians of the same dimension. */
export function frechetDistance(a: GaussianStats, b: GaussianStats): number {
  if (a.dim !== b.dim) throw new Error(`internal: frechetDistance: dimensions ${a.dim} and ${b.dim}`);
  const d = a.dim;
  let meanTerm = 0;
  for (let j = 0; j < d; j++) meanTerm += (a.mu[j] - b.mu[j]) ** 2;
  return meanTerm + trace(a.sigma, d) + trace(b.sigma, d) - 2 * traceSqrtProduct(a.sigma, b.sigma, d);
}
