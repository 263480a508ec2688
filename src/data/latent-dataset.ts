// A latent dataset as the authors' latent dataset tool writes it, and `lego dataset --vae`: float32 .npy
// members of shape (C, h, w), channels first, named as images are (`00000/img00000000.npy`), with
// dataset.json labels; read for training, where the values go in unchanged. Platform-neutral.
import { InputError } from '../errors.js';
import type { FileTable } from '../files/file-table.js';
import { readLabels, type DatasetInfo } from './dataset.js';
import { decodeNpyFloat32, parseNpyHeader } from './npy.js';

/** An open latent dataset: DatasetInfo with the latents' channels and size. */
export interface LatentDataset extends Omit<DatasetInfo, 'channels'> {
  readonly latent: true;
  /** Latent channels (4 for Stable Diffusion's VAE). */
  channels: number;
  /** The ZIP or folder, for messages. */
  where: string;
  /** Member names, in dataset order (sorted, as EDM's loader). */
  names: string[];
  /** Latents `i` as float32 (channels, resolution, resolution). Throws InputError naming the member when it is corrupt. */
  getLatents(i: number): Float32Array;
  close(): void;
}

/** True for a latent dataset among the datasets training opens. */
export const isLatentDataset = (data: object): data is LatentDataset => (data as { latent?: unknown }).latent === true;

/** True for the members a latent dataset holds. */
export const isLatentName = (name: string) => name.toLowerCase().endsWith('.npy');

/** Bytes read of each member to check its header (the authors' headers take 128). */
const HEAD_BYTES = 1024;

/**
 * Open the latent dataset held by a file table. Every member's header must give the same square (C, h, h)
 * float shape. Throws InputError naming the dataset and the first offending member.
 */
export function latentDatasetFromFiles(files: FileTable): LatentDataset {
  const where = files.where;
  const names = files.names.filter(isLatentName);
  if (names.length === 0) throw new InputError(`${where}: no .npy latents; expected a latent dataset written by lego dataset --vae`);
  const shapeOf = (name: string) => {
    const head = files.readHead(name, HEAD_BYTES);
    try {
      return parseNpyHeader(head, `${where}: ${name}`).shape;
    } catch (e) {
      // A header longer than the head read: read the member whole.
      if (head.length < HEAD_BYTES) throw e;
      return parseNpyHeader(files.read(name), `${where}: ${name}`).shape;
    }
  };
  const first = shapeOf(names[0]);
  const [channels, height, width] = first;
  if (first.length !== 3 || height !== width || first.some((d) => d === 0)) {
    throw new InputError(`${where}: ${names[0]} has shape (${first.join(', ')}); latents must be (C, h, h), channels first and square`);
  }
  for (const name of names.slice(1)) {
    const shape = shapeOf(name);
    if (shape.join() !== first.join()) {
      throw new InputError(`${where}: ${name} has shape (${shape.join(', ')}) but ${names[0]} has (${first.join(', ')}); every latent must have the same shape`);
    }
  }
  const { labels, classNames, labelDim } = readLabels(files, names);
  return {
    latent: true,
    where,
    names,
    count: names.length,
    resolution: height,
    channels,
    labelDim,
    labels,
    classNames,
    getLatents(i) {
      if (!(i >= 0 && i < names.length)) throw new Error(`internal: ${where}: latents ${i} of ${names.length}`);
      const at = `${where}: ${names[i]}`;
      const { shape, data } = decodeNpyFloat32(files.read(names[i]), at);
      if (shape.join() !== first.join()) throw new InputError(`${at}: shape (${shape.join(', ')}) but the dataset is (${first.join(', ')})`);
      return data;
    },
    close: () => files.close(),
  };
}
