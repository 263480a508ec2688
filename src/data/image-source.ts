// Where `lego dataset` reads images from, decoded one at a time: image files in a folder or ZIP
// (labels from dataset.json or from sub-folder names), or IDX arrays (labels from the label file).
import { InputError } from '../errors.js';
import { DATASET_JSON, parseDatasetJson } from './dataset-json.js';
import { decodeImage, isImageName } from './decode-image.js';
import type { FileTable } from '../files/file-table.js';
import { idxImages, idxLabels, type IdxArray } from './idx.js';
import type { Image } from './image.js';

/** One image of a source, decoded on demand. */
export interface SourceItem {
  /** The image for messages: `photos/cat/1.jpg`, `train-images-idx3-ubyte[17]`. */
  name: string;
  /** Class index, or null when the source is unlabelled. */
  label: number | null;
  /** Decode it. Throws InputError naming the item when it is unreadable or corrupt. */
  load(): Image;
}

/** A sequence of images with optional class labels. */
export interface ImageSource {
  /** For the summary: `folder photos (3 classes from sub-folder names)`. */
  description: string;
  count: number;
  /** Class names by index, when known. */
  classNames: string[] | null;
  items(): Iterable<SourceItem>;
}

/** EDM's own layout (`00000/img00000000.png`): its folders are not classes. */
const EDM_FOLDER = /^\d{5}$/;

/**
 * The images in a file table, in sorted name order. Labels: from `dataset.json` at the root when there is
 * one (every image must be listed); else, when every image sits in a sub-folder, the index of its
 * top-level folder name in sorted order (`cat/1.png` -> 0, `dog/7.png` -> 1); else none.
 */
export function filesImageSource(files: FileTable): ImageSource {
  const where = files.where;
  const names = files.names.filter(isImageName);
  if (names.length === 0) throw new InputError(`${where}: no PNG or JPEG images found`);
  let labelOf: (name: string) => number | null = () => null;
  let classNames: string[] | null = null;
  let how = 'unlabelled';
  if (files.names.includes(DATASET_JSON)) {
    const json = parseDatasetJson(new TextDecoder().decode(files.read(DATASET_JSON)), `${where}/${DATASET_JSON}`);
    classNames = json.classNames;
    const labels = json.labels;
    if (labels) {
      const missing = names.find((n) => !labels.has(n));
      if (missing !== undefined) throw new InputError(`${where}/${DATASET_JSON}: no label for ${missing}; every image needs one`);
      labelOf = (name) => labels.get(name) as number;
      how = `labels from ${DATASET_JSON}`;
    }
  } else if (names.every((n) => n.includes('/'))) {
    const folders = [...new Set(names.map((n) => n.slice(0, n.indexOf('/'))))].sort();
    if (!folders.every((f) => EDM_FOLDER.test(f))) {
      const index = new Map(folders.map((f, i) => [f, i]));
      labelOf = (name) => index.get(name.slice(0, name.indexOf('/'))) as number;
      classNames = folders;
      how = `${folders.length} classes from sub-folder names`;
    }
  }
  return {
    description: `${where} (${names.length} images, ${how})`,
    count: names.length,
    classNames,
    *items() {
      for (const name of names) {
        const at = `${where}/${name}`;
        yield { name: at, label: labelOf(name), load: () => decodeImage(files.read(name), at) };
      }
    },
  };
}

/** Images (and labels, when given) from IDX arrays, e.g. MNIST's train-images-idx3-ubyte. */
export function idxImageSource(
  images: { array: IdxArray; where: string },
  labels: { array: IdxArray; where: string } | null,
  classNames: string[] | null = null,
): ImageSource {
  const { count, image } = idxImages(images.array, images.where);
  const values = labels ? idxLabels(labels.array, labels.where) : null;
  if (values && values.length !== count) {
    throw new InputError(`${labels?.where}: ${values.length} labels for ${count} images in ${images.where}`);
  }
  if (values?.some((v) => v < 0)) throw new InputError(`${labels?.where}: negative labels; expected class indices >= 0`);
  return {
    description: `${images.where} (${count} images, ${labels ? `labels from ${labels.where}` : 'unlabelled'})`,
    count,
    classNames,
    *items() {
      for (let i = 0; i < count; i++) yield { name: `${images.where}[${i}]`, label: values ? values[i] : null, load: () => image(i) };
    },
  };
}
