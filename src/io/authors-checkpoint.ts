// The authors' files (network-snapshot-*.pkl, training-state-*.pt) as our checkpoints: which reader a file
// needs, the LEGO network in it, and the tensors of the equivalent lego-diffusion safetensors, each made
// only when written. Platform-neutral (reads a ByteSource).
import type { ByteSource } from '../files/byte-source.js';
import { isZip } from '../files/zip-reader.js';
import { InputError } from '../errors.js';
import { numel } from '../graph/ops.js';
import { checkpointMetadata } from './checkpoint.js';
import { legoFromTorch, type TorchLego } from './lego-from-torch.js';
import { isCutHeader, type StreamedTensor } from './safetensors.js';
import { loadTorch, tensorToFloat32, type TorchFile, type TorchTensor } from './torch-load.js';
import { TRAINING_STATE_FORMAT, trainingStateNames } from './training-state.js';

/** Which reader a file needs, from its first bytes; null when it is neither. */
export function sniffFormat(src: ByteSource): 'safetensors' | 'torch' | null {
  if (isZip(src)) return 'torch';
  const head = src.read(0, Math.min(src.size, 9));
  // safetensors: an 8-byte header length that fits the file, then the JSON header's "{".
  if (head.length === 9 && head[8] === 0x7b) {
    const length = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
    if (length + 8n <= BigInt(src.size) || isCutHeader(head, src.size)) return 'safetensors';
  }
  if (head[0] === 0x80) return 'torch'; // pickles start with PROTO
  // Cut inside the header length: safetensors, so that its reader can say so.
  return isCutHeader(head, src.size) ? 'safetensors' : null;
}

/** One of the authors' files, read as a LEGO network; tensor data is still in the file. */
export interface AuthorsCheckpoint {
  container: TorchFile['format'];
  lego: TorchLego;
  /** The unpickled file (for inspection). */
  root: unknown;
  /** Metadata our files get: where they came from and the training progress. */
  extra: Record<string, string>;
}

/** Read the network (and Adam's state) from a .pkl or .pt file. Throws InputError naming the file. */
export function readAuthorsCheckpoint(src: ByteSource): AuthorsCheckpoint {
  const { format, root } = loadTorch(src);
  const lego = legoFromTorch(root, src.name);
  const file = src.name.split(/[\\/]/).pop() ?? src.name;
  const extra: Record<string, string> = { source: file, source_entry: lego.entry, source_class: lego.className };
  const kimg = /(?:network-snapshot|training-state)-(\d+)\.(?:pkl|pt)$/.exec(file)?.[1];
  if (kimg !== undefined) extra.kimg = String(Number(kimg)); // EDM names files by thousands of images seen
  if (lego.adam) extra.adam_step = String(lego.adam.step);
  if (lego.dropped.length) extra.dropped_tensors = lego.dropped.join(',');
  return { container: format, lego, root, extra };
}

/**
 * The tensors and metadata of our safetensors for an authors' file: a checkpoint (official names), or for a
 * training state a training-state file (`net.*`, `adam.exp_avg.*`, `adam.exp_avg_sq.*`). Every tensor is
 * float32 and read from the input only when its `bytes()` is called.
 */
export function convertedTensors(ck: AuthorsCheckpoint): { tensors: [string, StreamedTensor][]; metadata: Record<string, string> } {
  const { lego } = ck;
  const metadata = checkpointMetadata(lego.config, ck.extra);
  const f32 = (t: TorchTensor | null, name: string, shape: readonly number[]): StreamedTensor => ({
    dtype: 'F32',
    shape,
    bytes: () => {
      const data = t ? tensorToFloat32(t, `${ck.extra.source}: ${name}`) : new Float32Array(numel(shape));
      return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    },
  });
  const params = [...lego.tensors];
  if (!lego.adam) return { tensors: params.map(([name, t]) => [name, f32(t, name, t.shape)]), metadata };
  const { expAvg, expAvgSq } = lego.adam;
  const tensors: [string, StreamedTensor][] = params.map(([name, t]) => [trainingStateNames(name).net, f32(t, name, t.shape)]);
  for (const [name, t] of params) {
    if (!expAvg.has(name)) continue; // a buffer (never optimised)
    const names = trainingStateNames(name);
    tensors.push([names.expAvg, f32(expAvg.get(name) ?? null, names.expAvg, t.shape)]);
    tensors.push([names.expAvgSq, f32(expAvgSq.get(name) ?? null, names.expAvgSq, t.shape)]);
  }
  return { tensors, metadata: { ...metadata, format: TRAINING_STATE_FORMAT } };
}

/** The error for a file no reader takes. */
export function unknownFormat(src: ByteSource): InputError {
  const hex = [...src.read(0, Math.min(src.size, 4))].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return new InputError(`${src.name}: not safetensors, a pickle or a torch.save file (starts with ${hex || 'nothing: the file is empty'})`);
}
