// Self-describing checkpoints (DESIGN.md "Contracts"): safetensors with the official state_dict names
// and the model config in __metadata__, so loading needs no --arch. Platform-neutral (bytes in, bytes out).
import { InputError } from '../errors.js';
import { validateConfig, type LegoConfig } from '../lego/config.js';
import { parameterSpecs, type Weights } from '../lego/model.js';
import { EMBEDDED_VAE_PREFIX, VAE_CONFIG_KEY } from './latent-checkpoint.js';
import { parseSafetensors, serializeSafetensors, toFloat32, type StoredTensor, type TensorEntry } from './safetensors.js';

export const CHECKPOINT_FORMAT = 'lego-diffusion/1';

/** A network read from a checkpoint. */
export interface LegoCheckpoint {
  config: LegoConfig;
  weights: Weights;
  /** Every metadata entry (training progress and the like), as stored. */
  metadata: Record<string, string>;
}

/** Encode weights (every parameter and buffer of the config) with the config and extra metadata. */
export function encodeCheckpoint(config: LegoConfig, weights: Weights, extra: Record<string, string> = {}): Uint8Array {
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
  const weights: Weights = new Map();
  const specs = parameterSpecs(config);
  for (const spec of specs) {
    const t = tensors.get(spec.name);
    if (!t) throw new InputError(`${source}: tensor ${spec.name} is missing (the config needs [${spec.shape}])`);
    if (t.shape.join() !== spec.shape.join()) {
      throw new InputError(`${source}: tensor ${spec.name} is [${t.shape}] but the config needs [${spec.shape}]`);
    }
    weights.set(spec.name, toFloat32(t, spec.name));
  }
  // A latent checkpoint may carry its VAE (lego convert --embed-vae): those tensors are the VAE's, not the stack's.
  const embedsVae = metadata[VAE_CONFIG_KEY] !== undefined;
  const extra = [...tensors.keys()].filter((name) => !weights.has(name) && !(embedsVae && name.startsWith(EMBEDDED_VAE_PREFIX)));
  if (extra.length > 0) throw new InputError(`${source}: tensor ${extra[0]} is not a parameter of the configured stack${extra.length > 1 ? ` (and ${extra.length - 1} more)` : ''}`);
  return { config, weights, metadata };
}
