// `--source` on Node: an installed dataset by name (mnist, fashion-mnist), a folder or ZIP of images, or
// an IDX images file (its labels file found beside it).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import { fileError, openFileSource, openFileTable } from '../files/fs-files.js';
import { filesImageSource, idxImageSource, type ImageSource } from './image-source.js';
import { parseIdx, type IdxArray } from './idx.js';
import { isKnownDataset, knownDatasetFiles, type Split } from './known-datasets.js';
import { isZip } from '../files/zip-reader.js';

/** Options for openImageSource. */
export interface SourceOptions {
  /** IDX labels file for an IDX images file (default: the `labels-idx1` file beside it, if any). */
  labels?: string;
  /** Which split of a named dataset (default 'train'). */
  split?: Split;
}

/**
 * Open `--source`: `mnist` and `fashion-mnist` name the installed datasets (write `./mnist` for a folder
 * of that name); otherwise a folder of images, a ZIP of images, or an IDX file (gzipped or not).
 */
export function openImageSource(spec: string, options: SourceOptions = {}): ImageSource {
  if (isKnownDataset(spec)) {
    const files = knownDatasetFiles(spec, options.split ?? 'train');
    return idxImageSource(readIdx(files.images), readIdx(files.labels), files.classNames);
  }
  const stat = statSync(spec, { throwIfNoEntry: false });
  if (!stat) throw new InputError(`--source: ${spec}: no such file or directory; expected mnist, fashion-mnist, a folder, a .zip or an IDX file`);
  if (stat.isDirectory() || isZipFile(spec)) return filesImageSource(openFileTable(spec));
  const labels = options.labels ?? idxLabelsBeside(spec);
  return idxImageSource(readIdx(spec), labels ? readIdx(labels) : null);
}

function readIdx(path: string): { array: IdxArray; where: string } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw fileError(path, 'read', e);
  }
  return { array: parseIdx(bytes, path), where: path };
}

/** A ZIP by its first bytes (PK\x03\x04, or PK\x05\x06 when empty). */
function isZipFile(path: string): boolean {
  const file = openFileSource(path);
  try {
    return isZip(file);
  } finally {
    file.close();
  }
}

/** MNIST naming: `train-images-idx3-ubyte[.gz]` has its labels in `train-labels-idx1-ubyte[.gz]`. */
function idxLabelsBeside(images: string): string | null {
  const name = basename(images);
  if (!name.includes('images-idx3')) return null;
  const stem = name.replace('images-idx3', 'labels-idx1');
  const candidates = [stem, stem.replace(/\.gz$/, ''), stem.endsWith('.gz') ? stem : `${stem}.gz`];
  return candidates.map((c) => join(dirname(images), c)).find((p) => existsSync(p)) ?? null;
}
