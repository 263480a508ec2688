// The op vocabulary and the typed graph builder. Every tensor is a symbolic Value with a static
// shape; every builder checks its inputs, infers the output shape and appends one Node.
// Adding an op: one entry in OpAttrs, one builder here, one rule each in vjp.ts, onnx.ts and flops.ts.

export type Shape = readonly number[];
export type DType = 'float32' | 'float64' | 'int64' | 'bool' | 'int8' | 'uint8' | 'int32';

type NoAttrs = Record<string, never>;

/** The op vocabulary: the key set of this interface. */
export interface OpAttrs {
  Input: { name: string };
  Const: { data: Float32Array | BigInt64Array };
  Add: NoAttrs;
  Sub: NoAttrs;
  Mul: NoAttrs;
  Div: NoAttrs;
  Pow: NoAttrs;
  Neg: NoAttrs;
  Sqrt: NoAttrs;
  Exp: NoAttrs;
  Log: NoAttrs;
  Sin: NoAttrs;
  Cos: NoAttrs;
  Tanh: NoAttrs;
  Sigmoid: NoAttrs;
  MatMul: NoAttrs;
  Softmax: { axis: number };
  ReduceSum: { axes: number[]; keepdims: boolean };
  ReduceMean: { axes: number[]; keepdims: boolean };
  Reshape: { shape: number[] };
  Transpose: { perm: number[] };
  Concat: { axis: number };
  Slice: { axis: number; start: number; end: number };
  Expand: { shape: number[] };
  Where: NoAttrs;
  IsNaN: NoAttrs;
  IsInf: { sign: -1 | 0 | 1 };
  Greater: NoAttrs;
  Cast: { to: DType };
  /** LayerNorm over the last axis without affine parameters: one fused kernel in ONNX Runtime. */
  LayerNorm: { epsilon: number };
  /** GELU with the tanh approximation: one fused kernel in ONNX Runtime. */
  GeluTanh: NoAttrs;
  /** Multi-head softmax(q k^T * scale) v over (N, T, D) inputs: one fused kernel (no T x T tensor kept). */
  Attention: { heads: number; scale: number };
  /**
   * 2-D cross-correlation of x (N, C, H, W) with weight (O, C, kh, kw) plus bias (O), as PyTorch's Conv2d:
   * ONNX Conv, which ONNX Runtime runs with its own blocked kernels. Inference only (no VJP rule).
   * pads are [top, left, bottom, right] zeros, as ONNX orders them.
   */
  Conv: { strides: [number, number]; pads: [number, number, number, number] };
  /**
   * Each (n, c) row of x (N, C, L) normalised over L without affine parameters: ONNX
   * InstanceNormalization, one pass over the data (GroupNorm is this on x reshaped to (N, groups, -1)).
   */
  InstanceNorm: { epsilon: number };
  /** Nearest-neighbour upsampling of the last two axes of x (N, C, H, W) by an integer factor: ONNX Resize. */
  Upsample: { factor: number };
  ReduceMax: { axes: number[]; keepdims: boolean };
  ReduceMin: { axes: number[]; keepdims: boolean };
  /**
   * round(x / scale) + zeroPoint, saturated to uint8 (ties to even): ONNX QuantizeLinear, with a 1-D
   * scale per index of `axis` (a per-row scale when x is (M, K) and axis 0).
   */
  QuantizeLinear: { axis: number; zeroPoint: number };
  /**
   * (a - aZeroPoint) b accumulated in int32, times bScale (N) per column, as float32: the product and its
   * cast and column scaling in one kernel (ONNX Runtime's MatMulIntegerToFloat).
   */
  MatMulIntegerToFloat: { aZeroPoint: number };
}
export type OpType = keyof OpAttrs;

export interface Node<K extends OpType = OpType> {
  readonly op: K;
  readonly inputs: readonly Value[];
  readonly attrs: OpAttrs[K];
  output: Value;
}

/** A symbolic tensor: the output of one node of one graph. */
export class Value {
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly shape: Shape,
    readonly dtype: DType,
    readonly node: Node,
  ) {}
  get rank(): number {
    return this.shape.length;
  }
  get size(): number {
    return numel(this.shape);
  }
}

/** A graph under construction: nodes in creation order, which is a topological order. */
export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs = new Map<string, Value>();

  add<K extends OpType>(op: K, inputs: readonly Value[], attrs: OpAttrs[K], shape: Shape, dtype: DType): Value {
    for (const v of inputs) if (v.graph !== this) throw new Error(`internal: ${op} mixes values of two graphs`);
    const node: Node<K> = { op, inputs, attrs, output: undefined as never };
    const value = new Value(this, this.nodes.length, shape, dtype, node as unknown as Node);
    node.output = value;
    this.nodes.push(node as unknown as Node);
    return value;
  }

  /** A named graph input (weights and data are inputs, never initializers). */
  input(name: string, shape: Shape, dtype: DType = 'float32'): Value {
    if (this.inputs.has(name)) throw new Error(`internal: graph input ${name} declared twice`);
    const v = this.add('Input', [], { name }, [...shape], dtype);
    this.inputs.set(name, v);
    return v;
  }

  constant(data: Float32Array | number[] | number, shape: Shape = []): Value {
    const arr = typeof data === 'number' ? Float32Array.of(data) : Float32Array.from(data);
    if (arr.length !== numel(shape)) throw new Error(`internal: constant of ${arr.length} values for shape [${shape}]`);
    return this.add('Const', [], { data: arr }, [...shape], 'float32');
  }
}

/** Number of elements of a tensor of this shape: the product of its dimensions (1 for a scalar). */
export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

const fmt = (s: Shape) => `(${s.join(', ')})`;

function normAxis(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`internal: ${op}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Numpy broadcasting of two shapes. */
export function broadcastShapes(a: Shape, b: Shape, op = 'broadcast'): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`internal: ${op}: shapes ${fmt(a)} and ${fmt(b)} do not broadcast`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Builders. Numbers given where a Value is expected become scalar constants.

export type Operand = Value | number;

function lift(graph: Graph, x: Operand): Value {
  return typeof x === 'number' ? graph.constant(x) : x;
}

function graphOf(...xs: Operand[]): Graph {
  for (const x of xs) if (typeof x !== 'number') return x.graph;
  throw new Error('internal: an op needs at least one Value operand');
}

function binary(op: 'Add' | 'Sub' | 'Mul' | 'Div' | 'Pow', a: Operand, b: Operand): Value {
  const g = graphOf(a, b);
  const va = typeof a === 'number' && typeof b !== 'number' ? liftAs(g, a, b.dtype) : lift(g, a);
  const vb = typeof b === 'number' ? liftAs(g, b, va.dtype) : b;
  if (va.dtype !== vb.dtype) throw new Error(`internal: ${op} of ${va.dtype} and ${vb.dtype}`);
  return g.add(op, [va, vb], {}, broadcastShapes(va.shape, vb.shape, op), va.dtype);
}

/** A scalar constant of the other operand's float type. */
function liftAs(g: Graph, x: number, dtype: DType): Value {
  const c = g.constant(x);
  return dtype === 'float64' ? cast(c, 'float64') : c;
}

/** Change the element type (float32 <-> float64 for accurate reductions). */
export function cast(x: Value, to: DType): Value {
  if (x.dtype === to) return x;
  return x.graph.add('Cast', [x], { to }, x.shape, to);
}

export const add = (a: Operand, b: Operand) => binary('Add', a, b);
export const sub = (a: Operand, b: Operand) => binary('Sub', a, b);
export const mul = (a: Operand, b: Operand) => binary('Mul', a, b);
export const div = (a: Operand, b: Operand) => binary('Div', a, b);
export const pow = (a: Operand, b: Operand) => binary('Pow', a, b);

type UnaryOp = 'Neg' | 'Sqrt' | 'Exp' | 'Log' | 'Sin' | 'Cos' | 'Tanh' | 'Sigmoid' | 'GeluTanh';
function unary(op: UnaryOp, x: Value): Value {
  return x.graph.add(op, [x], {}, x.shape, x.dtype);
}
export const neg = (x: Value) => unary('Neg', x);
export const sqrt = (x: Value) => unary('Sqrt', x);
export const exp = (x: Value) => unary('Exp', x);
export const log = (x: Value) => unary('Log', x);
export const sin = (x: Value) => unary('Sin', x);
export const cos = (x: Value) => unary('Cos', x);
export const tanh = (x: Value) => unary('Tanh', x);
export const sigmoid = (x: Value) => unary('Sigmoid', x);
export const geluTanh = (x: Value) => unary('GeluTanh', x);

/** Batched matrix product with numpy broadcasting of the leading axes; both ranks >= 2. */
export function matmul(a: Value, b: Value): Value {
  if (a.rank < 2 || b.rank < 2) throw new Error(`internal: matmul needs rank >= 2, got ${fmt(a.shape)} x ${fmt(b.shape)}`);
  const [m, k] = a.shape.slice(-2);
  const [k2, n] = b.shape.slice(-2);
  if (k !== k2) throw new Error(`internal: matmul: ${fmt(a.shape)} x ${fmt(b.shape)} inner sizes differ`);
  const lead = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'matmul');
  return a.graph.add('MatMul', [a, b], {}, [...lead, m, n], 'float32');
}

/**
 * 8-bit quantisation: round(x / scale) + zeroPoint as uint8, with one scale per index of `axis`.
 * x float32, scale float32 (x.shape[axis]) -> uint8 of x's shape.
 */
export function quantizeLinear(x: Value, scale: Value, axis: number, zeroPoint: number): Value {
  const a = normAxis(axis, x.rank, 'quantizeLinear');
  if (x.dtype !== 'float32' || scale.dtype !== 'float32' || scale.rank !== 1 || scale.shape[0] !== x.shape[a]) {
    throw new Error(`internal: quantizeLinear: x ${x.dtype} ${fmt(x.shape)}, scale ${scale.dtype} ${fmt(scale.shape)} on axis ${a}`);
  }
  if (!Number.isInteger(zeroPoint) || zeroPoint < 0 || zeroPoint > 255) throw new Error(`internal: quantizeLinear: zero point ${zeroPoint}`);
  return x.graph.add('QuantizeLinear', [x, scale], { axis: a, zeroPoint }, x.shape, 'uint8');
}

/** (a - aZeroPoint) b bScale: a uint8 (…, M, K), b int8 (K, N), bScale float32 (N) -> float32 (…, M, N). */
export function matmulIntegerToFloat(a: Value, b: Value, bScale: Value, aZeroPoint: number): Value {
  const k = a.shape[a.rank - 1];
  const n = b.shape[1];
  if (a.dtype !== 'uint8' || b.dtype !== 'int8' || a.rank < 2 || b.rank !== 2 || b.shape[0] !== k || bScale.dtype !== 'float32' || bScale.rank !== 1 || bScale.shape[0] !== n) {
    throw new Error(`internal: matmulIntegerToFloat: a ${a.dtype} ${fmt(a.shape)}, b ${b.dtype} ${fmt(b.shape)}, bScale ${bScale.dtype} ${fmt(bScale.shape)}`);
  }
  return a.graph.add('MatMulIntegerToFloat', [a, b, bScale], { aZeroPoint }, [...a.shape.slice(0, -1), n], 'float32');
}

export function softmax(x: Value, axis = -1): Value {
  return x.graph.add('Softmax', [x], { axis: normAxis(axis, x.rank, 'softmax') }, x.shape, 'float32');
}

function reduce(op: 'ReduceSum' | 'ReduceMean' | 'ReduceMax' | 'ReduceMin', x: Value, axes: number[], keepdims: boolean): Value {
  const ax = [...new Set(axes.map((a) => normAxis(a, x.rank, op)))].sort((p, q) => p - q);
  if (ax.length === 0) return x;
  const shape = keepdims ? x.shape.map((d, i) => (ax.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !ax.includes(i));
  return x.graph.add(op, [x], { axes: ax, keepdims }, shape, x.dtype);
}
export const reduceSum = (x: Value, axes: number[], keepdims = false) => reduce('ReduceSum', x, axes, keepdims);
export const reduceMean = (x: Value, axes: number[], keepdims = false) => reduce('ReduceMean', x, axes, keepdims);
export const reduceMax = (x: Value, axes: number[], keepdims = false) => reduce('ReduceMax', x, axes, keepdims);
export const reduceMin = (x: Value, axes: number[], keepdims = false) => reduce('ReduceMin', x, axes, keepdims);

/** Reshape; one -1 entry is inferred. */
export function reshape(x: Value, shape: readonly number[]): Value {
  const known = shape.filter((d) => d !== -1);
  const out = [...shape];
  const inferred = shape.indexOf(-1);
  if (inferred >= 0) out[inferred] = x.size / numel(known);
  if (numel(out) !== x.size || !Number.isInteger(out[inferred] ?? 0)) {
    throw new Error(`internal: reshape ${fmt(x.shape)} to ${fmt(shape)} changes the element count`);
  }
  if (out.every((d, i) => d === x.shape[i]) && out.length === x.rank) return x;
  return x.graph.add('Reshape', [x], { shape: out }, out, x.dtype);
}

export function transpose(x: Value, perm: readonly number[]): Value {
  if (perm.length !== x.rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new Error(`internal: transpose of rank ${x.rank} with perm [${perm}]`);
  }
  if (perm.every((p, i) => p === i)) return x;
  return x.graph.add('Transpose', [x], { perm: [...perm] }, perm.map((p) => x.shape[p]), x.dtype);
}

/** Swap the last two axes. */
export function swapLast2(x: Value): Value {
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return transpose(x, perm);
}

export function concat(xs: readonly Value[], axis: number): Value {
  const x0 = xs[0];
  if (xs.length === 1) return x0;
  const a = normAxis(axis, x0.rank, 'concat');
  for (const x of xs) {
    if (x.rank !== x0.rank || x.shape.some((d, i) => i !== a && d !== x0.shape[i])) {
      throw new Error(`internal: concat on axis ${a}: ${fmt(x.shape)} vs ${fmt(x0.shape)}`);
    }
  }
  const shape = [...x0.shape];
  shape[a] = xs.reduce((s, x) => s + x.shape[a], 0);
  return x0.graph.add('Concat', xs, { axis: a }, shape, x0.dtype);
}

/** x[..., start:end, ...] along one axis. */
export function slice(x: Value, axis: number, start: number, end: number): Value {
  const a = normAxis(axis, x.rank, 'slice');
  if (start < 0 || end > x.shape[a] || start >= end) throw new Error(`internal: slice ${start}:${end} of axis size ${x.shape[a]}`);
  if (start === 0 && end === x.shape[a]) return x;
  const shape = [...x.shape];
  shape[a] = end - start;
  return x.graph.add('Slice', [x], { axis: a, start, end }, shape, x.dtype);
}

/** Split into n equal parts along an axis. */
export function split(x: Value, n: number, axis: number): Value[] {
  const a = normAxis(axis, x.rank, 'split');
  const size = x.shape[a] / n;
  if (!Number.isInteger(size)) throw new Error(`internal: split of size ${x.shape[a]} into ${n}`);
  return Array.from({ length: n }, (_, i) => slice(x, a, i * size, (i + 1) * size));
}

/** Broadcast x to a shape. */
export function expand(x: Value, shape: readonly number[]): Value {
  const out = broadcastShapes(x.shape, shape, 'expand');
  if (out.length === x.rank && out.every((d, i) => d === x.shape[i])) return x;
  return x.graph.add('Expand', [x], { shape: out }, out, x.dtype);
}

export function unsqueeze(x: Value, axis: number): Value {
  const a = axis < 0 ? axis + x.rank + 1 : axis;
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}

export function where(cond: Value, a: Operand, b: Operand): Value {
  const g = cond.graph;
  const va = lift(g, a);
  const vb = lift(g, b);
  const shape = broadcastShapes(cond.shape, broadcastShapes(va.shape, vb.shape, 'where'), 'where');
  return g.add('Where', [cond, va, vb], {}, shape, 'float32');
}

export const isNaN = (x: Value) => x.graph.add('IsNaN', [x], {}, x.shape, 'bool');
export const isInf = (x: Value, sign: -1 | 0 | 1 = 0) => x.graph.add('IsInf', [x], { sign }, x.shape, 'bool');
export function greater(a: Operand, b: Operand): Value {
  const g = graphOf(a, b);
  const va = lift(g, a);
  const vb = lift(g, b);
  return g.add('Greater', [va, vb], {}, broadcastShapes(va.shape, vb.shape, 'greater'), 'bool');
}

export function layerNorm(x: Value, epsilon: number): Value {
  return x.graph.add('LayerNorm', [x], { epsilon }, x.shape, 'float32');
}

/**
 * Multi-head attention: q, k, v (N, T, D), D split into `heads` contiguous groups;
 * per head softmax(q k^T * scale) v, heads concatenated back to (N, T, D).
 */
export function attentionOp(q: Value, k: Value, v: Value, heads: number, scale: number): Value {
  const [n, t, d] = q.shape;
  for (const x of [k, v]) {
    if (x.rank !== 3 || x.shape[0] !== n || x.shape[2] !== d) throw new Error(`internal: attention: q (${q.shape}), k/v (${x.shape})`);
  }
  if (d % heads !== 0) throw new Error(`internal: attention: ${heads} heads do not divide ${d}`);
  return q.graph.add('Attention', [q, k, v], { heads, scale }, [n, t, d], 'float32');
}

/** Options of conv2d: stride on both axes, and zero padding on both sides of both axes or per side. */
export interface ConvOptions {
  /** Step of the kernel over H and W (default 1). */
  stride?: number;
  /** Zeros added on every side (default 0), or [top, left, bottom, right]. */
  pad?: number | [number, number, number, number];
}

/**
 * Conv2d with bias on NCHW tensors: x (N, C, H, W), weight (O, C, kh, kw), bias (O) ->
 * (N, O, (H + top + bottom - kh) / stride + 1, (W + left + right - kw) / stride + 1), rounded down.
 */
export function conv2d(x: Value, weight: Value, bias: Value, { stride = 1, pad = 0 }: ConvOptions = {}): Value {
  const [n, c, h, w] = x.shape;
  const [o, ci, kh, kw] = weight.shape;
  if (x.rank !== 4 || weight.rank !== 4 || ci !== c || bias.rank !== 1 || bias.shape[0] !== o) {
    throw new Error(`internal: conv2d: x ${fmt(x.shape)}, weight ${fmt(weight.shape)}, bias ${fmt(bias.shape)} do not fit`);
  }
  const pads: [number, number, number, number] = typeof pad === 'number' ? [pad, pad, pad, pad] : [...pad];
  const ho = Math.floor((h + pads[0] + pads[2] - kh) / stride) + 1;
  const wo = Math.floor((w + pads[1] + pads[3] - kw) / stride) + 1;
  if (ho < 1 || wo < 1) throw new Error(`internal: conv2d: a ${kh}x${kw} kernel does not fit x ${fmt(x.shape)} padded by [${pads}]`);
  return x.graph.add('Conv', [x, weight, bias], { strides: [stride, stride], pads }, [n, o, ho, wo], 'float32');
}

/** x (N, C, L): each (n, c) row minus its mean, over its standard deviation (biased, plus epsilon). */
export function instanceNorm(x: Value, epsilon: number): Value {
  if (x.rank !== 3) throw new Error(`internal: instanceNorm: x is ${fmt(x.shape)}; expected (N, C, L)`);
  return x.graph.add('InstanceNorm', [x], { epsilon }, x.shape, 'float32');
}

/** Nearest-neighbour upsampling: x (N, C, H, W) -> (N, C, factor H, factor W), each pixel repeated. */
export function upsample(x: Value, factor: number): Value {
  if (x.rank !== 4 || !Number.isInteger(factor) || factor < 1) throw new Error(`internal: upsample of ${fmt(x.shape)} by ${factor}`);
  const [n, c, h, w] = x.shape;
  return x.graph.add('Upsample', [x], { factor }, [n, c, factor * h, factor * w], x.dtype);
}

/** (N, T, heads*hd) -> (N, heads, T, hd). */
export function splitHeads(x: Value, heads: number): Value {
  const [n, t, d] = x.shape;
  return transpose(reshape(x, [n, t, heads, d / heads]), [0, 2, 1, 3]);
}

/** (N, heads, T, hd) -> (N, T, heads*hd). */
export function mergeHeads(x: Value): Value {
  const [n, heads, t, hd] = x.shape;
  return reshape(transpose(x, [0, 2, 1, 3]), [n, t, heads * hd]);
}

// ---------------------------------------------------------------------------------------------
// Composites: functions of ops, no rules of their own.

/** Sum dy over the axes that broadcasting added, giving a value of the given shape. */
export function sumTo(dy: Value, shape: Shape): Value {
  if (dy.rank === shape.length && dy.shape.every((d, i) => d === shape[i])) return dy;
  const lead = dy.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < dy.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && dy.shape[i] !== 1)) axes.push(i);
  }
  return reshape(reduceSum(dy, axes, true), shape);
}

export const square = (x: Value) => mul(x, x);
export const silu = (x: Value) => mul(x, sigmoid(x));
