// EDM preconditioning (LEGO-SPEC "Preconditioning"): scalars per sample from sigma, both as graph
// ops (training, verification) and as plain numbers (the sampler's glue).
import { add, div, log, mul, reshape, sqrt, type Value } from '../graph/ops.js';

export interface Precond {
  cSkip: Value;
  cOut: Value;
  cIn: Value;
  cNoise: Value;
}

/** sigma (B,) -> c_skip, c_out, c_in as (B, 1, 1, 1) and c_noise as (B,). */
export function precondition(sigma: Value, sigmaData: number): Precond {
  const sd2 = sigmaData * sigmaData;
  const s = reshape(sigma, [sigma.shape[0], 1, 1, 1]);
  const s2 = mul(s, s);
  const norm = sqrt(add(s2, sd2));
  return {
    cSkip: div(sd2, add(s2, sd2)),
    cOut: div(mul(s, sigmaData), norm),
    cIn: div(1, norm),
    cNoise: mul(log(sigma), 0.25),
  };
}

/** The same scalars for one sigma, in float64. */
export function preconditionScalars(sigma: number, sigmaData: number) {
  const sd2 = sigmaData * sigmaData;
  const norm = Math.sqrt(sigma * sigma + sd2);
  return { cSkip: sd2 / (sigma * sigma + sd2), cOut: (sigma * sigmaData) / norm, cIn: 1 / norm, cNoise: Math.log(sigma) / 4 };
}
