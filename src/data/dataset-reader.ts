// Open a dataset (a ZIP or a folder in the EDM/StyleGAN layout, of images or of latents) from a path on Node.
import { datasetFromFiles, type Dataset } from './dataset.js';
import { isImageName } from './decode-image.js';
import { openFileTable } from '../files/fs-files.js';
import { isLatentName, latentDatasetFromFiles, type LatentDataset } from './latent-dataset.js';

/**
 * Open the dataset at `path` (what `lego dataset` writes, or EDM's dataset_tool). Throws InputError naming
 * the path when it is missing, not a dataset, or its images disagree in size or channels.
 *
 * @example
 * const data = openDataset('mnist32.zip'); // data.count 60000, resolution 32, channels 1, labelDim 10
 * const x = data.getImage(0);              // Uint8Array, 1 x 32 x 32
 * data.close();
 */
export function openDataset(path: string): Dataset {
  const files = openFileTable(path);
  try {
    return datasetFromFiles(files);
  } catch (e) {
    files.close();
    throw e;
  }
}

/**
 * Open what training reads at `path`: a dataset of images (openDataset), or of latents (.npy members and no
 * images: the authors' latent dataset tool, lego dataset --vae). Throws InputError as openDataset does.
 */
export function openTrainingData(path: string): Dataset | LatentDataset {
  const files = openFileTable(path);
  try {
    const latent = !files.names.some(isImageName) && files.names.some(isLatentName);
    return latent ? latentDatasetFromFiles(files) : datasetFromFiles(files);
  } catch (e) {
    files.close();
    throw e;
  }
}
