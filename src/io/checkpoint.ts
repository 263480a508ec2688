// Self-describing checkpoints (DESIGN.md "Contracts"): safetensors with the official state_dict names
// and the model config in __metadata__, so loading needs no --arch. Platform-neutral (bytes in, bytes out).
import { InputError } from '../errors.js';
import { validateConfig, type LegoConfig } from '../lego/config.js';
import { parameterSpecs, type Weights } from '../lego/model.js';
import type { QuantizedWeights } from '../lego/quantize.js';
import type { Precision } from '../nn/linear.js';
import { INT8_METADATA, int8TensorEntries, PRECISION_KEY, readInt8Tensors } from './int8-checkpoint.js';
import { EMBEDDED_VAE_PREFIX, VAE_CONFIG_KEY } from './latent-checkpoint.js';
import { parseSafetensors, serializeSafetensors, toFloat32, type StoredTensor, type TensorEntry } from './safetensors.js';

export const CHECKPOINT_FORMAT = 'lego-diffusion/1';

/** A network read from a checkpoint. */
export interface LegoCheckpoint {
  config: LegoConfig;
  weights: Weights;
  /** Every metadata entry (training progress and the like), as stored. */
  metadata: Record<string, string>;
  /**
   * An int8 checkpoint's block Linears as stored (8-bit weights and their scales); int8 runners multiply
   * by them as they are, float32 runs by the weights they stand for (in `weights`). Absent in float32 checkpoints.
   */
  quantized?: QuantizedWeights;
}

/**
 * Encode weights (every parameter and buffer of the config) with the config and extra metadata; with
 * precision int8, the block Linears in 8 bits (io/int8-checkpoint.ts).
 */
export function encodeCheckpoint(config: LegoConfig, weights: Weights, extra: Record<string, string> = {}, precision: Precision = 'float32'): Uint8Array {
  if (precision === 'int8') return serializeSafetensors(int8TensorEntries(config, weights), { ...checkpointMetadata(config, extra), ...INT8_METADATA });
  const entries: [string, TensorEntry][] = parameterSpecs(config).map((spec) => {
    const data = weights.get(spec.name);
    if (!data) throw new Error(`internal: encodeCheckpoint: no weights for ${spec.name}`);
    return [spec.name, { dtype: 'F32', shape: [...spec.shape], data }];
  });
  return serializeSafetensors(entries, checkpointMetadata(config, extra));
}

/** The `__metadata__` of a checkpoint: `extra` plus the format, the config and its headline fields. */
export function checkpointMetadata(config: LegoConfig, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...extra,
    format: CHECKPOINT_FORMAT,
    config: JSON.stringify(config),
    sigma_data: String(config.sigmaData),
    label_dim: String(config.labelDim),
    img_resolution: String(config.imgResolution),
    img_channels: String(config.imgChannels),
  };
}

/** Decode and check a checkpoint: every parameter present with the shape its config implies. */
export function decodeCheckpoint(bytes: Uint8Array, source: string): LegoCheckpoint {
  const { metadata, tensors } = parseSafetensors(bytes, source);
  return checkpointFromTensors(metadata, tensors, source);
}

/** A checkpoint from parsed safetensors contents (metadata with the config, tensors by official name). */
export function checkpointFromTensors(metadata: Record<string, string>, tensors: ReadonlyMap<string, StoredTensor>, source: string): LegoCheckpoint {
  if (metadata.config === undefined) {
    throw new InputError(`${source}: no model config in the safetensors metadata; not a lego-diffusion checkpoint (convert the authors' files with lego convert)`);
  }
  let config: LegoConfig;
  try {
    config = validateConfig(JSON.parse(metadata.config) as LegoConfig, `${source}: metadata config`);
  } catch (e) {
    throw new InputError(e instanceof SyntaxError ? `${source}: metadata config is not JSON` : (e as Error).message);
  }
  const precision = metadata[PRECISION_KEY] ?? 'float32';
  if (precision !== 'float32' && precision !== 'int8') throw new InputError(`${source}: metadata precision is "${precision}"; this version reads float32 and int8 checkpoints`);
  const int8 = precision === 'int8' ? readInt8Tensors(config, tensors, source) : null;
  const weights: Weights = new Map();
  const specs = parameterSpecs(config);
  for (const spec of specs) {
    const stored = int8?.dequantized.get(spec.name);
    if (stored) {
      weights.set(spec.name, stored);
      continue;
    }
    const t = tensors.get(spec.name);
    if (!t) throw new InputError(`${source}: tensor ${spec.name} is missing (the config needs [${spec.shape}])`);
    if (t.shape.join() !== spec.shape.join()) {
      throw new InputError(`${source}: tensor ${spec.name} is [${t.shape}] but the config needs [${spec.shape}]`);
    }
    weights.set(spec.name, toFloat32(t, spec.name));
  }
  // A latent checkpoint may carry its VAE (lego convert --embed-vae): those tensors are the VAE's, not the stack's.
  const embedsVae = metadata[VAE_CONFIG_KEY] !== undefined;
  const extra = [...tensors.keys()].filter((name) => !weights.has(name) && !int8?.quantized.has(name) && !(embedsVae && name.startsWith(EMBEDDED_VAE_PREFIX)));
  if (extra.length > 0) throw new InputError(`${source}: tensor ${extra[0]} is not a parameter of the configured stack${extra.length > 1 ? ` (and ${extra.length - 1} more)` : ''}`);
  return int8 ? { config, weights, metadata, quantized: int8.quantized } : { config, weights, metadata };
}
