// EDM preconditioning (LEGO-SPEC "Preconditioning"): scalars per sample from sigma, both as graph
// ops (training, verification) and as plain numbers, applied row by row around the per-brick runner.
import { add, div, log, mul, numel, reshape, sqrt, type Shape, type Value } from '../graph/ops.js';

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

/** The network input c_in x row by row, for noisy x (B, ...) and one sigma per row. */
export function preconditionInput(x: ArrayLike<number>, shape: Shape, sigma: ArrayLike<number>, sigmaData: number): Float32Array {
  const [b] = shape;
  const pixels = numel(shape.slice(1));
  const xIn = new Float32Array(b * pixels);
  for (let i = 0; i < b; i++) {
    const { cIn } = preconditionScalars(Math.fround(sigma[i]), sigmaData);
    for (let j = 0; j < pixels; j++) xIn[i * pixels + j] = x[i * pixels + j] * cIn;
  }
  return xIn;
}

/**
 * D = c_skip x + c_out F row by row, for x and the network output F of shape (B, ...) and one sigma
 * per row; F may hold float64 values (guidance mixes in float64) and is not rounded before this.
 */
export function preconditionOutput(x: ArrayLike<number>, f: ArrayLike<number>, shape: Shape, sigma: ArrayLike<number>, sigmaData: number): Float32Array {
  const [b] = shape;
  const pixels = numel(shape.slice(1));
  const out = new Float32Array(b * pixels);
  for (let i = 0; i < b; i++) {
    const { cSkip, cOut } = preconditionScalars(Math.fround(sigma[i]), sigmaData);
    // Rounded to float32, like the (B, 1, 1, 1) scalars of the whole-stack graph.
    const skip = Math.fround(cSkip);
    const scale = Math.fround(cOut);
    for (let j = 0; j < pixels; j++) {
      const at = i * pixels + j;
      out[at] = skip * x[at] + scale * f[at];
    }
  }
  return out;
}
