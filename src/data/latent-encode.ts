// Images to a latent model's latents through a VAE, as the authors' latent dataset tool makes them:
// pixels / 127.5 - 1 in, (mean + std * noise) * scaling_factor out (a posterior sample, or the mean).
import { Rng } from '../random.js';
import type { Vae } from '../vae/vae.js';

/**
 * Which latent an image gets: the posterior's mean, or a sample whose noise for the image numbered `index`
 * is `new Rng(seed, index)`'s standard normals (CHW order), so a dataset is the same however it is batched.
 */
export type PosteriorDraw = { kind: 'mean' } | { kind: 'sample'; seed: number };

/**
 * The latents of same-sized 8-bit CHW images with the VAE's input channels, numbered from `firstIndex`:
 * one float32 (latent, H/f, W/f) array per image, in the diffusion model's units (times scaling_factor).
 */
export async function encodeLatents(vae: Vae, images: readonly Uint8Array[], height: number, width: number, draw: PosteriorDraw, firstIndex = 0): Promise<Float32Array[]> {
  const channels = vae.config.inChannels;
  const per = channels * height * width;
  const pixels = new Float32Array(images.length * per);
  images.forEach((img, i) => {
    if (img.length !== per) throw new Error(`internal: encodeLatents: image ${i} has ${img.length} values, not ${channels}x${height}x${width}`);
    for (let j = 0; j < per; j++) pixels[i * per + j] = img[j] / 127.5 - 1;
  });
  const posterior = await vae.encode(pixels, [images.length, channels, height, width]);
  const noise = new Float32Array(posterior.mean.length);
  const perLatent = noise.length / images.length;
  if (draw.kind === 'sample') {
    images.forEach((_, i) => new Rng(draw.seed, firstIndex + i).fillNormal(noise.subarray(i * perLatent, (i + 1) * perLatent)));
  }
  // The mean is the sample with zero noise: the same float32 arithmetic either way.
  const latents = vae.sampleLatents(posterior, noise);
  return images.map((_, i) => latents.slice(i * perLatent, (i + 1) * perLatent));
}
