// The whole latent pipeline against the authors' generate.py (test/fixtures/latent/README.md): a latent LEGO-U
// snapshot pickled as they pickle it, sampled by our EDM Heun sampler from fixed initial noise, the latents
// decoded by the diffusers VAE folder beside it, and the images made 8-bit as they make them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { guidedDenoise } from '../src/diffusion/guidance.js';
import { edmSample } from '../src/diffusion/sampler.js';
import { loadAnyCheckpoint } from '../src/io/load-any.js';
import { parseSafetensors, toFloat32 } from '../src/io/safetensors.js';
import { LegoRunner } from '../src/lego/runner.js';
import { loadVae } from '../src/io/vae-load.js';
import type { Vae } from '../src/vae/vae.js';

const fixtures = fileURLToPath(new URL('./fixtures/latent/', import.meta.url));
const expectedFile = `${fixtures}latent-pipeline.expected.safetensors`;
const expected = parseSafetensors(new Uint8Array(readFileSync(expectedFile)), expectedFile);

function tensor(name: string): { data: Float32Array; shape: number[] } {
  const t = expected.tensors.get(name);
  if (!t) throw new Error(`${expectedFile}: no ${name}`);
  // images_uint8 is stored as int64: toFloat32 reads its small integers exactly.
  return { data: toFloat32(t, name), shape: [...t.shape] };
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
};

describe("the latent pipeline against the authors' generate.py", () => {
  let runner: LegoRunner | undefined;
  let vae: Vae | undefined;
  afterAll(async () => {
    await runner?.release();
    await vae?.release();
  });

  it('samples output.x_latent (1e-3), decodes output.decoded (2e-4) and output.images_uint8 (within 1)', async () => {
    const checkpoint = await loadAnyCheckpoint(`${fixtures}latent-snapshot-000010.pkl`);
    expect(checkpoint.config).toMatchObject({ imgChannels: 4, imgResolution: 8, labelDim: 10 });
    expect(checkpoint.config.bricks.map((b) => b.resolution)).toEqual([4, 8, 4]);
    runner = new LegoRunner(checkpoint.config, checkpoint.weights, { threads: 2 });

    const noise = tensor('input.latents');
    const labels = tensor('input.class_labels');
    expect(noise.shape).toEqual([2, 4, 8, 8]);
    expect(JSON.parse(expected.metadata.classes)).toEqual([3, 7]);
    const steps = Number(expected.metadata.steps);
    const x = await edmSample(
      (xIn, sigma, { stopAfter }) => guidedDenoise(runner!, xIn, noise.shape, [sigma, sigma], { labels: labels.data, stopAfter }),
      noise.data,
      { steps, sigmaMin: Number(expected.metadata.sigma_min), sigmaMax: Number(expected.metadata.sigma_max), rho: Number(expected.metadata.rho) },
    );
    const xLatent = Float32Array.from(x);
    expect(maxAbsDiff(xLatent, tensor('output.x_latent').data)).toBeLessThanOrEqual(1e-3);

    vae = await loadVae(`${fixtures}sd-vae-tiny`, { threads: 2 });
    const decoded = await vae.decode(xLatent, noise.shape);
    const wantDecoded = tensor('output.decoded');
    expect(wantDecoded.shape).toEqual([2, 3, 16, 16]);
    // Our latents differ from theirs by ~1e-5: the decode stays within the VAE reference tolerance.
    expect(maxAbsDiff(decoded, wantDecoded.data)).toBeLessThanOrEqual(2e-4);
    expect(maxAbsDiff(vae.toUint8(decoded), tensor('output.images_uint8').data)).toBeLessThanOrEqual(1);
  });
});
