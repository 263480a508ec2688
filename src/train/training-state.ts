// Training-state files: everything a run needs to continue bit for bit (weights, EMA, Adam moments and
// step, image count, random and data-order positions) in one safetensors file. Tensor names follow the
// authors' training state converted to safetensors: net.<name>, ema.<name>, adam.exp_avg(_sq).<name>.
import { InputError } from '../errors.js';
import { parseSafetensors, serializeSafetensors, toFloat32, type TensorEntry } from '../io/safetensors.js';
import { TRAINING_STATE_FORMAT } from '../io/training-state.js';
import { validateConfig, type LegoConfig } from '../lego/config.js';
import { parameterSpecs, type Weights } from '../lego/model.js';
import type { DataOrderState } from './data-order.js';
import type { TrainState } from './state.js';


/** Where the run stands, besides the tensors. */
export interface Progress {
  /** Images trained on so far. */
  nimg: number;
  /** Ticks completed. */
  tick: number;
  /** The step random stream's state (Rng.getState, NaN as null). */
  rng: (number | null)[];
  dataOrder: DataOrderState;
}

export interface LoadedTrainingState {
  config: LegoConfig;
  weights: Weights;
  ema: Weights;
  adamM: Weights;
  adamV: Weights;
  adamStep: number;
  /** Null when the file came from elsewhere (e.g. converted from the authors' .pt). */
  progress: Progress | null;
  metadata: Record<string, string>;
}

export function encodeTrainingState(config: LegoConfig, state: TrainState, progress: Progress, extra: Record<string, string> = {}): Uint8Array {
  const entries: [string, TensorEntry][] = [];
  const f32 = (shape: readonly number[], data: Float32Array): TensorEntry => ({ dtype: 'F32', shape: [...shape], data });
  const specs = parameterSpecs(config);
  for (const s of specs) entries.push([`net.${s.name}`, f32(s.shape, state.weights.get(s.name)!)]);
  for (const s of specs.filter((x) => x.trainable)) {
    entries.push([`ema.${s.name}`, f32(s.shape, state.ema.get(s.name)!)]);
    entries.push([`adam.exp_avg.${s.name}`, f32(s.shape, state.adamM.get(s.name)!)]);
    entries.push([`adam.exp_avg_sq.${s.name}`, f32(s.shape, state.adamV.get(s.name)!)]);
  }
  return serializeSafetensors(entries, {
    ...extra,
    format: TRAINING_STATE_FORMAT,
    config: JSON.stringify(config),
    adam_step: String(state.step),
    progress: JSON.stringify(progress),
    kimg: (progress.nimg / 1000).toFixed(3),
  });
}

export function decodeTrainingState(bytes: Uint8Array, source: string): LoadedTrainingState {
  const { metadata, tensors } = parseSafetensors(bytes, source);
  if (metadata.config === undefined) throw new InputError(`${source}: no model config in the metadata; not a lego-diffusion training state`);
  let config: LegoConfig;
  try {
    config = validateConfig(JSON.parse(metadata.config) as LegoConfig, `${source}: metadata config`);
  } catch (e) {
    throw new InputError(e instanceof SyntaxError ? `${source}: metadata config is not JSON` : (e as Error).message);
  }
  const read = (prefix: string, name: string, shape: readonly number[]) => {
    const t = tensors.get(prefix + name);
    if (!t) throw new InputError(`${source}: tensor ${prefix}${name} is missing`);
    if (t.shape.join() !== shape.join()) throw new InputError(`${source}: tensor ${prefix}${name} is [${t.shape}] but the config needs [${shape}]`);
    return toFloat32(t, prefix + name);
  };
  const out: LoadedTrainingState = {
    config, weights: new Map(), ema: new Map(), adamM: new Map(), adamV: new Map(),
    adamStep: Number(metadata.adam_step ?? 0),
    progress: metadata.progress ? (JSON.parse(metadata.progress) as Progress) : null,
    metadata,
  };
  for (const s of parameterSpecs(config)) {
    out.weights.set(s.name, read('net.', s.name, s.shape));
    if (!s.trainable) continue;
    // Files converted from the authors' state have no EMA: start it from the weights.
    out.ema.set(s.name, tensors.has(`ema.${s.name}`) ? read('ema.', s.name, s.shape) : out.weights.get(s.name)!.slice());
    out.adamM.set(s.name, read('adam.exp_avg.', s.name, s.shape));
    out.adamV.set(s.name, read('adam.exp_avg_sq.', s.name, s.shape));
  }
  if (!Number.isInteger(out.adamStep) || out.adamStep < 0) throw new InputError(`${source}: adam_step "${metadata.adam_step}" is not a step count`);
  return out;
}
