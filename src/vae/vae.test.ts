// The Vae API on the tiny fixture VAE: batches split into pieces give the same images, non-square latents,
// pixels and latents as the authors' scripts compute them, and input errors.
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { Rng } from '../random.js';
import { readVae } from '../io/vae-load.js';
import { Vae } from './vae.js';

const { config, weights } = readVae(new URL('../../test/fixtures/latent/sd-vae-tiny', import.meta.url).pathname);
const vae = new Vae(config, weights, { threads: 1 });
afterAll(() => vae.release());

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('Vae', () => {
  it('decodes a batch in pieces to the same images as in one run, non-square latents included', async () => {
    const shape = [3, 4, 4, 6];
    const latents = new Rng(1).fillNormal(new Float32Array(3 * 4 * 4 * 6));
    const whole = await vae.decode(latents, shape);
    expect(whole.length).toBe(3 * 3 * 8 * 12);
    const oneByOne = new Vae(config, weights, { threads: 1, maxActivationBytes: 1 });
    const pieces = await oneByOne.decode(latents, shape);
    await oneByOne.release();
    expect(maxDiff(whole, pieces)).toBeLessThan(1e-5);
    // The second image alone is the second image of the batch.
    const second = await vae.decode(latents.subarray(4 * 4 * 6, 2 * 4 * 4 * 6), [1, 4, 4, 6]);
    expect(maxDiff(second, whole.subarray(3 * 8 * 12, 2 * 3 * 8 * 12))).toBeLessThan(1e-5);
  });

  it('encodes to a posterior with a positive std, and samples latents as (mean + std noise) * scaling_factor', async () => {
    const images = Float32Array.from({ length: 2 * 3 * 8 * 4 }, (_, i) => Math.sin(i));
    const posterior = await vae.encode(images, [2, 3, 8, 4]);
    expect(posterior.shape).toEqual([2, 4, 4, 2]);
    expect(posterior.std.every((s) => s > 0)).toBe(true);
    const noise = new Rng(2).fillNormal(new Float32Array(posterior.mean.length));
    const latents = vae.sampleLatents(posterior, noise);
    latents.forEach((z, i) => expect(z).toBeCloseTo((posterior.mean[i] + posterior.std[i] * noise[i]) * 0.18215, 6));
  });

  it('makes pixels as generate.py does: clip(x * 127.5 + 128, 0, 255), truncated', () => {
    expect([...vae.toUint8(Float32Array.of(-2, -1, -0.999, 0, 0.5, 0.99, 1, 3))]).toEqual([0, 0, 0, 128, 191, 254, 255, 255]);
  });

  it('refuses shapes that do not fit, naming what was expected', async () => {
    await expect(vae.decode(new Float32Array(3 * 16), [1, 3, 4, 4])).rejects.toThrow(/decode: latents: shape \[1, 3, 4, 4\]; expected \[N, 4, H, W\]/);
    await expect(vae.encode(new Float32Array(3 * 15), [1, 3, 5, 3])).rejects.toThrow(/H and W multiples of 2/);
    await expect(vae.decode(new Float32Array(10), [1, 4, 2, 2])).rejects.toThrow(InputError);
    expect(() => new Vae(config, new Map([...weights].slice(1)))).toThrow(/Vae: no weight/);
  });
});
