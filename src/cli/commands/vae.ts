// `lego vae decode` / `lego vae encode`: a VAE (diffusers AutoencoderKL) on files, latents (.npy) to PNGs and
// images to latents, in a latent model's units (scaled by the VAE's scaling_factor, as the authors' tools).
import { Command } from 'commander';
import { decodeLatentFiles, encodeImageFiles } from '../../data/vae-files.js';
import { loadVae } from '../../io/vae-load.js';
import type { Vae } from '../../vae/vae.js';
import { parseIntFlag, parseThreads, threadsHelp } from '../args.js';
import { VAE_KINDS } from '../model-vae.js';

interface VaeFlags {
  vae: string;
  threads?: string;
}

/** Load --vae, run `use`, and free the VAE's graphs whatever happens. */
async function withVae<T>(flags: VaeFlags, use: (vae: Vae) => Promise<T>): Promise<T> {
  const vae = await loadVae(flags.vae, { threads: parseThreads(flags.threads) });
  try {
    return await use(vae);
  } finally {
    await vae.release();
  }
}

function report(what: string, files: string[], out: string): void {
  process.stderr.write(`wrote ${files.length} ${what}${files.length === 1 ? '' : 's'} to ${out}\n`);
}

function decodeCommand(): Command {
  return new Command('decode')
    .description('Decode latents (.npy, (C, h, w) or (N, C, h, w), scaled as a latent model makes them) to PNGs')
    .argument('<in>', 'a .npy file, or a folder of them (lego generate --save-latents writes 000123.npy)')
    .argument('<out>', 'a .png for one latent, else a folder (made if needed) of <name>.png')
    .requiredOption('--vae <path>', VAE_KINDS)
    .option('--threads <n>', threadsHelp)
    .addHelpText('after', `
As the authors' generate.py: vae.decode(latents / scaling_factor), then clip(x * 127.5 + 128, 0, 255).

Examples:
  lego vae decode out/000000.npy 000000.png --vae sd-vae-ft-ema/
  lego vae decode out/ decoded/ --vae v1-5-pruned-emaonly.safetensors`)
    .exitOverride()
    .action((input: string, out: string, flags: VaeFlags) =>
      withVae(flags, async (vae) => report('image', await decodeLatentFiles(vae, input, out), out)));
}

function encodeCommand(): Command {
  return new Command('encode')
    .description('Encode PNG / JPEG images to latents (.npy float32 (C, h, w)), scaled by the VAE\'s scaling_factor')
    .argument('<in>', 'an image, or a folder of them (sides multiples of the VAE\'s downscale factor, 8 for SD)')
    .argument('<out>', 'a .npy for one image, else a folder (made if needed) of <name>.npy')
    .requiredOption('--vae <path>', VAE_KINDS)
    .option('--seed <n>', 'seed of the posterior sample: the k-th image in sorted order draws its noise from stream k', '0')
    .option('--mean', 'the posterior mean instead of a sample')
    .option('--threads <n>', threadsHelp)
    .addHelpText('after', `
As the authors' latent dataset tool: image / 127.5 - 1, then (mean + std * noise) * scaling_factor, the
noise seeded so that the same files give the same latents; --mean leaves the noise out.

Examples:
  lego vae encode photo.png photo.npy --vae sd-vae-ft-ema/ --mean
  lego vae encode photos/ latents/ --vae sd-vae-ft-ema/ --seed 1`)
    .exitOverride()
    .action((input: string, out: string, flags: VaeFlags & { seed: string; mean?: boolean }) => {
      const draw = flags.mean ? { kind: 'mean' as const } : { kind: 'sample' as const, seed: parseIntFlag('--seed', flags.seed, { min: 0, max: 2 ** 32 - 1 }) };
      return withVae(flags, async (vae) => report('latent', await encodeImageFiles(vae, input, out, draw), out));
    });
}

export function vaeCommand(): Command {
  return new Command('vae')
    .description('Decode latents to images, or encode images to latents, with a VAE (diffusers AutoencoderKL)')
    .addCommand(decodeCommand())
    .addCommand(encodeCommand());
}
