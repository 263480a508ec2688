// A VAE's weights by diffusers name: gathered from the tensors of a file under any naming scheme
// (names.ts) and checked against the config, or drawn at random (benchmarks and tests).
import { InputError, printable } from '../errors.js';
import { numel } from '../graph/ops.js';
import type { ParamSpec } from '../nn/params.js';
import { Rng } from '../random.js';
import { vaeParamSpecs } from './autoencoder.js';
import type { VaeConfig } from './config.js';
import { diffusersName, isAttentionProjection, SD_CHECKPOINT_PREFIX } from './names.js';

/** VAE weights by diffusers name (`decoder.up_blocks.0.resnets.1.conv2.weight`), float32, row-major. */
export type VaeWeights = Map<string, Float32Array>;

/** A tensor of a file: its shape, and its data as float32 when asked for (so unused tensors are never read). */
export interface StoredVaeTensor {
  readonly shape: readonly number[];
  read(): Float32Array;
}

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** True when some tensor name is a VAE parameter under any scheme (the file holds a VAE, well formed or not). */
export function hasVaeTensors(names: Iterable<string>, levels: number): boolean {
  for (const name of names) {
    const bare = name.startsWith(SD_CHECKPOINT_PREFIX) ? name.slice(SD_CHECKPOINT_PREFIX.length) : name;
    if (diffusersName(bare, levels) !== null) return true;
  }
  return false;
}

/**
 * The VAE's tensors among those of a file, by diffusers name, each reading as the config's shape (no
 * data is read here). Names may be diffusers' (current or older) or CompVis'; inside a Stable Diffusion
 * checkpoint only the `first_stage_model.*` tensors count. Tensors that are no VAE parameter (the UNet,
 * the text encoder, a training loss) are left alone. Throws InputError naming `source` and the tensor
 * when one is missing, stored twice or of the wrong shape.
 */
export function matchVaeTensors(tensors: ReadonlyMap<string, StoredVaeTensor>, cfg: VaeConfig, source: string): Map<string, StoredVaeTensor> {
  const inCheckpoint = [...tensors.keys()].some((name) => name.startsWith(SD_CHECKPOINT_PREFIX));
  const found = new Map<string, { stored: string; tensor: StoredVaeTensor }>();
  for (const [stored, tensor] of tensors) {
    if (inCheckpoint && !stored.startsWith(SD_CHECKPOINT_PREFIX)) continue;
    const name = diffusersName(inCheckpoint ? stored.slice(SD_CHECKPOINT_PREFIX.length) : stored, cfg.blockOutChannels.length);
    if (name === null) continue;
    const other = found.get(name);
    if (other) throw new InputError(`${source}: tensors ${printable(other.stored)} and ${printable(stored)} are both ${name}; keep one`);
    found.set(name, { stored, tensor });
  }
  const matched = new Map<string, StoredVaeTensor>();
  for (const spec of vaeParamSpecs(cfg)) {
    const entry = found.get(spec.name);
    if (!entry) {
      const where = inCheckpoint ? ` under ${SD_CHECKPOINT_PREFIX}` : '';
      throw new InputError(`${source}: no tensor ${spec.name}${where} (or its CompVis or older diffusers name); the VAE config needs ${shapeText(spec.shape)}`);
    }
    const { stored, tensor } = entry;
    // Older names store the attention projections as 1x1 convs: [C, C, 1, 1] is the same matrix.
    const asLinear = isAttentionProjection(spec.name) && tensor.shape.length === 4 && tensor.shape[2] === 1 && tensor.shape[3] === 1;
    const shape = asLinear ? tensor.shape.slice(0, 2) : tensor.shape;
    if (shape.join() !== spec.shape.join()) {
      const alias = stored === spec.name ? '' : ` (${spec.name})`;
      throw new InputError(`${source}: tensor ${printable(stored)}${alias} is ${shapeText(tensor.shape)} but the VAE config needs ${shapeText(spec.shape)}`);
    }
    matched.set(spec.name, { shape, read: () => tensor.read() });
  }
  return matched;
}

/** The VAE's weights among the tensors of a file (see matchVaeTensors), read as float32. */
export function gatherVaeWeights(tensors: ReadonlyMap<string, StoredVaeTensor>, cfg: VaeConfig, source: string): VaeWeights {
  const weights: VaeWeights = new Map();
  for (const [name, tensor] of matchVaeTensors(tensors, cfg, source)) weights.set(name, tensor.read());
  return weights;
}

/** Throw InputError naming `source` unless `weights` holds every parameter of the config at its size. */
export function checkVaeWeights(weights: ReadonlyMap<string, Float32Array>, cfg: VaeConfig, source: string): void {
  for (const spec of vaeParamSpecs(cfg)) {
    const w = weights.get(spec.name);
    if (!w) throw new InputError(`${source}: no weight ${spec.name}; the VAE config needs ${shapeText(spec.shape)}`);
    if (w.length !== numel(spec.shape)) throw new InputError(`${source}: weight ${spec.name} has ${w.length} values; the VAE config needs ${shapeText(spec.shape)}`);
  }
}

/** Random weights for a config: PyTorch-like scales (normal, std 1/sqrt(fan-in)), GroupNorm at 1 and 0. */
export function randomVaeWeights(cfg: VaeConfig, seed = 0): VaeWeights {
  const rng = new Rng(seed, 0x7ae);
  const weights: VaeWeights = new Map();
  for (const spec of vaeParamSpecs(cfg)) weights.set(spec.name, initial(spec, rng));
  return weights;
}

function initial({ init, shape }: ParamSpec, rng: Rng): Float32Array {
  const n = numel(shape);
  switch (init.kind) {
    case 'zeros':
      return new Float32Array(n);
    case 'normal': {
      const data = rng.fillNormal(new Float32Array(n));
      for (let i = 0; i < n; i++) data[i] *= init.std;
      return data;
    }
    case 'fixed':
      return init.values();
    case 'xavier': {
      const bound = Math.sqrt(6 / (init.fanIn + init.fanOut));
      return Float32Array.from({ length: n }, () => (2 * rng.uniform() - 1) * bound);
    }
  }
}

/** Parameters of a config (encoder and decoder). */
export const countVaeParameters = (cfg: VaeConfig) => vaeParamSpecs(cfg).reduce((n, s) => n + numel(s.shape), 0);
