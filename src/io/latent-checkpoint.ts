// Which checkpoints denoise VAE latents, and where their VAE is: the `latent` and `vae` metadata entries that
// `lego convert --vae` and training on a latent dataset write, or a VAE embedded by `lego convert --embed-vae`
// (tensors under `vae.`, its config in `vae_config`), with 4 channels as the rule for files without them
// (the authors' latent snapshots: every pixel dataset here is gray or RGB). Platform-neutral.
import type { LegoConfig } from '../lego/config.js';

/** Metadata entry saying whether the model denoises VAE latents: "true" or "false". */
export const LATENT_KEY = 'latent';
/** Metadata entry with the path of the model's VAE, relative to the checkpoint's folder (or absolute). */
export const VAE_KEY = 'vae';
/** Metadata entry with a VAE's diffusers config.json: of the VAE embedded in a checkpoint, or of a VAE file. */
export const VAE_CONFIG_KEY = 'vae_config';
/** The prefix of an embedded VAE's tensors, before their diffusers names. */
export const EMBEDDED_VAE_PREFIX = 'vae.';

/** What a checkpoint says of its latents. */
export interface LatentInfo {
  /** The model makes VAE latents, not images. */
  latent: boolean;
  /** Its VAE's path as recorded (relative to the checkpoint's folder), or null. */
  vae: string | null;
  /** Its VAE is in the checkpoint itself (EMBEDDED_VAE_PREFIX tensors, VAE_CONFIG_KEY metadata). */
  embedded: boolean;
}

/**
 * Whether a checkpoint is latent: its `latent` entry when there is one, else true when it records or embeds a
 * VAE or has 4 channels (SD's latents; the authors' LEGO-XL-U-256 and -512 snapshots carry no such entry).
 */
export function latentInfo(config: LegoConfig, metadata: Readonly<Record<string, string>>): LatentInfo {
  const vae = metadata[VAE_KEY] || null;
  const embedded = metadata[VAE_CONFIG_KEY] !== undefined;
  const stated = metadata[LATENT_KEY];
  if (stated === 'true' || stated === 'false') return { latent: stated === 'true', vae, embedded };
  return { latent: vae !== null || embedded || config.imgChannels === 4, vae, embedded };
}

/** The metadata entries of a latent checkpoint, with its VAE's path when known. */
export function latentMetadata(vae: string | null): Record<string, string> {
  return { [LATENT_KEY]: 'true', ...(vae ? { [VAE_KEY]: vae } : {}) };
}
