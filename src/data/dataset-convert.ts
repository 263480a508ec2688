// The dataset tool's core, like EDM's dataset_tool.py `convert_dataset`: read each image of a source,
// make it 1 or 3 channels and a square of the target resolution, encode it as PNG and hand it to a sink
// (a ZIP or folder writer) under EDM's names, then dataset.json. Platform-neutral.
import { InputError } from '../errors.js';
import { DATASET_JSON, imageName, serializeDatasetJson } from './dataset-json.js';
import { colorChannels, convertChannels, type Image } from './image.js';
import type { ImageSource, SourceItem } from './image-source.js';
import { encodePng } from './png.js';
import { resizeLanczos } from './resize.js';
import { applyTransform, type TransformName } from './transforms.js';

/** How images become dataset images. */
export interface ConvertOptions {
  /** Output width = height in pixels. Default: the first image's size (it must be square). Required with a transform. */
  resolution?: number;
  /**
   * How a non-square or differently sized image is fitted (transforms.ts). Without one, square images are
   * resized to `resolution` (Lanczos) and any other size is an error.
   */
  transform?: TransformName;
  /** 1 (gray) or 3 (RGB). Default: the first image's (alpha dropped); a colour image in a gray dataset is then an error. */
  channels?: 1 | 3;
  /** Stop after this many images are written (default: all). */
  maxImages?: number;
  /** An unreadable or corrupt image: 'fail' (default) stops with its error, 'skip' reports it and goes on. */
  onError?: 'skip' | 'fail';
}

/** Where converted images go, one named file at a time (a ZIP or folder writer; a Map in tests). */
export interface DatasetSink {
  add(name: string, bytes: Uint8Array): void;
}

/** Callbacks for progress and skipped files. */
export interface ConvertHooks {
  /** Called after each image with the number written and the number expected. */
  onProgress?(done: number, total: number): void;
  /** Called with a one-line message for each skipped image (onError 'skip'). */
  onSkip?(message: string): void;
}

/** What was written. */
export interface ConvertSummary {
  images: number;
  skipped: number;
  resolution: number;
  channels: 1 | 3;
  /** Number of classes (0: unlabelled). */
  labelDim: number;
  classNames: string[] | null;
}

/** Convert `source` into `sink`; see ConvertOptions. Throws InputError naming the image for user-fixable problems. */
export function convertDataset(source: ImageSource, options: ConvertOptions, sink: DatasetSink, hooks: ConvertHooks = {}): ConvertSummary {
  const total = Math.min(source.count, options.maxImages ?? Infinity);
  const tally: ConvertTally = { skipped: 0, shape: null };
  const labels: [string, number | null][] = [];
  for (const { image, label } of datasetImages(source, options, hooks, tally)) {
    const name = imageName(labels.length);
    sink.add(name, encodePng(image));
    labels.push([name, label]);
    hooks.onProgress?.(labels.length, total);
  }
  return finishDataset(source, labels, tally, sink);
}

/** One image as the dataset holds it (1 or 3 channels, fitted to the resolution), with its label. */
export interface DatasetImage {
  image: Image;
  label: number | null;
}

/** What datasetImages has found so far: images skipped, and the format (set by the first image read). */
export interface ConvertTally {
  skipped: number;
  shape: { resolution: number; channels: 1 | 3 } | null;
}

/**
 * The images of `source` as the dataset holds them, in order, up to `maxImages`; `tally` is kept up to date.
 * Throws InputError naming the image for user-fixable problems.
 */
export function* datasetImages(source: ImageSource, options: ConvertOptions, hooks: ConvertHooks, tally: ConvertTally): Generator<DatasetImage> {
  const { transform, maxImages = Infinity, onError = 'fail' } = options;
  if (transform && options.resolution === undefined) throw new Error(`internal: convertDataset: transform ${transform} needs a resolution`);
  let shape: DatasetShape | null = null;
  let count = 0;
  for (const item of source.items()) {
    if (count >= maxImages) break;
    const img = load(item, onError, hooks);
    if (!img) {
      tally.skipped++;
      continue;
    }
    shape ??= datasetShape(img, item, options);
    tally.shape = shape;
    const converted = toChannels(img, shape, item, options.channels !== undefined);
    count++;
    yield { image: fit(converted, shape, transform, options.resolution !== undefined, item), label: item.label };
  }
}

/**
 * Write dataset.json for the members written (name and label, in order) and sum the conversion up: labelled
 * only when every image has a label. Throws InputError when no image could be read.
 */
export function finishDataset(source: ImageSource, members: readonly [string, number | null][], tally: ConvertTally, sink: DatasetSink): ConvertSummary {
  if (!tally.shape) throw new InputError(`${source.description}: no images could be read`);
  const labelled = members.every(([, label]) => label !== null);
  let labelDim = source.classNames?.length ?? 0;
  for (const [, c] of members) labelDim = Math.max(labelDim, (c ?? 0) + 1);
  if (!labelled) labelDim = 0;
  const classNames = labelled ? source.classNames : null;
  const labels = labelled ? members.map(([name, label]): [string, number] => [name, label ?? 0]) : null;
  sink.add(DATASET_JSON, new TextEncoder().encode(serializeDatasetJson(labels, classNames)));
  return { images: members.length, skipped: tally.skipped, resolution: tally.shape.resolution, channels: tally.shape.channels, labelDim, classNames };
}

/** The output format, fixed by the options or else by the first image read. */
interface DatasetShape {
  resolution: number;
  channels: 1 | 3;
  /** The first image, for messages. */
  first: string;
}

function datasetShape(img: Image, item: SourceItem, options: ConvertOptions): DatasetShape {
  if (options.resolution === undefined && img.width !== img.height) {
    throw new InputError(`${item.name}: ${img.width}x${img.height} is not square; pass --transform center-crop, center-crop-wide or pad, and --resolution`);
  }
  return { resolution: options.resolution ?? img.width, channels: options.channels ?? colorChannels(img.channels), first: item.name };
}

function load(item: SourceItem, onError: 'skip' | 'fail', hooks: ConvertHooks): Image | null {
  try {
    return item.load();
  } catch (e) {
    if (onError === 'fail' || !(e instanceof InputError)) throw e;
    hooks.onSkip?.(`skipped ${e.message}`);
    return null;
  }
}

/** 1 or 3 channels. Gray to RGB is lossless and silent; RGB to gray only when asked for (`explicit`). */
function toChannels(img: Image, { channels, first }: DatasetShape, item: SourceItem, explicit: boolean): Image {
  if (channels === 1 && colorChannels(img.channels) === 3 && !explicit) {
    throw new InputError(`${item.name}: colour image in a grayscale dataset (the first image, ${first}, is gray); pass --channels 1 or --channels 3`);
  }
  return convertChannels(img, channels);
}

/** A `resolution`-square image: by the transform, else by resizing a square image when a resolution was asked for. */
function fit(img: Image, { resolution, first }: DatasetShape, transform: TransformName | undefined, resize: boolean, item: SourceItem): Image {
  if (transform) return applyTransform(img, transform, resolution);
  if (img.width === resolution && img.height === resolution) return img;
  if (img.width !== img.height || !resize) {
    const sized = resize ? `the dataset is ${resolution}x${resolution}` : `the first image, ${first}, is ${resolution}x${resolution}`;
    throw new InputError(`${item.name}: ${img.width}x${img.height} but ${sized}; images of mixed sizes need --transform center-crop, center-crop-wide or pad${resize ? '' : ' (or --resolution to resize square ones)'}`);
  }
  return resizeLanczos(img, resolution, resolution);
}
