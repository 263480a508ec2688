// Serialisation of a graph to an ONNX ModelProto (opset 20) with the onnx-proto schema package:
// one typed rule per op, so an op without one does not compile. Only the nodes that the requested
// outputs depend on are written.
import onnxProto from 'onnx-proto';
import type { DType, Node, OpType, Value } from './ops.js';

const { onnx } = onnxProto;
type INode = onnxProto.onnx.INodeProto;
type ITensor = onnxProto.onnx.ITensorProto;
type IAttribute = onnxProto.onnx.IAttributeProto;
type IValueInfo = onnxProto.onnx.IValueInfoProto;

export const OPSET = 20;
const IR_VERSION = 9;
/** ONNX Runtime's contrib ops (MultiHeadAttention, MatMulIntegerToFloat), on its CPU, CUDA, WebGPU and WASM builds. */
const MS_DOMAIN = 'com.microsoft';

const ELEM: Record<DType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
  int8: onnx.TensorProto.DataType.INT8,
  uint8: onnx.TensorProto.DataType.UINT8,
  int32: onnx.TensorProto.DataType.INT32,
};
const AttrType = onnx.AttributeProto.AttributeType;

const attrInt = (name: string, i: number): IAttribute => ({ name, type: AttrType.INT, i });
const attrInts = (name: string, ints: number[]): IAttribute => ({ name, type: AttrType.INTS, ints });
const attrFloat = (name: string, f: number): IAttribute => ({ name, type: AttrType.FLOAT, f });
const attrString = (name: string, s: string): IAttribute => ({ name, type: AttrType.STRING, s: new TextEncoder().encode(s) });

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function valueInfo(name: string, v: Value): IValueInfo {
  return { name, type: { tensorType: { elemType: ELEM[v.dtype], shape: { dim: v.shape.map((d) => ({ dimValue: d })) } } } };
}

// ---------------------------------------------------------------------------------------------
// Rules: one per op, each writing its node through a Writer.

/** What a rule writes to: its node's ONNX names and the model under construction. */
interface Writer {
  /** The name of the node's output. */
  readonly out: string;
  /** The names of its inputs, in order. */
  readonly ins: string[];
  readonly initializers: ITensor[];
  readonly inputs: IValueInfo[];
  /** Graph inputs to write as initializers with these values instead of as model inputs. */
  readonly constants: ReadonlyMap<string, ConstantData>;
  /** How ops with more than one ONNX form are written for the runtime that will run the model. */
  readonly lowering: OnnxLowering;
  /** Append the ONNX node that computes `out` (by default from `ins`). */
  node(opType: string, input?: string[], attribute?: IAttribute[], domain?: string): void;
  /** Append a node computing an intermediate value of this op's lowering; returns its name (`out` + suffix). */
  step(opType: string, input: string[], suffix: string, attribute?: IAttribute[]): string;
  /** A new 1-D int64 initializer (a shape, axes or a slice bound), by name. */
  ints(values: readonly number[]): string;
  /** A new float32 scalar initializer, by name. */
  scalar(value: number): string;
}

/** Choices between equivalent ONNX forms of an op, made per runtime build (runtime/ort.ts, runtime/ort-web.ts). */
export interface OnnxLowering {
  /**
   * Attention over at most this many tokens is written as broadcast products, sums and a softmax instead
   * of one MultiHeadAttention node (0: never). The fused kernel loops over every (sequence, head) pair,
   * which for the 4-token tiles of a small brick costs more than the arithmetic in WebAssembly.
   */
  elementwiseAttentionTokens: number;
}

export const DEFAULT_LOWERING: OnnxLowering = { elementwiseAttentionTokens: 0 };

type OnnxRule<K extends OpType> = (node: Node<K>, to: Writer) => void;

/** An ONNX operator of the same name, inputs and no attributes. */
const same: OnnxRule<OpType> = ({ op }, to) => to.node(op);

// ONNX takes the axes as an input (opset 18+), keepdims as an attribute.
const reduce: OnnxRule<'ReduceSum' | 'ReduceMean' | 'ReduceMax' | 'ReduceMin'> = ({ op, attrs: { axes, keepdims } }, to) =>
  to.node(op, [to.ins[0], to.ints(axes)], [attrInt('keepdims', keepdims ? 1 : 0)]);

const emit: { [K in OpType]: OnnxRule<K> } = {
  Input: ({ output, attrs: { name } }, to) => {
    const data = to.constants.get(name);
    if (!data) {
      to.inputs.push(valueInfo(name, output));
      return;
    }
    const dtype = data instanceof Int8Array ? 'int8' : 'float32';
    if (data.length !== output.size || output.dtype !== dtype) throw new Error(`internal: constant ${name}: ${data.length} ${dtype} values for a ${output.dtype} (${output.shape})`);
    to.initializers.push({ name, dims: [...output.shape], dataType: ELEM[dtype], rawData: bytesOf(data) });
  },
  Const: ({ output, attrs: { data } }, to) =>
    to.initializers.push({ name: to.out, dims: [...output.shape], dataType: ELEM[output.dtype], rawData: bytesOf(data) }),
  Add: same,
  Sub: same,
  Mul: same,
  Div: same,
  Pow: same,
  Neg: same,
  Sqrt: same,
  Exp: same,
  Log: same,
  Sin: same,
  Cos: same,
  Tanh: same,
  Sigmoid: same,
  MatMul: same,
  Softmax: ({ attrs: { axis } }, to) => to.node('Softmax', to.ins, [attrInt('axis', axis)]),
  ReduceSum: reduce,
  ReduceMean: reduce,
  Reshape: ({ attrs: { shape } }, to) => to.node('Reshape', [to.ins[0], to.ints(shape)]),
  Transpose: ({ attrs: { perm } }, to) => to.node('Transpose', to.ins, [attrInts('perm', perm)]),
  Concat: ({ attrs: { axis } }, to) => to.node('Concat', to.ins, [attrInt('axis', axis)]),
  Slice: ({ attrs: { axis, start, end } }, to) =>
    to.node('Slice', [to.ins[0], to.ints([start]), to.ints([end]), to.ints([axis])]),
  Expand: ({ attrs: { shape } }, to) => to.node('Expand', [to.ins[0], to.ints(shape)]),
  Where: same,
  IsNaN: same,
  IsInf: ({ attrs: { sign } }, to) =>
    to.node('IsInf', to.ins, [attrInt('detect_negative', sign <= 0 ? 1 : 0), attrInt('detect_positive', sign >= 0 ? 1 : 0)]),
  Greater: same,
  Cast: ({ attrs: { to: dtype } }, to) => to.node('Cast', to.ins, [attrInt('to', ELEM[dtype])]),
  ReduceMax: reduce,
  ReduceMin: reduce,
  // A per-axis scale needs a zero point of its shape (uint8, so the output is uint8).
  QuantizeLinear: ({ inputs: [, scale], attrs: { axis, zeroPoint } }, to) => {
    const zp = `${to.out}_zero_point`;
    const n = scale.shape[0];
    to.initializers.push({ name: zp, dims: [n], dataType: ELEM.uint8, rawData: new Uint8Array(n).fill(zeroPoint) });
    to.node('QuantizeLinear', [...to.ins, zp], [attrInt('axis', axis)]);
  },
  // A scalar zero point for a (the only kind ONNX Runtime's CPU kernel takes); b's is 0, the default. The op
  // scales by a_scale * b_scale: a_scale is 1 (a's scale is per row, applied after).
  MatMulIntegerToFloat: ({ attrs: { aZeroPoint } }, to) => {
    const [zp, one] = [`${to.out}_a_zero_point`, `${to.out}_a_scale`];
    to.initializers.push({ name: zp, dims: [], dataType: ELEM.uint8, rawData: Uint8Array.of(aZeroPoint) });
    to.initializers.push({ name: one, dims: [], dataType: ELEM.float32, rawData: new Uint8Array(Float32Array.of(1).buffer) });
    const [a, b, bScale] = to.ins;
    to.node('MatMulIntegerToFloat', [a, b, one, bScale, zp], [], MS_DOMAIN);
  },
  // LayerNormalization requires a scale input: ones over the last axis.
  LayerNorm: ({ output, attrs: { epsilon } }, to) => {
    const d = output.shape[output.rank - 1];
    const scale = `${to.out}_ones`;
    to.initializers.push({ name: scale, dims: [d], dataType: ELEM.float32, rawData: bytesOf(new Float32Array(d).fill(1)) });
    to.node('LayerNormalization', [to.ins[0], scale], [attrInt('axis', -1), attrFloat('epsilon', epsilon)]);
  },
  Attention: ({ inputs: [q], attrs: { heads, scale } }, to) => {
    const [n, t, d] = q.shape;
    if (t > to.lowering.elementwiseAttentionTokens) {
      to.node('MultiHeadAttention', to.ins, [attrInt('num_heads', heads), attrFloat('scale', scale)], MS_DOMAIN);
      return;
    }
    // Per head h: scores (query i, key j) = scale * sum over the head's channels of q[i] k[j], as one
    // broadcast product (n, t, t, heads, d/heads) and a sum; a softmax over the keys; then the same for v.
    const dh = d / heads;
    const [qIn, kIn, vIn] = to.ins;
    const query = to.step('Reshape', [qIn, to.ints([n, t, 1, heads, dh])], 'q');
    const key = to.step('Reshape', [kIn, to.ints([n, 1, t, heads, dh])], 'k');
    const value = to.step('Reshape', [vIn, to.ints([n, 1, t, heads, dh])], 'v');
    const products = to.step('Mul', [query, key], 'qk');
    const sums = to.step('ReduceSum', [products, to.ints([4])], 'sum', [attrInt('keepdims', 1)]);
    const scores = to.step('Mul', [sums, to.scalar(scale)], 'scores');
    const weights = to.step('Softmax', [scores], 'weights', [attrInt('axis', 2)]);
    const weighted = to.step('Mul', [weights, value], 'weighted');
    const heads4 = to.step('ReduceSum', [weighted, to.ints([2])], 'heads', [attrInt('keepdims', 0)]);
    to.node('Reshape', [heads4, to.ints([n, t, d])]);
  },
  GeluTanh: (_, to) => to.node('Gelu', to.ins, [attrString('approximate', 'tanh')]),
  Conv: ({ attrs: { strides, pads } }, to) => to.node('Conv', to.ins, [attrInts('strides', strides), attrInts('pads', pads)]),
  // InstanceNormalization requires a scale and a bias per channel: ones and zeros.
  InstanceNorm: ({ output, attrs: { epsilon } }, to) => {
    const c = output.shape[1];
    const [scale, bias] = [`${to.out}_ones`, `${to.out}_zeros`];
    to.initializers.push({ name: scale, dims: [c], dataType: ELEM.float32, rawData: bytesOf(new Float32Array(c).fill(1)) });
    to.initializers.push({ name: bias, dims: [c], dataType: ELEM.float32, rawData: bytesOf(new Float32Array(c)) });
    to.node('InstanceNormalization', [to.ins[0], scale, bias], [attrFloat('epsilon', epsilon)]);
  },
  // Output pixel i reads input pixel floor(i / factor), as PyTorch's nearest interpolation.
  Upsample: ({ attrs: { factor } }, to) => {
    const scales = `${to.out}_scales`;
    to.initializers.push({ name: scales, dims: [4], dataType: ELEM.float32, rawData: bytesOf(Float32Array.of(1, 1, factor, factor)) });
    to.node('Resize', [to.ins[0], '', scales], [
      attrString('mode', 'nearest'), attrString('coordinate_transformation_mode', 'asymmetric'), attrString('nearest_mode', 'floor'),
    ]);
  },
};

/** Write one node with its op's rule (K ties the rule to the node's own type). */
function write<K extends OpType>(node: Node<K>, to: Writer): void {
  emit[node.op](node, to);
}

// ---------------------------------------------------------------------------------------------
// The model.

const isInput = (node: Node): node is Node<'Input'> => node.op === 'Input';

/** The values (by id) that the outputs depend on, in topological order. */
function liveNodes(outputs: readonly Value[]): Node[] {
  const graph = outputs[0].graph;
  const live = new Set<number>(outputs.map((v) => v.id));
  for (let id = graph.nodes.length - 1; id >= 0; id--) {
    if (live.has(id)) for (const x of graph.nodes[id].inputs) live.add(x.id);
  }
  return graph.nodes.filter((n) => live.has(n.output.id));
}

/** The values of a graph input baked into the model: float32, or int8 (8-bit weights). */
export type ConstantData = Float32Array | Int8Array;

/**
 * Encode `outputs` (name -> value) and the inputs they need as an ONNX model. Inputs named in `constants`
 * become initializers holding those values (weights of an inference-only model: ONNX Runtime can then
 * prepare them once, e.g. reorder convolution filters to its blocked layout).
 */
export function toOnnx(
  outputs: Record<string, Value>,
  name = 'lego',
  constants: ReadonlyMap<string, ConstantData> = new Map(),
  lowering: OnnxLowering = DEFAULT_LOWERING,
): Uint8Array {
  const outs = Object.values(outputs);
  if (outs.length === 0) throw new Error('internal: toOnnx needs at least one output');
  const nodes: INode[] = [];
  const initializers: ITensor[] = [];
  const inputs: IValueInfo[] = [];
  // An output computed by a node is that node's own result under the output's name: no Identity copy
  // (a training step returns hundreds of weight-sized tensors). Inputs and values returned under two
  // names still go through Identity.
  const outputName = new Map<number, string>();
  for (const [outName, v] of Object.entries(outputs)) {
    if (v.node.op !== 'Input' && v.node.op !== 'Const' && !outputName.has(v.id)) outputName.set(v.id, outName);
  }
  const nameOf = (v: Value) => (isInput(v.node) ? v.node.attrs.name : (outputName.get(v.id) ?? `v${v.id}`));
  for (const node of liveNodes(outs)) {
    const out = nameOf(node.output);
    const ins = node.inputs.map(nameOf);
    write(node, {
      out,
      ins,
      initializers,
      inputs,
      constants,
      lowering,
      node: (opType, input = ins, attribute = [], domain) =>
        nodes.push({ opType, input, output: [out], attribute, name: `n${node.output.id}`, domain }),
      step: (opType, input, suffix, attribute = []) => {
        const stepOut = `${out}_${suffix}`;
        nodes.push({ opType, input, output: [stepOut], attribute, name: `n${node.output.id}_${suffix}` });
        return stepOut;
      },
      scalar: (value) => {
        const n = `${out}_f${initializers.length}`;
        initializers.push({ name: n, dims: [], dataType: ELEM.float32, rawData: bytesOf(Float32Array.of(value)) });
        return n;
      },
      ints: (values) => {
        const n = `${out}_i${initializers.length}`;
        initializers.push({ name: n, dims: [values.length], dataType: ELEM.int64, int64Data: [...values] });
        return n;
      },
    });
  }
  const output = Object.entries(outputs).map(([outName, v]) => {
    if (nameOf(v) !== outName) nodes.push({ opType: 'Identity', input: [nameOf(v)], output: [outName], name: `out_${outName}` });
    return valueInfo(outName, v);
  });
  const usesMs = nodes.some((n) => n.domain === MS_DOMAIN);
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }, ...(usesMs ? [{ domain: MS_DOMAIN, version: 1 }] : [])],
    producerName: 'lego-diffusion',
    graph: { name, node: nodes, input: inputs, output, initializer: initializers },
  });
  return onnx.ModelProto.encode(model).finish();
}
