// Dense float64 linear algebra for the evaluation metrics: the symmetric eigensolver (cyclic Jacobi)
// behind the matrix square roots of the Fréchet distance. Matrices are row-major d x d Float64Arrays;
// d is a feature size (<= a few hundred), so O(d^3) in JavaScript is fine.

/** Eigenvalues and eigenvectors of a symmetric matrix: a = V diag(values) V^T, eigenvectors in V's columns. */
export interface SymmetricEigen {
  values: Float64Array;
  /** d x d, column j is the eigenvector of values[j]. */
  vectors: Float64Array;
}

/**
 * Eigendecomposition of the symmetric d x d matrix `a` (only the symmetric part is used) by cyclic
 * Jacobi rotations (Golub & Van Loan, Matrix Computations, 8.5): accurate to a few ulps of |a|, any d.
 *
 * @example
 * symmetricEigen(Float64Array.of(2, 1, 1, 2), 2).values // [1, 3] in some order
 */
export function symmetricEigen(a: Float64Array, d: number): SymmetricEigen {
  if (a.length !== d * d) throw new Error(`internal: symmetricEigen: ${a.length} values for ${d} x ${d}`);
  const m = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) m[i * d + j] = 0.5 * (a[i * d + j] + a[j * d + i]);
  const v = identity(d);
  const frob = Math.sqrt(m.reduce((s, x) => s + x * x, 0));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) off += m[i * d + j] ** 2;
    if (Math.sqrt(2 * off) <= 1e-15 * frob || off === 0) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = m[p * d + q];
        if (apq === 0) continue;
        // The rotation (c, s) in the (p, q) plane that zeroes m[p][q]: t = tan(phi) is the smaller root
        // of t^2 + 2 theta t - 1 = 0, theta = (a_qq - a_pp) / (2 a_pq).
        const theta = (m[q * d + q] - m[p * d + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        rotate(m, d, p, q, c, s);
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p];
          const vkq = v[k * d + q];
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: d }, (_, i) => m[i * d + i]), vectors: v };
}

/** m = J^T m J for the Jacobi rotation J that is the identity except J_pp = J_qq = c, J_pq = s, J_qp = -s. */
function rotate(m: Float64Array, d: number, p: number, q: number, c: number, s: number): void {
  for (let k = 0; k < d; k++) {
    const mkp = m[k * d + p];
    const mkq = m[k * d + q];
    m[k * d + p] = c * mkp - s * mkq;
    m[k * d + q] = s * mkp + c * mkq;
  }
  for (let k = 0; k < d; k++) {
    const mpk = m[p * d + k];
    const mqk = m[q * d + k];
    m[p * d + k] = c * mpk - s * mqk;
    m[q * d + k] = s * mpk + c * mqk;
  }
}

/** The d x d identity. */
export function identity(d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) out[i * d + i] = 1;
  return out;
}

/** Product of row-major a (m x k) and b (k x n). */
export function matmul64(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  if (a.length !== m * k || b.length !== k * n) throw new Error(`internal: matmul64: ${a.length} and ${b.length} values for ${m}x${k} and ${k}x${n}`);
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let l = 0; l < k; l++) {
      const ail = a[i * k + l];
      if (ail === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += ail * b[l * n + j];
    }
  }
  return out;
}

export function trace(a: Float64Array, d: number): number {
  let t = 0;
  for (let i = 0; i < d; i++) t += a[i * d + i];
  return t;
}

/**
 * The principal square root of a symmetric positive semi-definite matrix, V diag(sqrt(values)) V^T.
 * Eigenvalues that rounding made slightly negative count as 0.
 */
export function sqrtPsd(a: Float64Array, d: number): Float64Array {
  const { values, vectors } = symmetricEigen(a, d);
  const roots = values.map((v) => Math.sqrt(Math.max(v, 0)));
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += vectors[i * d + k] * roots[k] * vectors[j * d + k];
      out[i * d + j] = s;
      out[j * d + i] = s;
    }
  }
  return out;
}

/**
 * tr((S1 S2)^1/2) for symmetric PSD S1, S2, computed as the sum of the square roots of the eigenvalues
 * of the symmetric matrix S1^1/2 S2 S1^1/2 (which has the eigenvalues of S1 S2).
 */
export function traceSqrtProduct(s1: Float64Array, s2: Float64Array, d: number): number {
  const r = sqrtPsd(s1, d);
  const inner = matmul64(matmul64(r, s2, d, d, d), r, d, d, d);
  return symmetricEigen(inner, d).values.reduce((sum, x) => sum + Math.sqrt(Math.max(x, 0)), 0);
}
