// Serialisation of a graph to an ONNX ModelProto (opset 20) with the onnx-proto schema package.
// Only the nodes that the requested outputs depend on are written.
import onnxProto from 'onnx-proto';
import type { DType, Node, Value } from './ops.js';

const { onnx } = onnxProto;
type INode = onnxProto.onnx.INodeProto;
type ITensor = onnxProto.onnx.ITensorProto;
type IAttribute = onnxProto.onnx.IAttributeProto;

export const OPSET = 20;
const IR_VERSION = 9;
/** ONNX Runtime's contrib ops (MultiHeadAttention), on its CPU, CUDA, WebGPU and WASM builds. */
const MS_DOMAIN = 'com.microsoft';

const ELEM: Record<DType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};
const AttrType = onnx.AttributeProto.AttributeType;

const attrInt = (name: string, i: number): IAttribute => ({ name, type: AttrType.INT, i });
const attrInts = (name: string, ints: number[]): IAttribute => ({ name, type: AttrType.INTS, ints });
const attrFloat = (name: string, f: number): IAttribute => ({ name, type: AttrType.FLOAT, f });
const attrString = (name: string, s: string): IAttribute => ({ name, type: AttrType.STRING, s: new TextEncoder().encode(s) });

function valueInfo(name: string, v: Value): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: ELEM[v.dtype], shape: { dim: v.shape.map((d) => ({ dimValue: d })) } } } };
}

/** The values (by id) that the outputs depend on, in topological order. */
function liveNodes(outputs: readonly Value[]): Node[] {
  const graph = outputs[0].graph;
  const live = new Set<number>(outputs.map((v) => v.id));
  for (let id = graph.nodes.length - 1; id >= 0; id--) {
    if (live.has(id)) for (const x of graph.nodes[id].inputs) live.add(x.id);
  }
  return graph.nodes.filter((n) => live.has(n.output.id));
}

/** Encode `outputs` (name -> value) and the inputs they need as an ONNX model. */
export function toOnnx(outputs: Record<string, Value>, name = 'lego'): Uint8Array {
  const outs = Object.values(outputs);
  if (outs.length === 0) throw new Error('internal: toOnnx needs at least one output');
  const nodes: INode[] = [];
  let usesMs = false;
  const initializers: ITensor[] = [];
  const inputs: onnxProto.onnx.IValueInfoProto[] = [];
  // An output computed by a node is that node's own result under the output's name: no Identity copy
  // (a training step returns hundreds of weight-sized tensors). Inputs and values returned under two
  // names still go through Identity.
  const outputName = new Map<number, string>();
  for (const [outName, v] of Object.entries(outputs)) {
    if (v.node.op !== 'Input' && v.node.op !== 'Const' && !outputName.has(v.id)) outputName.set(v.id, outName);
  }
  const nameOf = (v: Value) =>
    v.node.op === 'Input' ? (v.node.attrs as { name: string }).name : (outputName.get(v.id) ?? `v${v.id}`);
  const ints = (values: readonly number[], key: string): string => {
    const n = `${key}_i${initializers.length}`;
    initializers.push({ name: n, dims: [values.length], dataType: ELEM.int64, int64Data: [...values] });
    return n;
  };
  for (const node of liveNodes(outs)) {
    const out = nameOf(node.output);
    const ins = node.inputs.map(nameOf);
    const emit = (opType: string, inputNames = ins, attribute: IAttribute[] = [], domain?: string) =>
      nodes.push({ opType, input: inputNames, output: [out], attribute, name: `n${node.output.id}`, domain });
    const a = node.attrs as Record<string, unknown>;
    switch (node.op) {
      case 'Input':
        inputs.push(valueInfo(out, node.output));
        break;
      case 'Const': {
        const data = a.data as Float32Array;
        initializers.push({ name: out, dims: [...node.output.shape], dataType: ELEM.float32, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
        break;
      }
      case 'Softmax':
        emit('Softmax', ins, [attrInt('axis', a.axis as number)]);
        break;
      case 'ReduceSum':
      case 'ReduceMean':
        emit(node.op, [ins[0], ints(a.axes as number[], out)], [attrInt('keepdims', a.keepdims ? 1 : 0)]);
        break;
      case 'Reshape':
        emit('Reshape', [ins[0], ints(a.shape as number[], out)]);
        break;
      case 'Expand':
        emit('Expand', [ins[0], ints(a.shape as number[], out)]);
        break;
      case 'Transpose':
        emit('Transpose', ins, [attrInts('perm', a.perm as number[])]);
        break;
      case 'Concat':
        emit('Concat', ins, [attrInt('axis', a.axis as number)]);
        break;
      case 'Slice':
        emit('Slice', [ins[0], ints([a.start as number], out), ints([a.end as number], out), ints([a.axis as number], out)]);
        break;
      case 'IsInf': {
        const sign = a.sign as number;
        emit('IsInf', ins, [attrInt('detect_negative', sign <= 0 ? 1 : 0), attrInt('detect_positive', sign >= 0 ? 1 : 0)]);
        break;
      }
      case 'LayerNorm': {
        const d = node.output.shape[node.output.rank - 1];
        const scale = `${out}_ones`;
        initializers.push({ name: scale, dims: [d], dataType: ELEM.float32, rawData: new Uint8Array(new Float32Array(d).fill(1).buffer) });
        emit('LayerNormalization', [ins[0], scale], [attrInt('axis', -1), attrFloat('epsilon', a.epsilon as number)]);
        break;
      }
      case 'Attention':
        emit('MultiHeadAttention', ins, [attrInt('num_heads', a.heads as number), attrFloat('scale', a.scale as number)], MS_DOMAIN);
        usesMs = true;
        break;
      case 'Cast':
        emit('Cast', ins, [attrInt('to', ELEM[a.to as DType])]);
        break;
      case 'GeluTanh':
        emit('Gelu', ins, [attrString('approximate', 'tanh')]);
        break;
      default:
        emit(node.op);
    }
  }
  const output = Object.entries(outputs).map(([outName, v]) => {
    if (nameOf(v) !== outName) nodes.push({ opType: 'Identity', input: [nameOf(v)], output: [outName], name: `out_${outName}` });
    return valueInfo(outName, v);
  });
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }, ...(usesMs ? [{ domain: MS_DOMAIN, version: 1 }] : [])],
    producerName: 'lego-diffusion',
    graph: { name, node: nodes, input: inputs, output, initializer: initializers },
  });
  return onnx.ModelProto.encode(model).finish();
}
