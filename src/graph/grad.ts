// Reverse-mode differentiation over a graph: walks the nodes that lie between the parameters and
// the output in reverse creation order, applying each op's rule from vjp.ts and summing fan-in.
import { add, expand, type Node, type OpType, type Value } from './ops.js';
import { vjp } from './vjp.js';

type AnyRule = (dy: Value, node: Node) => (Value | null)[];

/**
 * Gradients of a scalar `y` (or of `sum(y * seed)` when a seed is given) with respect to each of
 * `wrt`, as new values of the same graph. A parameter that y does not depend on gets zeros.
 */
export function grad(y: Value, wrt: readonly Value[], seed?: Value): Value[] {
  const graph = y.graph;
  if (!seed && y.size !== 1) throw new Error(`internal: grad of a non-scalar (${y.shape}) needs a seed`);
  // Forward pass over ids: which values depend on some parameter.
  const wanted = new Set(wrt.map((w) => w.id));
  const dependsOnWrt = new Set<number>();
  for (const node of graph.nodes.slice(0, y.id + 1)) {
    const id = node.output.id;
    if (wanted.has(id) || node.inputs.some((v) => dependsOnWrt.has(v.id))) dependsOnWrt.add(id);
  }
  const grads = new Map<number, Value>([[y.id, seed ?? expand(graph.constant(1), y.shape)]]);
  for (let id = y.id; id >= 0; id--) {
    const dy = grads.get(id);
    const node = graph.nodes[id];
    if (!dy || !dependsOnWrt.has(id) || node.inputs.length === 0) continue;
    const rule = vjp[node.op as OpType] as AnyRule;
    const dxs = rule(dy, node);
    node.inputs.forEach((x, i) => {
      const dx = dxs[i];
      if (!dx || !dependsOnWrt.has(x.id)) return;
      if (dx.shape.length !== x.shape.length || dx.shape.some((d, j) => d !== x.shape[j])) {
        throw new Error(`internal: ${node.op} rule gave (${dx.shape}) for an input of (${x.shape})`);
      }
      const prev = grads.get(x.id);
      grads.set(x.id, prev ? add(prev, dx) : dx);
    });
  }
  return wrt.map((w) => grads.get(w.id) ?? expand(graph.constant(0), w.shape));
}
