// Floating-point operations of a graph, counted from its nodes: a multiply-add is 2 FLOPs in
// matrix products; elementwise ops, reductions and softmax count a few per element; data movement 0.
import type { Node, OpAttrs, OpType, Value } from './ops.js';

const PER_ELEMENT: Partial<Record<OpType, number>> = {
  Add: 1, Sub: 1, Mul: 1, Div: 1, Pow: 1, Neg: 1, Sqrt: 1, Exp: 1, Log: 1, Sin: 1, Cos: 1,
  Tanh: 1, Sigmoid: 1, Where: 1, IsNaN: 1, IsInf: 1, Greater: 1, Cast: 1,
  Softmax: 5, LayerNorm: 8, GeluTanh: 8,
};

function nodeFlops(node: Node): number {
  const out = node.output;
  if (node.op === 'MatMul') {
    const a = node.inputs[0];
    return 2 * out.size * a.shape[a.rank - 1];
  }
  if (node.op === 'Attention') {
    const [n, t, d] = node.inputs[0].shape;
    const tk = node.inputs[1].shape[1];
    const { heads } = node.attrs as OpAttrs['Attention'];
    return 4 * n * t * tk * d + 5 * n * heads * t * tk; // two products, softmax
  }
  if (node.op === 'ReduceSum' || node.op === 'ReduceMean') return node.inputs[0].size;
  return (PER_ELEMENT[node.op] ?? 0) * out.size;
}

/** FLOPs to compute the given outputs (each node counted once). */
export function countFlops(outputs: readonly Value[]): number {
  const graph = outputs[0].graph;
  const live = new Set(outputs.map((v) => v.id));
  let total = 0;
  for (let id = graph.nodes.length - 1; id >= 0; id--) {
    if (!live.has(id)) continue;
    const node = graph.nodes[id];
    total += nodeFlops(node);
    for (const x of node.inputs) live.add(x.id);
  }
  return total;
}
