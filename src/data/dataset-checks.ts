// Checks a training run makes on its dataset before any step runs (the training issue's "bad input"):
// the model can tile the images, takes their channels, and has labels when conditioning is asked for.
import { InputError } from '../errors.js';
import { canvasProblem, type LegoConfig } from '../lego/config.js';
import type { DatasetInfo } from './dataset.js';

/** What checkDatasetForModel looks at: a dataset of images, or of latents (`latent`, any number of channels). */
export type DatasetForModel = Omit<DatasetInfo, 'channels'> & { channels: number; where?: string; latent?: boolean };

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
export function checkDatasetForModel(info: DatasetForModel, config: LegoConfig, { cond = false }: DatasetCheckOptions = {}): void {
  const where = info.where ?? 'dataset';
  const r = info.resolution;
  const problem = canvasProblem(config, r, r);
  if (problem || r !== config.imgResolution) {
    const noun = info.latent ? 'latents' : 'images';
    const why = problem ? `the model cannot tile ${r}x${r} ${noun} (${problem})` : `${noun} are ${r}x${r} but the model is configured for ${config.imgResolution}x${config.imgResolution}`;
    const fit = r === config.imgResolution ? tileableResolution(config, r) : config.imgResolution;
    // A latent dataset's --resolution is the image size before encoding: the latent size times the VAE's factor.
    if (info.latent) throw new InputError(`${where}: ${why}; remake the dataset with lego dataset --vae and a --resolution giving ${fit}x${fit} latents`);
    throw new InputError(`${where}: ${why}; remake the dataset with --resolution ${fit} (e.g. --transform pad)`);
  }
  if (info.latent && info.channels !== config.imgChannels) {
    throw new InputError(`${where}: latents have ${info.channels} channels but the model takes ${config.imgChannels}; give an --arch with ${info.channels} channels`);
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
