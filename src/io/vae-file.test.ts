// A VAE as one safetensors file (what lego serve hands the page) and inside a checkpoint (--embed-vae).
import { describe, expect, it } from 'vitest';
import { vaeConfigFromDiffusers } from '../vae/config.js';
import { randomVaeWeights } from '../vae/weights.js';
import { decodeVaeFile, encodeVaeFile, vaeFromTensors } from './vae-file.js';
import { parseSafetensors, serializeSafetensors, toFloat32 } from './safetensors.js';

const config = vaeConfigFromDiffusers({ block_out_channels: [8, 16], layers_per_block: 1, norm_num_groups: 4, scaling_factor: 0.5 }, 'test');

describe('VAE files', () => {
  it('round-trips the config and every weight', () => {
    const weights = randomVaeWeights(config, 3);
    const back = decodeVaeFile(encodeVaeFile(config, weights), 'vae.safetensors');
    expect(back.config).toEqual(config);
    expect(back.weights).toEqual(weights);
  });

  it('reads a prefixed VAE among other tensors, and names a file without one', () => {
    const { metadata, tensors } = parseSafetensors(encodeVaeFile(config, randomVaeWeights(config, 4)), 'vae');
    const entries = [...tensors].map(([name, t]): [string, { dtype: 'F32'; shape: number[]; data: Float32Array }] => [`vae.${name}`, { dtype: 'F32', shape: t.shape, data: toFloat32(t, name) }]);
    const other: [string, { dtype: 'F32'; shape: number[]; data: Float32Array }] = ['model.x_embedder.proj.weight', { dtype: 'F32', shape: [2], data: new Float32Array(2) }];
    const file = parseSafetensors(serializeSafetensors([other, ...entries], metadata), 'net.safetensors');
    const stored = new Map([...file.tensors].map(([name, t]) => [name, { shape: t.shape, read: () => toFloat32(t, name) }]));
    expect(vaeFromTensors(file.metadata, stored, 'net.safetensors', 'vae.').config).toEqual(config);
    expect(() => vaeFromTensors({}, stored, 'net.safetensors', 'vae.')).toThrow('net.safetensors: no vae_config in the safetensors metadata; no VAE in this file');
    expect(() => vaeFromTensors(file.metadata, stored, 'net.safetensors')).toThrow(/^net\.safetensors: no tensor encoder\.conv_in\.weight/);
  });
});
