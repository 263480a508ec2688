// The diffusers config.json of an AutoencoderKL read as a VaeConfig: the fixture's, defaults, refusals.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { downscaleFactor, SD_VAE_CONFIG, vaeConfigFromDiffusers, vaeConfigToDiffusers } from './config.js';

const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/latent/sd-vae-tiny/config.json', import.meta.url), 'utf8'));

describe('vaeConfigFromDiffusers', () => {
  it('reads the config.json that save_pretrained writes', () => {
    expect(vaeConfigFromDiffusers(fixture, 'config.json')).toEqual({
      inChannels: 3, outChannels: 3, latentChannels: 4, blockOutChannels: [32, 64], layersPerBlock: 1, normNumGroups: 8,
      scalingFactor: 0.18215, useQuantConv: true, usePostQuantConv: true, midBlockAddAttention: true,
    });
  });

  it('gives SD its own config through the round trip, and a downscale factor of 8', () => {
    expect(vaeConfigFromDiffusers(vaeConfigToDiffusers(SD_VAE_CONFIG), 'sd')).toEqual(SD_VAE_CONFIG);
    expect(downscaleFactor(SD_VAE_CONFIG)).toBe(8);
  });

  it('takes diffusers defaults for missing fields', () => {
    const cfg = vaeConfigFromDiffusers({ block_out_channels: [64, 128] }, 'c.json');
    expect(cfg).toMatchObject({ layersPerBlock: 1, normNumGroups: 32, latentChannels: 4, scalingFactor: 0.18215, useQuantConv: true });
  });

  it('refuses other architectures and inconsistent values, naming the file and field', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ ...fixture, up_block_types: ['UpDecoderBlock2D', 'AttnUpDecoderBlock2D'] }, /c\.json: up_block_types must be 2 x "UpDecoderBlock2D"/],
      [{ ...fixture, act_fn: 'gelu' }, /act_fn "gelu" is not supported/],
      [{ ...fixture, norm_num_groups: 5 }, /norm_num_groups 5 does not divide block_out_channels entry 32/],
      [{ ...fixture, _class_name: 'UNet2DConditionModel' }, /expected "AutoencoderKL"/],
      [{ ...fixture, layers_per_block: 0 }, /layers_per_block must be a positive integer/],
    ];
    for (const [json, message] of bad) {
      expect(() => vaeConfigFromDiffusers(json, 'c.json')).toThrow(InputError);
      expect(() => vaeConfigFromDiffusers(json, 'c.json')).toThrow(message);
    }
  });
});
