// The order in which training images are drawn: a fresh permutation per epoch from the run's seed,
// and a position that checkpoints store, so a resumed run draws exactly the images it would have.
import { Rng } from '../random.js';

export interface DataOrderState {
  epoch: number;
  position: number;
}

export class DataOrder {
  private order: Uint32Array;

  constructor(
    readonly count: number,
    readonly seed: number,
    private state: DataOrderState = { epoch: 0, position: 0 },
  ) {
    if (count < 1) throw new Error('internal: DataOrder of an empty dataset');
    this.order = permutation(count, seed, state.epoch);
  }

  /** The next n image indices, wrapping into new epochs. */
  next(n: number): number[] {
    const out: number[] = [];
    while (out.length < n) {
      if (this.state.position === this.count) {
        this.state = { epoch: this.state.epoch + 1, position: 0 };
        this.order = permutation(this.count, this.seed, this.state.epoch);
      }
      out.push(this.order[this.state.position++]);
    }
    return out;
  }

  getState(): DataOrderState {
    return { ...this.state };
  }
}

/** Fisher-Yates shuffle of 0..n-1 from stream (seed, 1000 + epoch). */
function permutation(n: number, seed: number, epoch: number): Uint32Array {
  const rng = new Rng(seed, 1000 + epoch);
  const p = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}
