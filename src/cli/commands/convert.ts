// `lego convert IN OUT.safetensors`: the authors' network-snapshot-*.pkl or training-state-*.pt as our
// self-describing safetensors, without Python and without running anything from the file.
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { InputError, UsageError } from '../../errors.js';
import { checkNewFile } from '../../files/destination.js';
import { encodeCheckpoint } from '../../io/checkpoint.js';
import { PRECISION_KEY } from '../../io/int8-checkpoint.js';
import { convertCheckpoint, loadAnyCheckpoint, type ConvertExtras } from '../../io/load-any.js';
import { writeFileAtomic } from '../../files/atomic-write.js';
import { int8Linears } from '../../lego/quantize.js';
import { parsePrecision } from '../args.js';
import { EMBEDDED_VAE_PREFIX, LATENT_KEY, latentMetadata, VAE_CONFIG_KEY, VAE_KEY } from '../../io/latent-checkpoint.js';
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
    .description("Convert the authors' .pkl / .pt checkpoints to lego-diffusion safetensors (no Python, nothing executed), or any network to 8 bits")
    .argument('<in>', 'network-snapshot-*.pkl (its ema network) or training-state-*.pt (its net and Adam state); with --precision int8 also a lego-diffusion .safetensors')
    .argument('<out>', 'the .safetensors file to write (atomically)')
    .option('--vae <path>', `a latent model's VAE, recorded (relative to <out>'s folder when inside it, else absolute) so that lego generate decodes with it: ${VAE_KINDS}`)
    .option('--embed-vae', 'with --vae: store the VAE\'s weights in <out> itself (under vae.<diffusers name>), so the checkpoint needs no other file')
    .option('--precision <p>', 'float32, or int8: store every block Linear (qkv, attention output, MLP) as 8-bit weights with one scale per output channel, as --precision int8 sampling uses them (a quarter of their float32 bytes)', 'float32')
    .option('--force', 'overwrite <out> if it exists')
    .option('--json', 'print one JSON object describing what was written')
    .addHelpText('after', `
A snapshot becomes a checkpoint: every parameter under its official state_dict name, the stack config
(read from the pickled modules, so custom stacks convert too) in the metadata. A training state becomes a
training-state file: net.<name>, adam.exp_avg.<name>, adam.exp_avg_sq.<name> and adam_step. The pickle is
read by an allow-list: anything but tensors, OrderedDict and module state is refused, never run. Tensors are
streamed, so converting the 5 GB LEGO-XL-U-256 needs far less memory than the file.

--precision int8 writes a network checkpoint (a training state's net) whose block Linears are int8 (NAME.q,
transposed) with float32 scales (NAME.scale), and says so in its metadata. lego generate, lego serve and the
web app read it: --precision int8 sampling gives the same images as from the float32 file it came from, and
float32 sampling runs on the weights the 8 bits stand for.

Examples:
  lego convert LEGO-L-PG-64.pkl LEGO-L-PG-64.safetensors
  lego convert runs/00000/training-state-000100.pt state-000100.safetensors --json
  lego convert LEGO-XL-U-256.pkl LEGO-XL-U-256.safetensors --vae sd-vae-ft-ema/
  lego convert LEGO-XL-U-256.pkl LEGO-XL-U-256-with-vae.safetensors --vae sd-vae-ft-ema/ --embed-vae
  lego convert models/lego-mnist-32.safetensors lego-mnist-32-int8.safetensors --precision int8
  lego inspect LEGO-L-PG-64.safetensors`)
    .action(async (input: string, out: string, opts: { json?: boolean; force?: boolean; vae?: string; embedVae?: boolean; precision: string }) => {
      if (opts.embedVae && opts.vae === undefined) throw new UsageError('--embed-vae: needs --vae PATH, the VAE to embed');
      const precision = parsePrecision(opts.precision);
      if (precision === 'int8' && opts.embedVae) throw new UsageError('--embed-vae: not with --precision int8 (the VAE is not quantised); record it with --vae instead');
      if (!out.endsWith('.safetensors')) throw new UsageError(`<out>: expected a path ending in .safetensors, got "${out}"`);
      if (resolve(input) === resolve(out)) throw new UsageError(`<out>: "${out}" is the input file; choose another path`);
      checkNewFile(out, !!opts.force);
      if (precision === 'int8') return convertToInt8(input, out, opts);
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

/** `--precision int8`: any network (ours or the authors') as an int8 checkpoint, written atomically. */
async function convertToInt8(input: string, out: string, opts: { json?: boolean; vae?: string }): Promise<void> {
  const { config, weights, metadata } = await loadAnyCheckpoint(input);
  if (metadata[PRECISION_KEY] === 'int8') throw new InputError(`${input}: already an int8 checkpoint`);
  if (metadata[VAE_CONFIG_KEY] !== undefined) {
    throw new InputError(`${input}: embeds its VAE; an int8 checkpoint records the VAE instead: convert with --vae PATH, the VAE's own file`);
  }
  const recorded = metadata[VAE_KEY];
  // A VAE path recorded relative to the input's folder is recorded again relative to <out>'s.
  const vaeRecord = opts.vae !== undefined ? vaeMetadata(opts.vae, config, out)
    : recorded ? { [VAE_KEY]: vaePathFrom(out, resolve(dirname(input), recorded)) } : {};
  const bytes = encodeCheckpoint(config, weights, { ...metadata, ...vaeRecord }, 'int8');
  await writeFileAtomic(out, bytes);
  const floatBytes = 4 * [...weights.values()].reduce((n, w) => n + w.length, 0);
  const int8Weights = int8Linears(config).length;
  if (opts.json) {
    console.log(JSON.stringify({ input, output: out, precision: 'int8', config, int8_weights: int8Weights, bytes: bytes.length, float32_bytes: floatBytes }));
    return;
  }
  console.log(`${input} -> ${out}: int8 checkpoint, ${int8Weights} block Linears in 8 bits, ${formatBytes(bytes.length)} (float32 weights: ${formatBytes(floatBytes)})`);
  console.log(`  ${describeConfig(config)}`);
  if (opts.vae !== undefined) console.log(`  latent: lego generate decodes its samples with the VAE at ${opts.vae}`);
}

/** The metadata recording a latent model's VAE: checked to load and to match the model's channels. */
function vaeMetadata(vae: string, config: LegoConfig, out: string): Record<string, string> {
  const report = inspectVae(vae);
  if (report === null) throw new InputError(`--vae: ${vae} holds no VAE tensors; expected ${VAE_KINDS}`);
  checkChannels(vae, report.config.latentChannels, config);
  return latentMetadata(vaePathFrom(out, vae));
}

/** The path of a VAE as `out` records it: relative inside <out>'s folder, so that the two move together; absolute elsewhere. */
function vaePathFrom(out: string, vae: string): string {
  const inside = relative(dirname(resolve(out)), resolve(vae));
  return inside === '' ? '.' : inside.startsWith('..') || isAbsolute(inside) ? resolve(vae) : inside;
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
