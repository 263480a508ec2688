// Latent models through the built `lego` binary, with the tiny fixtures (8x8x4 latents, a VAE of factor 2):
// generate --vae (PNGs, the grid, panoramas, --save-latents, the run record), convert --vae, vae decode /
// encode, and a latent dataset made, trained on and sampled from.
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeNpyFloat32 } from '../src/data/npy.js';
import { readPngHeader } from '../src/data/png.js';
import { runLego } from './helpers/lego-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'lego-latent-'));
const lego = (...args: string[]) => runLego(args, tmp);
const fixtures = fileURLToPath(new URL('./fixtures/latent/', import.meta.url));
const snapshot = join(fixtures, 'latent-snapshot-000010.pkl');
const vae = join(fixtures, 'sd-vae-tiny');

const pngSize = (file: string) => {
  const { width, height, channels } = readPngHeader(readFileSync(file), file);
  return [width, height, channels];
};
const npy = (file: string) => decodeNpyFloat32(readFileSync(file), file);
const pngs = (dir: string) => readdirSync(dir).filter((n) => /^\d{6}\.png$/.test(n)).sort();

describe('lego generate with a latent model', () => {
  it('without --vae is a one-line usage error saying the model needs its VAE', async () => {
    const { code, stderr } = await lego('generate', '--network', snapshot, '--seeds', '0', '--outdir', 'none');
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/is a latent model \(4-channel VAE latents, 8x8\): it needs its VAE to make images; give --vae PATH/);
    expect(existsSync(join(tmp, 'none'))).toBe(false);
  });

  it('--vae decodes to 16x16 PNGs and the grid; --save-latents keeps (4, 8, 8) float32 latents; run.json records the VAE', async () => {
    const { code, stdout } = await lego('generate', '--network', snapshot, '--vae', vae, '--seeds', '0-2', '--steps', '6', '--class', '3', '--cfg', '1.5',
      '--outdir', 'square', '--save-latents', '--json');
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({ images: 3, vae: join(vae, 'diffusion_pytorch_model.safetensors') });
    expect(summary.decode_s).toBeGreaterThan(0);
    const dir = join(tmp, 'square');
    expect(pngs(dir)).toEqual(['000000.png', '000001.png', '000002.png']);
    expect(pngSize(join(dir, '000001.png'))).toEqual([16, 16, 3]);
    expect(existsSync(join(dir, 'grid.png'))).toBe(true);
    expect(npy(join(dir, '000001.npy')).shape).toEqual([4, 8, 8]);
    const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    expect(run.vae.file).toBe(summary.vae);
    expect(run.vae.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(run.settings).toMatchObject({ '--width': '16', '--height': '16' });

    // The same run continues there.
    expect((await lego('generate', '--network', snapshot, '--vae', vae, '--seeds', '0-3', '--steps', '6', '--class', '3', '--cfg', '1.5', '--outdir', 'square')).stderr)
      .toContain('(3 already there)');
  });

  it('--width 32 --height 16 (image pixels) samples 16x8 latents into 32x16 PNGs, with --wrap, --shift-tiles and --coords extend', async () => {
    for (const extra of [['--wrap'], ['--shift-tiles', '--coords', 'extend']]) {
      const outdir = `wide${extra.length}`;
      const { code, stderr } = await lego('generate', '--network', snapshot, '--vae', vae, '--seeds', '0-1', '--steps', '4', '--width', '32', '--height', '16',
        '--save-latents', '--outdir', outdir, ...extra);
      expect(code, stderr).toBe(0);
      expect(pngSize(join(tmp, outdir, '000000.png'))).toEqual([32, 16, 3]);
      expect(npy(join(tmp, outdir, '000000.npy')).shape).toEqual([4, 8, 16]);
    }
    const odd = await lego('generate', '--network', snapshot, '--vae', vae, '--seeds', '0', '--width', '33', '--outdir', 'odd');
    expect(odd.code).toBe(2);
    expect(odd.stderr).toContain("--width: a latent model's images are 2x its latents; give a multiple of 2 pixels, got 33");
  });

  it('refuses --vae and --save-latents for a pixel model', async () => {
    const withVae = await lego('generate', '--vae', vae, '--seeds', '0', '--outdir', 'pixel');
    expect(withVae.code).toBe(2);
    expect(withVae.stderr).toMatch(/--vae: .*lego-mnist-32\.safetensors is a pixel model \(1-channel images\); --vae is for latent models/);
    expect((await lego('generate', '--save-latents', '--seeds', '0', '--outdir', 'pixel')).stderr).toMatch(/--save-latents: .* is a pixel model/);
  });
});

describe('lego convert --vae and lego vae', () => {
  it('convert --vae records the VAE (or --embed-vae embeds it), and generate then finds it: the same images as from the .pkl with --vae', async () => {
    const { code, stdout } = await lego('convert', snapshot, 'latent.safetensors', '--vae', vae);
    expect(code).toBe(0);
    expect(stdout).toContain('8x8x4, 10 classes');
    expect(stdout).toContain(`latent: lego generate decodes its samples with the VAE at ${vae}`);
    const converted = await lego('generate', '--network', 'latent.safetensors', '--seeds', '0-1', '--steps', '4', '--outdir', 'converted');
    expect(converted.code, converted.stderr).toBe(0);
    expect((await lego('generate', '--network', snapshot, '--vae', vae, '--seeds', '0-1', '--steps', '4', '--outdir', 'from-pkl')).code).toBe(0);
    for (const name of ['000000.png', '000001.png']) {
      expect(readFileSync(join(tmp, 'converted', name)).equals(readFileSync(join(tmp, 'from-pkl', name))), name).toBe(true);
    }
    // --embed-vae: the VAE travels inside the checkpoint; the same images again, with no other file.
    expect((await lego('convert', snapshot, 'embedded.safetensors', '--vae', vae, '--embed-vae')).code).toBe(0);
    const embedded = await lego('generate', '--network', 'embedded.safetensors', '--seeds', '0-1', '--steps', '4', '--outdir', 'embedded', '--json');
    expect(embedded.code, embedded.stderr).toBe(0);
    expect(JSON.parse(embedded.stdout).vae).toBe('embedded.safetensors');
    for (const name of ['000000.png', '000001.png']) {
      expect(readFileSync(join(tmp, 'embedded', name)).equals(readFileSync(join(tmp, 'from-pkl', name))), name).toBe(true);
    }
    expect((await lego('convert', snapshot, 'x.safetensors', '--embed-vae')).stderr).toContain('--embed-vae: needs --vae PATH');
    const pixelNet = await lego('convert', join(fixtures, '..', 'network-snapshot-000100.pkl'), 'pixel.safetensors', '--vae', vae);
    expect(pixelNet.code).toBe(2);
    expect(pixelNet.stderr).toContain('makes 4-channel latents but the network denoises 3 channels');
    expect(existsSync(join(tmp, 'pixel.safetensors'))).toBe(false);
  });

  it('vae decode turns saved latents into the PNGs generate wrote; vae encode writes (4, 8, 8) latents, the same for the same seed', async () => {
    expect((await lego('generate', '--network', snapshot, '--vae', vae, '--seeds', '0-1', '--steps', '4', '--save-latents', '--outdir', 'saved')).code).toBe(0);
    const decoded = await lego('vae', 'decode', 'saved', 'decoded', '--vae', vae);
    expect(decoded.code, decoded.stderr).toBe(0);
    expect(decoded.stderr).toContain('wrote 2 images to decoded');
    for (const name of ['000000.png', '000001.png']) expect(readFileSync(join(tmp, 'decoded', name)).equals(readFileSync(join(tmp, 'saved', name))), name).toBe(true);
    expect((await lego('vae', 'decode', 'saved/000001.npy', 'one.png', '--vae', vae)).code).toBe(0);
    expect(readFileSync(join(tmp, 'one.png')).equals(readFileSync(join(tmp, 'saved', '000001.png')))).toBe(true);

    expect((await lego('vae', 'encode', 'decoded', 'encoded', '--vae', vae, '--seed', '3')).code).toBe(0);
    expect((await lego('vae', 'encode', 'decoded', 'encoded-again', '--vae', vae, '--seed', '3')).code).toBe(0);
    const latents = npy(join(tmp, 'encoded', '000001.npy'));
    expect(latents.shape).toEqual([4, 8, 8]);
    expect(npy(join(tmp, 'encoded-again', '000001.npy'))).toEqual(latents);
    expect((await lego('vae', 'encode', 'decoded/000001.png', 'mean.npy', '--vae', vae, '--mean')).code).toBe(0);
    expect(npy(join(tmp, 'mean.npy')).data).not.toEqual(latents.data);
    const wrong = await lego('vae', 'decode', 'decoded/000001.png', 'x.png', '--vae', vae);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/000001\.png: not a \.npy array/);
  });
});

describe('latent datasets and training', () => {
  it("dataset --vae writes the authors' format: .npy (4, 8, 8) float32 members and dataset.json labels, reproducibly", async () => {
    for (const dest of ['mnist-sd.zip', 'mnist-sd-again.zip']) {
      const { code, stdout, stderr } = await lego('dataset', '--source', 'mnist', '--max-images', '6', '--resolution', '16', '--transform', 'pad', '--vae', vae, '--dest', dest);
      expect(code, stderr).toBe(0);
      expect(stdout).toMatch(/wrote mnist-sd.*\.zip: 6 latents 4x8x8 \(images 16x16\), \d+ class/);
    }
    expect(readFileSync(join(tmp, 'mnist-sd.zip')).equals(readFileSync(join(tmp, 'mnist-sd-again.zip')))).toBe(true);
    const odd = await lego('dataset', '--source', 'mnist', '--max-images', '2', '--resolution', '15', '--transform', 'pad', '--vae', vae, '--dest', 'odd.zip');
    expect(odd.code).toBe(2);
    expect(odd.stderr).toContain('--resolution: the VAE\'s latents are 1/2 of the image size; give a multiple of 2, got 15');
  });

  it("train runs on the authors' latents-authors.zip; its snapshot is latent and generates with --vae", async () => {
    const arch = join(tmp, 'arch.json');
    writeFileSync(arch, JSON.stringify({
      imgResolution: 8, imgChannels: 4, labelDim: 4, hiddenSize: 32,
      bricks: [{ resolution: 4, patchSize: 2, heads: 2, depth: 1 }, { resolution: 8, patchSize: 2, heads: 2, depth: 1 }],
    }));
    const trained = await lego('train', '--data', join(fixtures, 'latents-authors.zip'), '--arch', arch, '--cond', '--batch', '4', '--duration', '0.008', '--tick', '0.004', '--outdir', 'runs');
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stdout).toContain('on 4 latents of 8x8x4, 4 classes');
    const [run] = readdirSync(join(tmp, 'runs'));
    const withoutVae = await lego('generate', '--network', join('runs', run), '--seeds', '0', '--outdir', 'trained');
    expect(withoutVae.code).toBe(2);
    expect(withoutVae.stderr).toContain('it needs its VAE to make images');
    const generated = await lego('generate', '--network', join('runs', run), '--vae', vae, '--seeds', '0-1', '--steps', '4', '--outdir', 'trained');
    expect(generated.code, generated.stderr).toBe(0);
    expect(pngSize(join(tmp, 'trained', '000000.png'))).toEqual([16, 16, 3]);
  });
});
