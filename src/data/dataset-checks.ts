// Checks a training run makes on its dataset before any step runs (the training issue's "bad input"):
// the model can tile the images, takes their channels, and has labels when conditioning is asked for.
import { InputError } from '../errors.js';
import { canvasProblem, type LegoConfig } from '../lego/config.js';
import type { DatasetInfo } from './dataset.js';

/** Options for checkDatasetForModel. */
export interface DatasetCheckOptions {
  /** Train a class-conditional model (--cond): the dataset needs labels. */
  cond?: boolean;
}

/**
 * Throw an InputError naming the dataset if a model with `config` cannot train on it: a resolution its
 * bricks cannot tile or that differs from the model's, other channels, or no labels (or more classes
 * than the model has) with `cond`.
 *
 * @example
 * const data = openDataset('mnist32.zip');
 * checkDatasetForModel(data, presetConfig('lego_S_PG_64', { imgResolution: data.resolution, imgChannels: data.channels }), { cond: true });
 */
export function checkDatasetForModel(info: DatasetInfo & { where?: string }, config: LegoConfig, { cond = false }: DatasetCheckOptions = {}): void {
  const where = info.where ?? 'dataset';
  const r = info.resolution;
  const problem = canvasProblem(config, r, r);
  if (problem || r !== config.imgResolution) {
    const why = problem ? `the model cannot tile ${r}x${r} images (${problem})` : `images are ${r}x${r} but the model is configured for ${config.imgResolution}x${config.imgResolution}`;
    const fit = r === config.imgResolution ? tileableResolution(config, r) : config.imgResolution;
    throw new InputError(`${where}: ${why}; remake the dataset with --resolution ${fit} (e.g. --transform pad)`);
  }
  if (info.channels !== config.imgChannels) {
    throw new InputError(`${where}: images have ${info.channels} channel${info.channels > 1 ? 's' : ''} but the model takes ${config.imgChannels}; remake the dataset with --channels ${config.imgChannels}`);
  }
  if (!cond) return;
  if (!info.labels || info.labelDim === 0) {
    throw new InputError(`${where}: no labels, but --cond trains a class-conditional model; label the images (sub-folders or dataset.json) or drop --cond`);
  }
  if (config.labelDim > 0 && info.labelDim > config.labelDim) {
    throw new InputError(`${where}: ${info.labelDim} classes but the model has ${config.labelDim}`);
  }
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** The smallest size >= r that every brick tiles; full-image bricks (tile = image size) follow the image. */
function tileableResolution(config: LegoConfig, r: number): number {
  const step = config.bricks.filter((b) => b.resolution !== config.imgResolution).reduce((l, b) => (l * b.resolution) / gcd(l, b.resolution), 1);
  return Math.ceil(r / step) * step;
}
