// The run record: a latent model's VAE is part of what decides the images.
import { describe, expect, it } from 'vitest';
import { runDifferences, type SampleRun } from './sample-run.js';

const run = (vae?: SampleRun['vae']): SampleRun => ({ network: { file: 'net.pkl', sha256: 'a' }, ...(vae ? { vae } : {}), settings: { '--steps': '18' } });

describe('runDifferences with a VAE', () => {
  it('names a VAE added, removed, replaced or whose bytes changed; the same VAE is the same run', () => {
    const vae = { file: 'sd-vae/diffusion_pytorch_model.safetensors', sha256: 'b' };
    expect(runDifferences(run(vae), run(vae))).toEqual([]);
    expect(runDifferences(run(), run(vae))).toEqual([`--vae none vs ${vae.file}`]);
    expect(runDifferences(run(vae), run())).toEqual([`--vae ${vae.file} vs none`]);
    expect(runDifferences(run(vae), run({ file: 'other.safetensors', sha256: 'c' }))).toEqual([`--vae ${vae.file} vs other.safetensors`]);
    expect(runDifferences(run(vae), run({ ...vae, sha256: 'c' }))).toEqual([`--vae ${vae.file}, whose bytes changed`]);
  });
});
