// Named parameters of a network, declared by the layers that use them. Each parameter is a graph
// input named with its official PyTorch state_dict path, so weights are swapped, never rebuilt.
import type { Graph, Shape, Value } from '../graph/ops.js';

/** How a new model initialises a parameter (LEGO-SPEC "Initialisation"). */
export type Init =
  | { kind: 'xavier'; fanIn: number; fanOut: number }
  | { kind: 'zeros' }
  | { kind: 'normal'; std: number }
  | { kind: 'fixed'; values: () => Float32Array };

export interface ParamSpec {
  readonly name: string;
  readonly shape: Shape;
  readonly init: Init;
  /** False for buffers such as pos_embed (stored in checkpoints, never trained). */
  readonly trainable: boolean;
}

/** A scope of parameter names (`model.model.0.blocks.1`) over one graph. */
export class Params {
  constructor(
    readonly graph: Graph,
    readonly prefix: string,
    /** Every parameter declared through any scope of this root, by full name. */
    readonly specs: Map<string, ParamSpec> = new Map(),
  ) {}

  /** A child scope: `p.at('attn').at('qkv')` names `prefix.attn.qkv.*`. */
  at(name: string | number): Params {
    return new Params(this.graph, this.path(String(name)), this.specs);
  }

  /** Declare (or reuse) the parameter `prefix.name` as a graph input of the given shape. */
  get(name: string, shape: Shape, init: Init, trainable = true): Value {
    const full = this.path(name);
    const existing = this.graph.inputs.get(full);
    if (existing) {
      if (existing.shape.join() !== shape.join()) {
        throw new Error(`internal: parameter ${full} declared as (${existing.shape}) and (${shape})`);
      }
      return existing;
    }
    this.specs.set(full, { name: full, shape: [...shape], init, trainable });
    return this.graph.input(full, shape);
  }

  private path(name: string): string {
    return this.prefix ? `${this.prefix}.${name}` : name;
  }
}
