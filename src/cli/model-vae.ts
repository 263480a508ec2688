// `--vae` for latent models: the VAE a latent checkpoint decodes with (the flag, else the one the checkpoint
// embeds or records the path of), loaded and checked against the model, and the canvas flags turned from
// image pixels into latents.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { sha256File } from '../files/file-hash.js';
import type { LegoCheckpoint } from '../io/checkpoint.js';
import { openFileSource } from '../files/fs-files.js';
import { EMBEDDED_VAE_PREFIX, latentInfo } from '../io/latent-checkpoint.js';
import { readHeader } from '../io/load-any.js';
import { toFloat32 } from '../io/safetensors.js';
import { vaeFromTensors } from '../io/vae-file.js';
import { downscaleFactor } from '../vae/config.js';
import { readVae } from '../io/vae-load.js';
import { Vae } from '../vae/vae.js';

/** What `--vae` may name. */
export const VAE_KINDS = 'a diffusers AutoencoderKL folder (e.g. stabilityai/sd-vae-ft-ema saved locally), one .safetensors, or a Stable Diffusion checkpoint';

/** A latent model's VAE, loaded. */
export interface ModelVae {
  vae: Vae;
  /** Images are this many times larger than the latents (2^(levels - 1); 8 for SD). */
  factor: number;
  /** The weights file and its SHA-256, for the sample directory's run record. */
  record: { file: string; sha256: string };
}

/**
 * The VAE to decode `model`'s samples with: null for a pixel model (where `--vae` is refused), else the one
 * `flag` names or the checkpoint embeds or records. Throws UsageError when a latent model has none, InputError when
 * the recorded one is gone or does not load.
 */
export async function openModelVae(model: LegoCheckpoint & { file: string }, flag: string | undefined, threads?: number): Promise<ModelVae | null> {
  const source = readModelVae(model, flag);
  if (!source) return null;
  return {
    vae: new Vae(source.config, source.weights, { threads }),
    factor: downscaleFactor(source.config),
    record: { file: source.weightsFile, sha256: await sha256File(source.weightsFile) },
  };
}

/** The config and weights of `model`'s VAE as openModelVae finds them (null for a pixel model), not yet compiled. */
export function readModelVae(model: LegoCheckpoint & { file: string }, flag: string | undefined): ReturnType<typeof readVae> | null {
  const { config } = model;
  const info = latentInfo(config, model.metadata);
  if (!info.latent) {
    if (flag !== undefined) throw new UsageError(`--vae: ${model.file} is a pixel model (${config.imgChannels}-channel images); --vae is for latent models`);
    return null;
  }
  if (flag === undefined && info.embedded) return readEmbeddedVae(model.file);
  let path = flag;
  if (path === undefined && info.vae !== null) {
    path = isAbsolute(info.vae) ? info.vae : resolve(dirname(model.file), info.vae);
    if (!existsSync(path)) throw new InputError(`${model.file}: its VAE ${info.vae} (recorded by lego convert --vae) is not at ${path}; give --vae PATH`);
  }
  if (path === undefined) {
    throw new UsageError(`${model.file} is a latent model (${config.imgChannels}-channel VAE latents, ${config.imgResolution}x${config.imgResolution}): it needs its VAE to make images; give --vae PATH: ${VAE_KINDS}`);
  }
  const source = readVae(path);
  if (source.config.latentChannels !== config.imgChannels) {
    throw new UsageError(`--vae: ${path} makes ${source.config.latentChannels}-channel latents but ${model.file} denoises ${config.imgChannels} channels`);
  }
  return source;
}

/** The VAE a checkpoint embeds (lego convert --embed-vae), its tensors read from the file. */
function readEmbeddedVae(file: string): ReturnType<typeof readVae> {
  const src = openFileSource(file);
  try {
    const header = readHeader(src);
    const tensors = new Map([...header.tensors].map(([name, { dtype, shape, begin, end }]) => [name, {
      shape,
      read: () => toFloat32({ dtype, shape, data: src.read(header.dataOffset + begin, end - begin) }, `${file}: ${name}`),
    }]));
    const { config, weights } = vaeFromTensors(header.metadata, tensors, file, EMBEDDED_VAE_PREFIX);
    return { weightsFile: file, configFrom: file, config, weights };
  } finally {
    src.close();
  }
}

/**
 * A latent model's sampling canvas from `--width` / `--height` in image pixels: each divided by the VAE's
 * factor (both default to the training size times the factor). Throws UsageError naming the flag when a
 * size is no multiple of the factor.
 */
export function latentCanvas(width: number | undefined, height: number | undefined, factor: number): { width?: number; height?: number } {
  const toLatent = (flag: string, px: number | undefined) => {
    if (px === undefined) return undefined;
    if (px % factor !== 0) throw new UsageError(`${flag}: a latent model's images are ${factor}x its latents; give a multiple of ${factor} pixels, got ${px}`);
    return px / factor;
  };
  return { width: toLatent('--width', width), height: toLatent('--height', height) };
}
