// The training state (weights, EMA, Adam moments) in one set of flat float32 buffers that the step
// graph reads and ONNX Runtime overwrites in place. Each parameter is a view into its buffer, so nothing
// is copied per step. Overwriting is safe because every node that reads an old value is an ancestor of
// the node that writes the new one (see `inPlaceStateUpdate` in adam.ts).
import type { Weights } from '../lego/model.js';

const KINDS = ['w', 'm', 'v', 'ema'] as const;
export type StateKind = (typeof KINDS)[number];

interface FlatSet {
  flat: Record<StateKind, Float32Array>;
  views: Record<StateKind, Weights>;
}

export interface TrainStateInit {
  /** Every parameter and buffer (buffers such as pos_embed are kept, never trained). */
  weights: Weights;
  /** EMA of the trainable parameters (default: a copy of the weights). */
  ema?: Weights;
  /** Adam moments (default: zeros). */
  adamM?: Weights;
  adamV?: Weights;
  /** Adam steps taken so far (default 0). */
  step?: number;
}

export class TrainState {
  /** Adam steps taken so far. */
  step: number;
  /** Offset of each trainable parameter in the flat buffers. */
  readonly offsets: ReadonlyMap<string, number>;
  readonly size: number;
  private readonly set: FlatSet;

  /** Copy `init` into flat buffers laid out in the order of `trainable`. */
  constructor(readonly trainable: readonly string[], init: TrainStateInit) {
    const offsets = new Map<string, number>();
    let size = 0;
    for (const name of trainable) {
      const w = init.weights.get(name);
      if (!w) throw new Error(`internal: TrainState: no weights for ${name}`);
      offsets.set(name, size);
      size += w.length;
    }
    this.offsets = offsets;
    this.size = size;
    const flat = { w: new Float32Array(size), m: new Float32Array(size), v: new Float32Array(size), ema: new Float32Array(size) };
    const views = {} as Record<StateKind, Weights>;
    for (const kind of KINDS) {
      views[kind] = new Map(trainable.map((name) => [name, flat[kind].subarray(offsets.get(name)!, offsets.get(name)! + init.weights.get(name)!.length)]));
    }
    // Buffers (pos_embed) are not trained: the weights map holds them as given.
    for (const [name, data] of init.weights) if (!offsets.has(name)) views.w.set(name, data);
    this.set = { flat, views };
    const sources: Record<StateKind, Weights | undefined> = { w: init.weights, m: init.adamM, v: init.adamV, ema: init.ema ?? init.weights };
    for (const kind of KINDS) {
      const source = sources[kind];
      if (!source) continue;
      for (const name of trainable) {
        const data = source.get(name);
        if (!data) throw new Error(`internal: TrainState: no ${kind} for ${name}`);
        this.set.views[kind].get(name)!.set(data);
      }
    }
    this.step = init.step ?? 0;
  }

  /** Parameters and buffers (views into the flat buffers). */
  get weights(): Weights {
    return this.set.views.w;
  }
  get ema(): Weights {
    return this.set.views.ema;
  }
  get adamM(): Weights {
    return this.set.views.m;
  }
  get adamV(): Weights {
    return this.set.views.v;
  }

  /** A full network with the EMA parameters: what snapshots hold (buffers come from the weights). */
  emaNetwork(): Weights {
    const out: Weights = new Map(this.weights);
    for (const [name, data] of this.ema) out.set(name, data);
    return out;
  }

  /** Graph feeds `<kind>_flat` and preallocated outputs `<kind>_next`: the same arrays. */
  stateFeeds(): { inputs: Record<`${StateKind}_flat`, Float32Array>; outputs: Record<`${StateKind}_next`, Float32Array> } {
    const f = this.set.flat;
    return {
      inputs: { w_flat: f.w, m_flat: f.m, v_flat: f.v, ema_flat: f.ema },
      outputs: { w_next: f.w, m_next: f.m, v_next: f.v, ema_next: f.ema },
    };
  }
}
