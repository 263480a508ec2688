// Checkpoints with 8-bit block Linears (`lego convert --precision int8`): the weights that int8 sampling
// multiplies by, stored as they are used, so a browser downloads a quarter of their float32 bytes and an int8
// run from the file gives the same images as an int8 run from the float32 checkpoint it came from.
// Platform-neutral (bytes in, bytes out).
import { InputError } from '../errors.js';
import type { LegoConfig } from '../lego/config.js';
import { parameterSpecs, type Weights } from '../lego/model.js';
import { int8Linears, quantizeWeights, type QuantizedWeights } from '../lego/quantize.js';
import { quantizedNames } from '../nn/quantize.js';
import { toFloat32, type StoredTensor, type TensorEntry } from './safetensors.js';

/** Metadata key naming a checkpoint's stored precision; absent in float32 checkpoints. */
export const PRECISION_KEY = 'precision';

/** What the int8 tensors are, in words, for anyone reading the file without this package. */
export const INT8_LAYOUT =
  'every qkv, attn.proj, mlp.fc1 and mlp.fc2 weight W (out, in) of every block is stored as NAME.q, int8 (in, out) = ' +
  'round(W^T / scale), and NAME.scale, float32 (out) = max |W row| / 127; W = (q * scale)^T. Everything else is float32.';

/**
 * The tensors of a network with its block Linears in 8 bits (quantised here, per output channel, as int8
 * sampling does when a float32 model loads) and every other parameter in float32, in the order to store.
 */
export function int8TensorEntries(config: LegoConfig, weights: Weights): [string, TensorEntry][] {
  const quantized = quantizeWeights(weights, config);
  const int8 = new Set(int8Linears(config).map((l) => l.name));
  const floats: [string, TensorEntry][] = [];
  const bytes: [string, TensorEntry][] = [];
  for (const spec of parameterSpecs(config)) {
    if (int8.has(spec.name)) {
      const names = quantizedNames(spec.name);
      const [outDim, inDim] = spec.shape;
      floats.push([names.scale, { dtype: 'F32', shape: [outDim], data: quantized.get(names.scale)! }]);
      bytes.push([names.q, { dtype: 'I8', shape: [inDim, outDim], data: quantized.get(names.q)! }]);
      continue;
    }
    const data = weights.get(spec.name);
    if (!data) throw new Error(`internal: int8TensorEntries: no weights for ${spec.name}`);
    floats.push([spec.name, { dtype: 'F32', shape: [...spec.shape], data }]);
  }
  // The float32 tensors first, so that they stay 4-byte aligned and load without a copy.
  return [...floats, ...bytes];
}

/** The metadata entries that mark an int8 checkpoint. */
export const INT8_METADATA: Record<string, string> = { [PRECISION_KEY]: 'int8', int8_layout: INT8_LAYOUT };

/** The stored 8-bit weights of an int8 checkpoint, and the float32 weights they stand for. */
export interface Int8Tensors {
  /** `NAME.q` and `NAME.scale` for each weight of `int8Linears`, as int8 runners use them. */
  quantized: QuantizedWeights;
  /** W = (q * scale)^T for each of those weights, under its state_dict name (for float32 runs). */
  dequantized: Weights;
}

/**
 * Read the 8-bit block Linears of an int8 checkpoint, checking each tensor's dtype and shape.
 * Throws InputError naming `source` and the tensor.
 */
export function readInt8Tensors(config: LegoConfig, tensors: ReadonlyMap<string, StoredTensor>, source: string): Int8Tensors {
  const quantized: QuantizedWeights = new Map();
  const dequantized: Weights = new Map();
  for (const { name, outDim, inDim } of int8Linears(config)) {
    const names = quantizedNames(name);
    if (tensors.has(name)) throw new InputError(`${source}: tensor ${name} is stored both in float32 and as ${names.q}; an int8 checkpoint holds only the latter`);
    const q = tensors.get(names.q);
    const s = tensors.get(names.scale);
    if (!q || !s) throw new InputError(`${source}: tensor ${!q ? names.q : names.scale} is missing (an int8 checkpoint stores ${name} as ${names.q} and ${names.scale})`);
    if (q.dtype !== 'I8' || q.shape.join() !== [inDim, outDim].join()) {
      throw new InputError(`${source}: tensor ${names.q} is ${q.dtype} [${q.shape}]; expected I8 [${inDim},${outDim}]`);
    }
    if (s.shape.join() !== String(outDim)) throw new InputError(`${source}: tensor ${names.scale} is [${s.shape}]; expected [${outDim}]`);
    const qValues = new Int8Array(q.data.buffer, q.data.byteOffset, q.data.byteLength);
    const scale = toFloat32(s, names.scale);
    if (qValues.includes(-128)) throw new InputError(`${source}: tensor ${names.q} holds -128; symmetric int8 weights lie in [-127, 127]`);
    const w = new Float32Array(outDim * inDim);
    for (let i = 0; i < inDim; i++) {
      for (let j = 0; j < outDim; j++) w[j * inDim + i] = qValues[i * outDim + j] * scale[j];
    }
    quantized.set(names.q, qValues);
    quantized.set(names.scale, scale);
    dequantized.set(name, w);
  }
  return { quantized, dequantized };
}
