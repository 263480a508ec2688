// The symmetric eigensolver and the matrix square roots of the Fréchet distance, on hand cases and on
// random matrices checked by reconstruction.
import { describe, expect, it } from 'vitest';
import { Rng } from '../random.js';
import { identity, matmul64, sqrtPsd, symmetricEigen, trace, traceSqrtProduct } from './linalg.js';

const sorted = (xs: Float64Array) => [...xs].sort((a, b) => a - b);
const maxDiff = (a: Float64Array, b: Float64Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
const transpose = (a: Float64Array, d: number) => Float64Array.from({ length: d * d }, (_, k) => a[(k % d) * d + Math.floor(k / d)]);

function randomSymmetric(d: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = i; j < d; j++) a[i * d + j] = a[j * d + i] = rng.normal();
  return a;
}

describe('symmetricEigen', () => {
  it('[[2, 1], [1, 2]] has eigenvalues 1 and 3 with eigenvectors (1, -1) and (1, 1)', () => {
    const { values, vectors } = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2);
    expect(sorted(values)[0]).toBeCloseTo(1, 14);
    expect(sorted(values)[1]).toBeCloseTo(3, 14);
    const j = values[0] > values[1] ? 0 : 1; // column of eigenvalue 3
    expect(Math.abs(vectors[j])).toBeCloseTo(Math.SQRT1_2, 14);
    expect(vectors[j] * vectors[2 + j]).toBeCloseTo(0.5, 14); // same sign: (1, 1) / sqrt 2
  });

  it('leaves a diagonal matrix as it is', () => {
    const { values, vectors } = symmetricEigen(Float64Array.of(5, 0, 0, 0, -2, 0, 0, 0, 7), 3);
    expect([...values]).toEqual([5, -2, 7]);
    expect([...vectors]).toEqual([...identity(3)]);
  });

  it('reconstructs random symmetric matrices (d = 40) with orthonormal eigenvectors', () => {
    const d = 40;
    const a = randomSymmetric(d, 1);
    const { values, vectors } = symmetricEigen(a, d);
    const scaled = Float64Array.from(vectors, (v, k) => v * values[k % d]); // V diag(values)
    expect(maxDiff(matmul64(scaled, transpose(vectors, d), d, d, d), a)).toBeLessThan(1e-12);
    expect(maxDiff(matmul64(transpose(vectors, d), vectors, d, d, d), identity(d))).toBeLessThan(1e-13);
    expect(values.reduce((s, x) => s + x, 0)).toBeCloseTo(trace(a, d), 11);
  });
});

describe('square roots', () => {
  it('sqrtPsd of diag(4, 9) is diag(2, 3), and of [[2, 1], [1, 2]] squares back to it', () => {
    expect(maxDiff(sqrtPsd(Float64Array.of(4, 0, 0, 9), 2), Float64Array.of(2, 0, 0, 3))).toBeLessThan(1e-15);
    const r = sqrtPsd(Float64Array.of(2, 1, 1, 2), 2);
    // V diag(1, sqrt 3) V^T = [[1 + sqrt 3, sqrt 3 - 1], [sqrt 3 - 1, 1 + sqrt 3]] / 2
    const s3 = Math.sqrt(3);
    expect(maxDiff(r, Float64Array.of((1 + s3) / 2, (s3 - 1) / 2, (s3 - 1) / 2, (1 + s3) / 2))).toBeLessThan(1e-15);
    expect(maxDiff(matmul64(r, r, 2, 2, 2), Float64Array.of(2, 1, 1, 2))).toBeLessThan(1e-14);
  });

  it('sqrtPsd clamps eigenvalues that rounding made slightly negative', () => {
    const r = sqrtPsd(Float64Array.of(1, 1, 1, 1 - 1e-17), 2);
    expect(r.every(Number.isFinite)).toBe(true);
  });

  it('traceSqrtProduct: tr((I diag(4, 9))^1/2) = 5, tr((A A)^1/2) = tr(A) for PSD A', () => {
    expect(traceSqrtProduct(identity(2), Float64Array.of(4, 0, 0, 9), 2)).toBeCloseTo(5, 14);
    const a = Float64Array.of(2, 1, 1, 2);
    expect(traceSqrtProduct(a, a, 2)).toBeCloseTo(4, 14);
  });

  it('traceSqrtProduct matches the eigenvalues of S1 S2 on random covariances (d = 30)', () => {
    const d = 30;
    const x = randomSymmetric(d, 2);
    const y = randomSymmetric(d, 3);
    const s1 = matmul64(x, x, d, d, d); // PSD
    const s2 = matmul64(y, y, d, d, d);
    // S1 S2 = X (X Y^2 X) X^-1 is similar to (X Y)(X Y)^T, whose eigenvalues are the squared singular values of X Y.
    const xy = matmul64(x, y, d, d, d);
    const gram = matmul64(xy, transpose(xy, d), d, d, d);
    const expected = symmetricEigen(gram, d).values.reduce((s, v) => s + Math.sqrt(Math.max(v, 0)), 0);
    expect(traceSqrtProduct(s1, s2, d) / expected).toBeCloseTo(1, 10);
  });
});
