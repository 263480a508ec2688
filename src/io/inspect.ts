// What a checkpoint file holds, without loading its tensors (Node): the config, the tensor table, sizes
// and training progress, for our safetensors (header only) and the authors' .pkl / .pt (pickle only).
import { openFileSource } from '../files/fs-files.js';
import { InputError } from '../errors.js';
import { numel } from '../graph/ops.js';
import { validateConfig, type LegoConfig } from '../lego/config.js';
import { sniffFormat, readAuthorsCheckpoint, unknownFormat } from './authors-checkpoint.js';
import { readHeader } from './load-any.js';
import { describe, PickleObject } from './pickle.js';
import { DTYPE_BYTES, type SafetensorsDType } from './safetensors.js';
import { isTrainingState } from './training-state.js';

/** One row of the tensor table. */
export interface TensorRow {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  bytes: number;
}

/** Everything `lego inspect` reports. */
export interface CheckpointReport {
  file: string;
  sizeBytes: number;
  /** The container: safetensors, a plain pickle, torch.save's ZIP or its legacy stream. */
  container: 'safetensors' | 'pickle' | 'zip' | 'legacy';
  /** What it is: our checkpoint or training state, an authors' snapshot / training state, or other safetensors. */
  kind: 'checkpoint' | 'training-state' | 'network-snapshot' | 'torch-training-state' | 'torch-network' | 'safetensors';
  /** The stack, when the file describes one. */
  config: LegoConfig | null;
  /** Training progress: kimg, adam_step, and the like, as stored. */
  progress: Record<string, string>;
  /** Other metadata (safetensors) or other entries of the pickle (name: kind). */
  other: Record<string, string>;
  tensors: TensorRow[];
  /** Elements over all tensors in the table. */
  elements: number;
}

const PROGRESS_KEYS = ['kimg', 'nimg', 'step', 'adam_step', 'cur_nimg', 'cur_tick'];
const CONFIG_KEYS = ['format', 'config', 'sigma_data', 'label_dim', 'img_resolution', 'img_channels'];

/** Describe a checkpoint file. Throws InputError naming the file when it cannot be read as one. */
export async function inspectCheckpoint(path: string): Promise<CheckpointReport> {
  const src = openFileSource(path);
  try {
    const format = sniffFormat(src);
    if (format === 'safetensors') {
      const { metadata, tensors } = readHeader(src);
      const rows = [...tensors].map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape, bytes: t.end - t.begin }));
      let config: LegoConfig | null = null;
      if (metadata.config !== undefined) {
        try {
          config = validateConfig(JSON.parse(metadata.config) as LegoConfig, `${path}: metadata config`);
        } catch (e) {
          throw new InputError(e instanceof SyntaxError ? `${path}: metadata config is not JSON` : (e as Error).message);
        }
      }
      const training = isTrainingState(metadata, tensors.keys());
      return {
        file: path,
        sizeBytes: src.size,
        container: 'safetensors',
        kind: training ? 'training-state' : config ? 'checkpoint' : 'safetensors',
        config,
        progress: pick(metadata, (k) => PROGRESS_KEYS.includes(k)),
        other: pick(metadata, (k) => !PROGRESS_KEYS.includes(k) && !CONFIG_KEYS.includes(k)),
        tensors: rows,
        elements: count(rows),
      };
    }
    if (format !== 'torch') throw unknownFormat(src);
    const { container, lego, root, extra } = readAuthorsCheckpoint(src);
    const rows = [...lego.tensors].map(([name, t]) => ({ name, dtype: t.dtype, shape: [...t.shape], bytes: t.numel * DTYPE_BYTES[t.dtype] }));
    const other: Record<string, string> = {};
    if (root instanceof Map) {
      for (const [key, value] of root) if (key !== lego.entry) other[String(key)] = value instanceof PickleObject ? value.className : describe(value);
    }
    if (lego.adam) other.optimizer_state = `Adam moments for ${[...lego.adam.expAvg.values()].filter(Boolean).length} parameters`;
    if (lego.dropped.length) other.dropped = lego.dropped.join(', ');
    return {
      file: path,
      sizeBytes: src.size,
      container,
      kind: lego.entry === 'ema' ? 'network-snapshot' : lego.entry === 'net' ? 'torch-training-state' : 'torch-network',
      config: lego.config,
      progress: pick(extra, (k) => PROGRESS_KEYS.includes(k)),
      other,
      tensors: rows,
      elements: count(rows),
    };
  } finally {
    src.close();
  }
}

function pick(record: Record<string, string>, keep: (key: string) => boolean): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter(([k]) => keep(k)));
}

const count = (rows: TensorRow[]) => rows.reduce((n, r) => n + numel(r.shape), 0);
