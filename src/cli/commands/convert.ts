// `lego convert IN OUT.safetensors`: the authors' network-snapshot-*.pkl or training-state-*.pt as our
// self-describing safetensors, without Python and without running anything from the file.
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { InputError, UsageError } from '../../errors.js';
import { checkNewFile } from '../../files/destination.js';
import { convertCheckpoint, type ConvertExtras } from '../../io/load-any.js';
import { EMBEDDED_VAE_PREFIX, LATENT_KEY, latentMetadata, VAE_CONFIG_KEY } from '../../io/latent-checkpoint.js';
import type { TorchLego } from '../../io/lego-from-torch.js';
import { formatBytes } from '../../io/safetensors.js';
import type { LegoConfig } from '../../lego/config.js';
import { vaeParamSpecs } from '../../vae/autoencoder.js';
import { vaeConfigToDiffusers } from '../../vae/config.js';
import { inspectVae, readVae } from '../../io/vae-load.js';
import { VAE_KINDS } from '../model-vae.js';
import { describeConfig } from './inspect.js';

export function convertCommand(): Command {
  return new Command('convert')
    .description("Convert the authors' .pkl / .pt checkpoints to lego-diffusion safetensors (no Python, nothing executed)")
    .argument('<in>', 'network-snapshot-*.pkl (its ema network) or training-state-*.pt (its net and Adam state)')
    .argument('<out>', 'the .safetensors file to write (atomically)')
    .option('--vae <path>', `a latent model's VAE, recorded (relative to <out>'s folder when inside it, else absolute) so that lego generate decodes with it: ${VAE_KINDS}`)
    .option('--embed-vae', 'with --vae: store the VAE\'s weights in <out> itself (under vae.<diffusers name>), so the checkpoint needs no other file')
    .option('--force', 'overwrite <out> if it exists')
    .option('--json', 'print one JSON object describing what was written')
    .addHelpText('after', `
A snapshot becomes a checkpoint: every parameter under its official state_dict name, the stack config
(read from the pickled modules, so custom stacks convert too) in the metadata. A training state becomes a
training-state file: net.<name>, adam.exp_avg.<name>, adam.exp_avg_sq.<name> and adam_step. The pickle is
read by an allow-list: anything but tensors, OrderedDict and module state is refused, never run. Tensors are
streamed, so converting the 5 GB LEGO-XL-U-256 needs far less memory than the file.

Examples:
  lego convert LEGO-L-PG-64.pkl LEGO-L-PG-64.safetensors
  lego convert runs/00000/training-state-000100.pt state-000100.safetensors --json
  lego convert LEGO-XL-U-256.pkl LEGO-XL-U-256.safetensors --vae sd-vae-ft-ema/
  lego convert LEGO-XL-U-256.pkl LEGO-XL-U-256-with-vae.safetensors --vae sd-vae-ft-ema/ --embed-vae
  lego inspect LEGO-L-PG-64.safetensors`)
    .action(async (input: string, out: string, opts: { json?: boolean; force?: boolean; vae?: string; embedVae?: boolean }) => {
      if (opts.embedVae && opts.vae === undefined) throw new UsageError('--embed-vae: needs --vae PATH, the VAE to embed');
      if (!out.endsWith('.safetensors')) throw new UsageError(`<out>: expected a path ending in .safetensors, got "${out}"`);
      if (resolve(input) === resolve(out)) throw new UsageError(`<out>: "${out}" is the input file; choose another path`);
      checkNewFile(out, !!opts.force);
      const { vae, embedVae } = opts;
      const { checkpoint, tensors, bytes } = await convertCheckpoint(input, out, (lego) => {
        if (vae === undefined) return {};
        return embedVae ? embeddedVae(vae, lego) : { metadata: vaeMetadata(vae, lego.config, out) };
      });
      const { lego, container, extra } = checkpoint;
      if (opts.json) {
        console.log(JSON.stringify({ input, output: out, container, entry: lego.entry, class: lego.className, config: lego.config, tensors, bytes, metadata: extra }));
        return;
      }
      for (const name of lego.dropped) process.stderr.write(`lego convert: warning: left out ${name} (EDMPrecondLEGO never uses augmentation labels)\n`);
      const what = lego.adam ? `training state (weights and Adam moments at step ${lego.adam.step})` : 'checkpoint';
      console.log(`${input} (${container === 'zip' ? 'torch.save ZIP' : container === 'legacy' ? 'legacy torch.save' : 'pickle'}, ${lego.entry || 'root'}: ${lego.className})`);
      console.log(`  -> ${out}: ${what}, ${tensors} tensors, ${formatBytes(bytes)}`);
      console.log(`  ${describeConfig(lego.config)}`);
      if (vae !== undefined) console.log(`  latent: lego generate decodes its samples with the VAE ${embedVae ? 'embedded from' : 'at'} ${vae}`);
    });
}

/** The metadata recording a latent model's VAE: checked to load and to match the model's channels. */
function vaeMetadata(vae: string, config: LegoConfig, out: string): Record<string, string> {
  const report = inspectVae(vae);
  if (report === null) throw new InputError(`--vae: ${vae} holds no VAE tensors; expected ${VAE_KINDS}`);
  checkChannels(vae, report.config.latentChannels, config);
  // Relative inside <out>'s folder, so that the two move together; absolute elsewhere.
  const inside = relative(dirname(resolve(out)), resolve(vae));
  return latentMetadata(inside === '' ? '.' : inside.startsWith('..') || isAbsolute(inside) ? resolve(vae) : inside);
}

/** The VAE's weights as tensors of the checkpoint, with its config; a network snapshot only. */
function embeddedVae(vae: string, lego: TorchLego): ConvertExtras {
  if (lego.adam) throw new UsageError('--embed-vae: the input is a training state; embed the VAE when converting a network snapshot');
  const source = readVae(vae);
  checkChannels(vae, source.config.latentChannels, lego.config);
  return {
    metadata: { [LATENT_KEY]: 'true', [VAE_CONFIG_KEY]: JSON.stringify(vaeConfigToDiffusers(source.config)) },
    tensors: vaeParamSpecs(source.config).map(({ name, shape }) => {
      const data = source.weights.get(name)!; // readVae checked every parameter
      return [`${EMBEDDED_VAE_PREFIX}${name}`, { dtype: 'F32', shape, bytes: () => new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }];
    }),
  };
}

function checkChannels(vae: string, latentChannels: number, config: LegoConfig): void {
  if (latentChannels !== config.imgChannels) {
    throw new UsageError(`--vae: ${vae} makes ${latentChannels}-channel latents but the network denoises ${config.imgChannels} channels`);
  }
}
