// Our training-state file: everything a run needs to continue bit for bit in one safetensors file. Tensor
// names follow the authors' training state converted to safetensors (the fixtures' training-state-*.expected
// .safetensors): net.<name>, ema.<name>, adam.exp_avg(_sq).<name>; the metadata holds the model config,
// `adam_step` and the run's progress (image count, random and data-order positions).
import { InputError } from '../errors.js';
import { validateConfig, type LegoConfig } from '../lego/config.js';
import { parameterSpecs, type Weights } from '../lego/model.js';
import { parseSafetensors, serializeSafetensors, toFloat32, type StoredTensor, type TensorEntry } from './safetensors.js';

/** The metadata `format` of a training-state file (a plain checkpoint has CHECKPOINT_FORMAT). */
export const TRAINING_STATE_FORMAT = 'lego-diffusion/training-state/1';

/** The tensor names of one parameter in a training-state file. */
export const trainingStateNames = (name: string) => ({
  net: `net.${name}`,
  ema: `ema.${name}`,
  expAvg: `adam.exp_avg.${name}`,
  expAvgSq: `adam.exp_avg_sq.${name}`,
});

/** True when safetensors metadata and tensor names are those of a training state. */
export function isTrainingState(metadata: Record<string, string>, names: Iterable<string>): boolean {
  if (metadata.format === TRAINING_STATE_FORMAT) return true;
  return metadata.format === undefined && [...names].some((n) => n.startsWith('net.'));
}

/** The network part of a training state: the `net.` tensors under their plain state_dict names. */
export function networkTensors<T extends StoredTensor>(tensors: ReadonlyMap<string, T>): Map<string, T> {
  return new Map([...tensors].filter(([name]) => name.startsWith('net.')).map(([name, t]) => [name.slice('net.'.length), t]));
}

// ---------------------------------------------------------------------------------------------
// Encoding and decoding

/** Where the run stands, besides the tensors. */
export interface Progress {
  /** Images trained on so far. */
  nimg: number;
  /** Ticks completed. */
  tick: number;
  /** The step random stream's state (Rng.getState, NaN as null). */
  rng: (number | null)[];
  /** The data order's epoch and position in it. */
  dataOrder: { epoch: number; position: number };
}

/** The tensors of a training state by parameter name, and Adam's step count (a TrainState has this shape). */
export interface TrainingTensors {
  /** Every parameter and buffer. */
  weights: Weights;
  /** EMA and Adam moments of the trainable parameters. */
  ema: Weights;
  adamM: Weights;
  adamV: Weights;
  /** Adam steps taken so far. */
  step: number;
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

/** Serialise a training state; `extra` metadata (e.g. the training options) is kept beside the format's own. */
export function encodeTrainingState(config: LegoConfig, state: TrainingTensors, progress: Progress, extra: Record<string, string> = {}): Uint8Array {
  const entries: [string, TensorEntry][] = [];
  const f32 = (shape: readonly number[], data: Float32Array): TensorEntry => ({ dtype: 'F32', shape: [...shape], data });
  const specs = parameterSpecs(config);
  for (const s of specs) entries.push([trainingStateNames(s.name).net, f32(s.shape, state.weights.get(s.name)!)]);
  for (const s of specs.filter((x) => x.trainable)) {
    const names = trainingStateNames(s.name);
    entries.push([names.ema, f32(s.shape, state.ema.get(s.name)!)]);
    entries.push([names.expAvg, f32(s.shape, state.adamM.get(s.name)!)]);
    entries.push([names.expAvgSq, f32(s.shape, state.adamV.get(s.name)!)]);
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

/** The `progress` metadata of a training state, checked field by field (InputError naming `source`). */
function parseProgress(text: string, source: string): Progress {
  const bad = (what: string) => new InputError(`${source}: metadata progress ${what}; the training state is damaged`);
  let p: Partial<Progress>;
  try {
    p = JSON.parse(text) as Partial<Progress>;
  } catch {
    throw bad('is not JSON');
  }
  const count = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (typeof p !== 'object' || p === null) throw bad('is not an object');
  if (!count(p.nimg) || !count(p.tick)) throw bad('has no image count or tick');
  if (!Array.isArray(p.rng) || !p.rng.every((v) => v === null || typeof v === 'number')) throw bad('has no random-stream state');
  if (!p.dataOrder || !count(p.dataOrder.epoch) || !count(p.dataOrder.position)) throw bad('has no data-order position');
  return p as Progress;
}

/** Parse a training state, ours or converted from the authors' .pt. Throws InputError naming `source`. */
export function decodeTrainingState(bytes: Uint8Array, source: string): LoadedTrainingState {
  const { metadata, tensors } = parseSafetensors(bytes, source);
  if (metadata.config === undefined) throw new InputError(`${source}: no model config in the metadata; not a lego-diffusion training state`);
  let config: LegoConfig;
  try {
    config = validateConfig(JSON.parse(metadata.config) as LegoConfig, `${source}: metadata config`);
  } catch (e) {
    throw new InputError(e instanceof SyntaxError ? `${source}: metadata config is not JSON` : (e as Error).message);
  }
  const read = (name: string, shape: readonly number[]) => {
    const t = tensors.get(name);
    if (!t) throw new InputError(`${source}: tensor ${name} is missing`);
    if (t.shape.join() !== shape.join()) throw new InputError(`${source}: tensor ${name} is [${t.shape}] but the config needs [${shape}]`);
    return toFloat32(t, name);
  };
  const out: LoadedTrainingState = {
    config, weights: new Map(), ema: new Map(), adamM: new Map(), adamV: new Map(),
    adamStep: Number(metadata.adam_step ?? 0),
    progress: metadata.progress ? parseProgress(metadata.progress, source) : null,
    metadata,
  };
  for (const s of parameterSpecs(config)) {
    const names = trainingStateNames(s.name);
    out.weights.set(s.name, read(names.net, s.shape));
    if (!s.trainable) continue;
    // Files converted from the authors' state have no EMA: start it from the weights.
    out.ema.set(s.name, tensors.has(names.ema) ? read(names.ema, s.shape) : out.weights.get(s.name)!.slice());
    out.adamM.set(s.name, read(names.expAvg, s.shape));
    out.adamV.set(s.name, read(names.expAvgSq, s.shape));
  }
  if (!Number.isInteger(out.adamStep) || out.adamStep < 0) throw new InputError(`${source}: adam_step "${metadata.adam_step}" is not a step count`);
  return out;
}
