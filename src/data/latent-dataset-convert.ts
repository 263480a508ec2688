// `lego dataset --vae`'s core, as the authors' latent dataset tool: each image made RGB and fitted to the
// resolution as for an image dataset, encoded by the VAE into (mean + std * noise) * scaling_factor, and
// stored as a float32 .npy (C, h, w) under the image's name (`00000/img00000000.npy`), then dataset.json.
import { InputError } from '../errors.js';
import { downscaleFactor } from '../vae/config.js';
import type { Vae } from '../vae/vae.js';
import { imageName } from './dataset-json.js';
import { datasetImages, finishDataset, type ConvertHooks, type ConvertOptions, type ConvertSummary, type ConvertTally, type DatasetSink } from './dataset-convert.js';
import { toChw } from './image.js';
import type { ImageSource } from './image-source.js';
import { encodeLatents } from './latent-encode.js';
import { encodeNpyFloat32 } from './npy.js';

/** How images become latents, on top of the image conversion's options (whose `channels` is the VAE's). */
export interface LatentConvertOptions extends Omit<ConvertOptions, 'channels'> {
  /** Seed of the posterior samples: image k draws its noise from `new Rng(seed, k)` (default 0). */
  seed?: number;
  /** Images per VAE run (default 8); the latents do not depend on it. */
  batch?: number;
}

/** What was written: the image conversion's summary, with the latents' size and channels. */
export interface LatentConvertSummary extends ConvertSummary {
  latentResolution: number;
  latentChannels: number;
}

/** The member name of latents `index`: the image's name with .npy, as the authors' tool names it. */
export const latentName = (index: number) => imageName(index).replace(/\.png$/, '.npy');

/**
 * Convert `source` into a latent dataset in `sink`; see LatentConvertOptions. Throws InputError naming the
 * image for user-fixable problems, or when the resolution is no multiple of the VAE's downscale factor.
 */
export async function convertLatentDataset(source: ImageSource, vae: Vae, options: LatentConvertOptions, sink: DatasetSink, hooks: ConvertHooks = {}): Promise<LatentConvertSummary> {
  const { seed = 0, batch = 8 } = options;
  if (vae.config.inChannels !== 3) throw new InputError(`the VAE takes ${vae.config.inChannels}-channel images; a latent dataset is made from RGB ones`);
  const f = downscaleFactor(vae.config);
  const total = Math.min(source.count, options.maxImages ?? Infinity);
  const tally: ConvertTally = { skipped: 0, shape: null };
  const members: [string, number | null][] = [];
  let pending: { chw: Uint8Array; label: number | null }[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const r = tally.shape!.resolution;
    const latents = await encodeLatents(vae, pending.map((p) => p.chw), r, r, { kind: 'sample', seed }, members.length);
    for (const [i, data] of latents.entries()) {
      const name = latentName(members.length);
      sink.add(name, encodeNpyFloat32(data, [vae.config.latentChannels, r / f, r / f]));
      members.push([name, pending[i].label]);
      hooks.onProgress?.(members.length, total);
    }
    pending = [];
  };
  for (const { image, label } of datasetImages(source, { ...options, channels: 3 }, hooks, tally)) {
    if (image.width % f !== 0) {
      throw new InputError(`${source.description}: images are ${image.width}x${image.height}; the VAE needs a multiple of ${f} (give --resolution)`);
    }
    pending.push({ chw: toChw(image), label });
    if (pending.length >= batch) await flush();
  }
  await flush();
  const summary = finishDataset(source, members, tally, sink);
  return { ...summary, latentResolution: summary.resolution / f, latentChannels: vae.config.latentChannels };
}
