// Floating-point operations of a graph, counted from its nodes with one typed rule per op (an op
// without one does not compile): a multiply-add is 2 FLOPs in matrix products; elementwise ops,
// reductions and softmax count a few per element; data movement 0.
import type { Node, OpType, Value } from './ops.js';

type FlopRule<K extends OpType> = (node: Node<K>) => number;

/** `n` FLOPs per output element. */
const perElement = (n: number): FlopRule<OpType> => ({ output }) => n * output.size;
/** Graph inputs, constants and data movement. */
const free: FlopRule<OpType> = () => 0;
/** One add per input element. */
const reduce: FlopRule<'ReduceSum' | 'ReduceMean' | 'ReduceMax' | 'ReduceMin'> = ({ inputs: [x] }) => x.size;

const flopRules: { [K in OpType]: FlopRule<K> } = {
  Input: free,
  Const: free,
  Add: perElement(1),
  Sub: perElement(1),
  Mul: perElement(1),
  Div: perElement(1),
  Pow: perElement(1),
  Neg: perElement(1),
  Sqrt: perElement(1),
  Exp: perElement(1),
  Log: perElement(1),
  Sin: perElement(1),
  Cos: perElement(1),
  Tanh: perElement(1),
  Sigmoid: perElement(1),
  // (…, M, K) x (…, K, N): K multiply-adds per output element.
  MatMul: ({ inputs: [a], output }) => 2 * output.size * a.shape[a.rank - 1],
  Softmax: perElement(5),
  ReduceSum: reduce,
  ReduceMean: reduce,
  Reshape: free,
  Transpose: free,
  Concat: free,
  Slice: free,
  Expand: free,
  Where: perElement(1),
  IsNaN: perElement(1),
  IsInf: perElement(1),
  Greater: perElement(1),
  Cast: perElement(1),
  ReduceMax: reduce,
  ReduceMin: reduce,
  // A divide, a round and an add per element.
  QuantizeLinear: perElement(3),
  // An 8-bit multiply-add counts as 2 ops, like a float one; then a cast and a multiply per output element.
  MatMulIntegerToFloat: ({ inputs: [a], output }) => 2 * output.size * a.shape[a.rank - 1] + 2 * output.size,
  LayerNorm: perElement(8),
  GeluTanh: perElement(8),
  // q (N, T, D), k (N, Tk, D): two products of 2 T Tk D FLOPs, and softmax over each head's T x Tk scores.
  Attention: ({ inputs: [q, k], attrs: { heads } }) => {
    const [n, t, d] = q.shape;
    const tk = k.shape[1];
    return 4 * n * t * tk * d + 5 * n * heads * t * tk;
  },
  // weight (O, C, kh, kw): C kh kw multiply-adds and a bias add per output element.
  Conv: ({ inputs: [, w], output }) => output.size * (2 * w.size / w.shape[0] + 1),
  InstanceNorm: perElement(8),
  Upsample: free,
};

/** FLOPs of one node by its op's rule (K ties the rule to the node's own type). */
function nodeFlops<K extends OpType>(node: Node<K>): number {
  return flopRules[node.op](node);
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
