// Any checkpoint on disk as a LegoCheckpoint (Node): our safetensors (a checkpoint or a training state) or
// the authors' .pkl / .pt, told apart by their first bytes; and `convertCheckpoint`, which streams an
// authors' file into our safetensors one tensor at a time.
import type { ByteSource } from '../files/byte-source.js';
import { openFileSource } from '../files/fs-files.js';
import { InputError } from '../errors.js';
import { numel } from '../graph/ops.js';
import type { Weights } from '../lego/model.js';
import { checkpointFromTensors, checkpointMetadata, type LegoCheckpoint } from './checkpoint.js';
import { convertedTensors, readAuthorsCheckpoint, sniffFormat, unknownFormat, type AuthorsCheckpoint } from './authors-checkpoint.js';
import { MAX_HEADER_BYTES, parseSafetensorsHeader, type SafetensorsHeader, type StoredTensor, type StreamedTensor } from './safetensors.js';
import { writeSafetensorsStream } from './safetensors-file.js';
import { tensorToFloat32 } from './torch-load.js';
import type { TorchLego } from './lego-from-torch.js';
import { isTrainingState, networkTensors } from './training-state.js';

/**
 * Load the network of any checkpoint: a lego-diffusion safetensors checkpoint or training state, an EDM
 * network-snapshot-*.pkl (its `ema`) or a training-state-*.pt (its `net`). Files of any size are read
 * tensor by tensor. Throws InputError naming the file.
 * @example const { config, weights } = await loadAnyCheckpoint('LEGO-L-PG-64.pkl');
 */
export async function loadAnyCheckpoint(path: string): Promise<LegoCheckpoint> {
  const src = openFileSource(path);
  try {
    const format = sniffFormat(src);
    if (format === 'torch') {
      const ck = readAuthorsCheckpoint(src);
      const weights: Weights = new Map();
      for (const [name, t] of ck.lego.tensors) weights.set(name, tensorToFloat32(t, `${path}: ${name}`));
      return { config: ck.lego.config, weights, metadata: checkpointMetadata(ck.lego.config, ck.extra) };
    }
    if (format === 'safetensors') {
      const header = readHeader(src);
      const tensors = lazyTensors(src, header);
      const network = isTrainingState(header.metadata, tensors.keys()) ? networkTensors(tensors) : tensors;
      return checkpointFromTensors(header.metadata, network, path);
    }
    throw unknownFormat(src);
  } finally {
    src.close();
  }
}

/** What convertCheckpoint adds to the network's tensors and metadata. */
export interface ConvertExtras {
  metadata?: Record<string, string>;
  /** Float32 tensors written after the network's. */
  tensors?: [string, StreamedTensor][];
}

/** What `convertCheckpoint` wrote. */
export interface ConvertResult {
  /** The file read, as read. */
  checkpoint: AuthorsCheckpoint;
  /** Tensors written and the size of the file. */
  tensors: number;
  bytes: number;
}

/**
 * Convert an authors' .pkl / .pt to our safetensors at `out` (atomically): a checkpoint for a network
 * snapshot, a training-state file (weights and Adam's moments) for a training state. Streams: the input is
 * read one tensor at a time and the output written the same way, so memory stays far below the file size.
 * `extend` gives metadata entries and tensors to add for the network read (it may throw, before anything is
 * written): a latent model's VAE, recorded or embedded.
 */
export async function convertCheckpoint(input: string, out: string, extend: (lego: TorchLego) => ConvertExtras = () => ({})): Promise<ConvertResult> {
  const src = openFileSource(input);
  try {
    const format = sniffFormat(src);
    if (format === 'safetensors') throw new InputError(`${input}: already safetensors; nothing to convert (lego inspect shows it)`);
    if (format !== 'torch') throw unknownFormat(src);
    const checkpoint = readAuthorsCheckpoint(src);
    const { tensors, metadata } = convertedTensors(checkpoint);
    const extras = extend(checkpoint.lego);
    const all = [...tensors, ...(extras.tensors ?? [])];
    await writeSafetensorsStream(out, all, { ...metadata, ...extras.metadata });
    const bytes = all.reduce((n, [, t]) => n + 4 * numel(t.shape), 0);
    return { checkpoint, tensors: all.length, bytes };
  } finally {
    src.close();
  }
}

/** Read and parse the safetensors header through the source (the data section is not read). */
export function readHeader(src: ByteSource): SafetensorsHeader {
  // Nine bytes: the header length and the "{" after it, by which a file cut inside its header is told.
  const prefix = src.read(0, Math.min(9, src.size));
  if (prefix.length >= 8) {
    const end = 8 + Number(new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true));
    if (end <= src.size && end <= 8 + MAX_HEADER_BYTES) return parseSafetensorsHeader(src.read(0, end), src.name, src.size);
  }
  return parseSafetensorsHeader(prefix, src.name, src.size);
}

/** The tensors of a parsed header, each read from the source when its data is first asked for. */
function lazyTensors(src: ByteSource, header: SafetensorsHeader): Map<string, StoredTensor> {
  const out = new Map<string, StoredTensor>();
  for (const [name, { dtype, shape, begin, end }] of header.tensors) {
    let data: Uint8Array | undefined;
    out.set(name, {
      dtype,
      shape,
      get data() {
        data ??= src.read(header.dataOffset + begin, end - begin);
        return data;
      },
    });
  }
  return out;
}
