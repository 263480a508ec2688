// Any checkpoint on disk as a LegoCheckpoint (Node): our safetensors (a checkpoint or a training state) or
// the authors' .pkl / .pt, told apart by their first bytes; and `convertCheckpoint`, which streams an
// authors' file into our safetensors one tensor at a time.
import type { ByteSource } from '../data/byte-source.js';
import { openFileSource } from '../data/fs-files.js';
import { InputError } from '../errors.js';
import type { Weights } from '../lego/model.js';
import { checkpointFromTensors, checkpointMetadata, type LegoCheckpoint } from './checkpoint.js';
import { convertedTensors, readAuthorsCheckpoint, sniffFormat, unknownFormat, type AuthorsCheckpoint } from './authors-checkpoint.js';
import { MAX_HEADER_BYTES, parseSafetensorsHeader, type SafetensorsHeader, type StoredTensor } from './safetensors.js';
import { writeSafetensorsStream } from './safetensors-file.js';
import { tensorToFloat32 } from './torch-load.js';
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
 */
export async function convertCheckpoint(input: string, out: string): Promise<ConvertResult> {
  const src = openFileSource(input);
  try {
    const format = sniffFormat(src);
    if (format === 'safetensors') throw new InputError(`${input}: already safetensors; nothing to convert (lego inspect shows it)`);
    if (format !== 'torch') throw unknownFormat(src);
    const checkpoint = readAuthorsCheckpoint(src);
    const { tensors, metadata } = convertedTensors(checkpoint);
    await writeSafetensorsStream(out, tensors, metadata);
    const bytes = tensors.reduce((n, [, t]) => n + 4 * t.shape.reduce((a, d) => a * d, 1), 0);
    return { checkpoint, tensors: tensors.length, bytes };
  } finally {
    src.close();
  }
}

/** Read and parse the safetensors header through the source (the data section is not read). */
export function readHeader(src: ByteSource): SafetensorsHeader {
  const prefix = src.read(0, Math.min(8, src.size));
  if (prefix.length === 8) {
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
