// Improved precision and recall (Kynkäänniemi et al. 2019): each set's manifold is the union of balls
// around its points reaching their k-th nearest neighbour (k = 3, the point itself not counted).
// Precision: the share of generated points inside the real manifold; recall: of real points inside the
// generated one. Distances are squared Euclidean, computed block by block as a graph.
import { add, Graph, matmul, mul, reduceSum, reshape, sub, swapLast2 } from '../graph/ops.js';
import { Executable } from '../runtime/executable.js';

export interface PrecisionRecallOptions {
  /** Neighbourhood size (default 3). */
  k?: number;
  threads?: number;
}

export interface PrecisionRecall {
  precision: number;
  recall: number;
  k: number;
}

/** Rows per distance block. */
const BLOCK = 256;

/** Squared distances from BLOCK rows of `a` to all rows of a fixed set b (n, d): (BLOCK, n). */
class DistanceBlocks {
  private constructor(private readonly exe: Executable, private readonly b: Float32Array, private readonly d: number) {}

  static async create(b: Float32Array, d: number, threads?: number): Promise<DistanceBlocks> {
    const n = b.length / d;
    const g = new Graph();
    const a = g.input('a', [BLOCK, d]);
    const bv = g.input('b', [n, d]);
    // |a|^2 + |b|^2 - 2 a.b
    const aa = reduceSum(mul(a, a), [1], true);
    const bb = reshape(reduceSum(mul(bv, bv), [1]), [1, n]);
    const dist = sub(add(aa, bb), mul(matmul(a, swapLast2(bv)), 2));
    return new DistanceBlocks(await Executable.compile({ dist }, { threads, name: 'distances' }), b, d);
  }

  /** Calls `visit(row, distances)` for every row of `a` in turn; distances are clamped at 0. */
  async forEachRow(a: Float32Array, visit: (row: number, dist: Float32Array) => void): Promise<void> {
    const rows = a.length / this.d;
    const n = this.b.length / this.d;
    const block = new Float32Array(BLOCK * this.d);
    for (let start = 0; start < rows; start += BLOCK) {
      const count = Math.min(BLOCK, rows - start);
      block.fill(0);
      block.set(a.subarray(start * this.d, (start + count) * this.d));
      const { dist } = await this.exe.run({ a: block, b: this.b });
      for (let i = 0; i < count; i++) {
        const row = dist.subarray(i * n, (i + 1) * n);
        for (let j = 0; j < n; j++) if (row[j] < 0) row[j] = 0;
        visit(start + i, row);
      }
    }
  }

  release(): Promise<void> {
    return this.exe.release();
  }
}

/** The (k+1)-th smallest value of each row: the squared k-NN radius when the row includes the point itself. */
async function kthRadii(x: Float32Array, d: number, k: number, threads?: number): Promise<Float32Array> {
  const n = x.length / d;
  if (n <= k) throw new Error(`internal: precisionRecall: ${n} points cannot have ${k} neighbours each`);
  const radii = new Float32Array(n);
  const blocks = await DistanceBlocks.create(x, d, threads);
  const smallest = new Float64Array(k + 1);
  try {
    await blocks.forEachRow(x, (i, row) => {
      smallest.fill(Infinity);
      for (let j = 0; j < row.length; j++) {
        const v = row[j];
        if (v >= smallest[k]) continue;
        // Insert v into the sorted list of the k + 1 smallest.
        let at = k;
        while (at > 0 && smallest[at - 1] > v) {
          smallest[at] = smallest[at - 1];
          at--;
        }
        smallest[at] = v;
      }
      radii[i] = smallest[k];
    });
  } finally {
    await blocks.release();
  }
  return radii;
}

/**
 * Precision and recall of generated features `fake` (n_f, d) against real features `real` (n_r, d).
 *
 * @example
 * const { precision, recall } = await precisionRecall(refFeatures, genFeatures, 128);
 */
export async function precisionRecall(real: Float32Array, fake: Float32Array, d: number, options: PrecisionRecallOptions = {}): Promise<PrecisionRecall> {
  const k = options.k ?? 3;
  const realRadii = await kthRadii(real, d, k, options.threads);
  const fakeRadii = await kthRadii(fake, d, k, options.threads);
  // One pass over the fake x real distances answers both questions.
  let inside = 0;
  const covered = new Uint8Array(real.length / d);
  const blocks = await DistanceBlocks.create(real, d, options.threads);
  try {
    await blocks.forEachRow(fake, (i, row) => {
      let hit = false;
      const r = fakeRadii[i];
      for (let j = 0; j < row.length; j++) {
        if (row[j] <= realRadii[j]) hit = true;
        if (row[j] <= r) covered[j] = 1;
      }
      if (hit) inside++;
    });
  } finally {
    await blocks.release();
  }
  return { precision: inside / (fake.length / d), recall: covered.reduce((a, b) => a + b, 0) / covered.length, k };
}
