// A dataset in the EDM/StyleGAN layout (PNGs plus dataset.json, in a ZIP or a folder), as training reads
// it: sizes and channels checked once when it is opened, images decoded on demand to CHW uint8.
// Platform-neutral: the files come as a file table (dataset-reader.ts opens one on Node).
import { InputError } from '../errors.js';
import { DATASET_JSON, parseDatasetJson } from './dataset-json.js';
import { decodeImage, isImageName } from './decode-image.js';
import type { FileTable } from '../files/file-table.js';
import { colorChannels, convertChannels, toChw } from './image.js';
import { isPng, readPngHeader } from './png.js';

/** What a training run needs to know about a dataset before it starts (see dataset-checks.ts). */
export interface DatasetInfo {
  /** Number of images. */
  count: number;
  /** Width = height in pixels. */
  resolution: number;
  /** 1 gray or 3 RGB. */
  channels: 1 | 3;
  /** Number of classes; 0 when unlabelled. At least the highest label + 1, or the number of class names. */
  labelDim: number;
  /** Class index per image, or null when unlabelled. */
  labels: Int32Array | null;
  /** Class names by index, when dataset.json has them. */
  classNames: string[] | null;
}

/** An open dataset. */
export interface Dataset extends DatasetInfo {
  /** The ZIP or folder, for messages. */
  where: string;
  /** Image file names inside it, in dataset order (sorted, as EDM's loader). */
  names: string[];
  /** Image `i` as (channels, resolution, resolution) uint8, planar. Throws InputError naming the file when it is corrupt. */
  getImage(i: number): Uint8Array;
  /** Close the underlying file. */
  close(): void;
}

/**
 * Open the dataset held by a file table. Every PNG's size and channels are read from its header and
 * must agree; JPEGs (allowed, though `lego dataset` writes PNG) are checked when decoded. Throws
 * InputError naming the dataset and the first offending file.
 */
export function datasetFromFiles(files: FileTable): Dataset {
  const where = files.where;
  const names = files.names.filter(isImageName);
  if (names.length === 0) throw new InputError(`${where}: no PNG or JPEG images; expected a dataset written by lego dataset`);
  const first = probe(files, names[0]);
  if (first.width !== first.height) throw new InputError(`${where}: ${names[0]} is ${first.width}x${first.height}; dataset images must be square (remake it with lego dataset --transform)`);
  if (first.channels === 2 || first.channels === 4) {
    throw new InputError(`${where}: ${names[0]} has an alpha channel; dataset images must be gray or RGB (remake it with lego dataset)`);
  }
  const shape = (s: { width: number; height: number; channels: number }) => `${s.width}x${s.height}x${s.channels}`;
  for (const name of names.slice(1)) {
    const head = files.readHead(name, 33);
    if (!isPng(head)) continue;
    const h = readPngHeader(head, `${where}: ${name}`);
    if (h.width !== first.width || h.height !== first.height || h.channels !== first.channels) {
      throw new InputError(`${where}: ${name} is ${shape(h)} but ${names[0]} is ${shape(first)}; every image must have the same size and channels (remake it with lego dataset --transform)`);
    }
  }
  const resolution = first.width;
  const channels = colorChannels(first.channels);
  const { labels, classNames, labelDim } = readLabels(files, names);
  return {
    where,
    names,
    count: names.length,
    resolution,
    channels,
    labelDim,
    labels,
    classNames,
    getImage(i) {
      if (!(i >= 0 && i < names.length)) throw new Error(`internal: ${where}: image ${i} of ${names.length}`);
      const at = `${where}: ${names[i]}`;
      const img = decodeImage(files.read(names[i]), at);
      if (img.width !== resolution || img.height !== resolution || colorChannels(img.channels) !== channels) {
        throw new InputError(`${at}: ${shape(img)} but the dataset is ${resolution}x${resolution}x${channels}`);
      }
      return toChw(convertChannels(img, channels));
    },
    close: () => files.close(),
  };
}

/** Size and channels of an image: from the header of a PNG, by decoding anything else. */
function probe(files: FileTable, name: string): { width: number; height: number; channels: number } {
  const at = `${files.where}: ${name}`;
  const head = files.readHead(name, 33);
  return isPng(head) ? readPngHeader(head, at) : decodeImage(files.read(name), at);
}

/** The labels dataset.json gives `names` (every one needs one), or none when there is no dataset.json. */
export function readLabels(files: FileTable, names: string[]): Pick<DatasetInfo, 'labels' | 'classNames' | 'labelDim'> {
  if (!files.names.includes(DATASET_JSON)) return { labels: null, classNames: null, labelDim: 0 };
  const at = `${files.where}: ${DATASET_JSON}`;
  const json = parseDatasetJson(new TextDecoder().decode(files.read(DATASET_JSON)), at);
  if (!json.labels) return { labels: null, classNames: json.classNames, labelDim: 0 };
  const labels = new Int32Array(names.length);
  let labelDim = json.classNames?.length ?? 0;
  for (const [i, name] of names.entries()) {
    const label = json.labels.get(name);
    if (label === undefined) throw new InputError(`${at}: no label for ${name}; every image needs one`);
    labels[i] = label;
    labelDim = Math.max(labelDim, label + 1);
  }
  return { labels, classNames: json.classNames, labelDim };
}
