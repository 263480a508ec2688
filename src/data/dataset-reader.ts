// Open a dataset (a ZIP or a folder in the EDM/StyleGAN layout) from a path on Node.
import { datasetFromFiles, type Dataset } from './dataset.js';
import { openFileTable } from './fs-files.js';

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
