// Which checkpoints are latent: the metadata decides where it speaks, else a recorded VAE or 4 channels.
import { describe, expect, it } from 'vitest';
import type { LegoConfig } from '../lego/config.js';
import { latentInfo, latentMetadata } from './latent-checkpoint.js';

const config = (imgChannels: number): LegoConfig => ({
  imgResolution: 8, imgChannels, labelDim: 0, hiddenSize: 32, mlpRatio: 4, sigmaData: 0.5,
  bricks: [{ resolution: 8, patchSize: 2, heads: 2, depth: 1 }],
});

describe('latentInfo', () => {
  it('takes 4 channels without metadata (the authors\' latent snapshots) as latent, 1 and 3 as pixels', () => {
    expect(latentInfo(config(4), {})).toEqual({ latent: true, vae: null, embedded: false });
    expect(latentInfo(config(3), {})).toEqual({ latent: false, vae: null, embedded: false });
    expect(latentInfo(config(1), {})).toEqual({ latent: false, vae: null, embedded: false });
  });

  it('follows the latent entry where there is one, and a recorded or embedded VAE', () => {
    expect(latentInfo(config(4), { latent: 'false' })).toEqual({ latent: false, vae: null, embedded: false });
    expect(latentInfo(config(3), { latent: 'true' })).toEqual({ latent: true, vae: null, embedded: false });
    expect(latentInfo(config(3), { vae: '../sd-vae' })).toEqual({ latent: true, vae: '../sd-vae', embedded: false });
    expect(latentInfo(config(3), { vae_config: '{}' })).toEqual({ latent: true, vae: null, embedded: true });
    expect(latentInfo(config(4), latentMetadata('sd-vae-ft-ema'))).toEqual({ latent: true, vae: 'sd-vae-ft-ema', embedded: false });
    expect(latentMetadata(null)).toEqual({ latent: 'true' });
  });
});
