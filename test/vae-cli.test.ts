// The VAE through the built `lego` binary: verify-reference on diffusers' outputs, inspect of a VAE folder,
// and bench --vae (at a tiny resolution, so the SD config's graphs compile and run quickly).
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lego } from './helpers/lego-cli.js';

const reference = fileURLToPath(new URL('./reference/vae/vae_tiny.safetensors', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures/latent/', import.meta.url));

describe('lego with a VAE', () => {
  it('verify-reference checks every output of the VAE reference file, each line with its rule', async () => {
    const { code, stdout } = await lego('verify-reference', reference);
    expect(code).toBe(0);
    for (const name of ['output.decoded', 'output.decoded_wide', 'output.posterior_mean', 'output.posterior_std']) {
      expect(stdout).toMatch(new RegExp(`^ok +.*${name.replace('.', '\\.')} +max abs err .*\\(tol abs 2e-4\\)$`, 'm'));
    }
    expect(stdout).toMatch(/^ok +.*output\.latents_scaled +max abs err .*\(tol abs 1e-4\)$/m);
    expect(stdout).toMatch(/^ok +.*output\.images_uint8 +max abs err/m);
  });

  it('inspect shows a VAE folder\'s config and size; a CompVis file without its config is a one-line error', async () => {
    const text = await lego('inspect', `${fixtures}sd-vae-tiny`);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('a VAE (diffusers AutoencoderKL), diffusers names');
    expect(text.stdout).toContain('block_out_channels [32, 64], layers_per_block 1, norm_num_groups 8');
    expect(text.stdout).toContain('658,375 parameters, 2.6 MB as float32');
    const json = JSON.parse((await lego('inspect', `${fixtures}sd-vae-tiny`, '--json')).stdout);
    expect(json).toMatchObject({ naming: 'diffusers', parameters: 658375, config: { normNumGroups: 8 } });
    const compvis = await lego('inspect', `${fixtures}sd-vae-tiny-compvis.safetensors`);
    expect(compvis.code).toBe(1);
    expect(compvis.stderr.trim().split('\n')).toHaveLength(1);
    expect(compvis.stderr).toMatch(/config was assumed: put the VAE's config\.json beside the file/);
  });

  it('bench --vae sd --json reports decode and encode times, GFLOP and memory', async () => {
    const { code, stdout } = await lego('bench', '--vae', 'sd', '--resolution', '16', '--repeat', '1', '--json');
    expect(code).toBe(0);
    const r = JSON.parse(stdout);
    expect(r).toMatchObject({ vae: 'sd', resolution: 16, latent_shape: [1, 4, 2, 2] });
    for (const k of ['decode_s', 'encode_s', 'gflop_per_decode', 'gflop_per_encode', 'decode_gflops', 'peak_rss_mb']) expect(r[k], k).toBeGreaterThan(0);
    // 622 GFLOP at 256x256 scales with the pixels: 16x16 is 1/256 of it, plus the mid-block attention.
    expect(r.gflop_per_decode).toBeGreaterThan(2);
    expect(r.gflop_per_decode).toBeLessThan(3);
  });

  it('bench --vae refuses other names and resolutions that are no multiple of 8', async () => {
    expect((await lego('bench', '--vae', 'xl')).stderr).toMatch(/--vae: expected sd/);
    expect((await lego('bench', '--vae', 'sd', '--resolution', '100')).stderr).toMatch(/--resolution: the VAE needs a multiple of 8, got 100/);
  });
});
