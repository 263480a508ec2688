// `lego inspect FILE`: what a checkpoint holds (config, tensor table, sizes, training progress) for our
// safetensors (header only) and the authors' .pkl / .pt (pickle only); tensors are never loaded.
import { Command } from 'commander';
import type { LegoConfig } from '../../lego/config.js';
import { inspectCheckpoint, type CheckpointReport } from '../../io/inspect.js';
import { formatBytes } from '../../io/safetensors.js';
import { inspectVae, type VaeReport } from '../../io/vae-load.js';

const KINDS: Record<CheckpointReport['kind'], string> = {
  checkpoint: 'lego-diffusion checkpoint',
  'training-state': 'lego-diffusion training state',
  'network-snapshot': "the authors' network snapshot (EDM pickle; the ema network is shown)",
  'torch-training-state': "the authors' training state (torch.save; the net is shown)",
  'torch-network': 'a pickled LEGO network',
  safetensors: 'safetensors without a lego-diffusion config',
};

/** One line: canvas, classes, hidden size and the bricks. */
export function describeConfig(c: LegoConfig): string {
  const bricks = c.bricks.map((b) => `${b.resolution}/${b.patchSize}/${b.heads}/${b.depth}`).join(' ');
  const classes = c.labelDim > 0 ? `${c.labelDim} classes` : 'unconditional';
  return `${c.imgResolution}x${c.imgResolution}x${c.imgChannels}, ${classes}, hidden ${c.hiddenSize}, mlp ratio ${c.mlpRatio}, sigma_data ${c.sigmaData}; bricks (tile/patch/heads/depth): ${bricks}`;
}

const VAE_NAMING: Record<VaeReport['naming'], string> = {
  diffusers: 'diffusers names',
  'diffusers-old-attention': 'diffusers names (pre-0.15 attention names)',
  compvis: 'CompVis names',
  'sd-checkpoint': "the first_stage_model of a Stable Diffusion checkpoint (CompVis names)",
};

/** The lines shown for a VAE: what it is, its config, its size. */
export function describeVae(r: VaeReport): string[] {
  const c = r.config;
  return [
    `${r.weightsFile}: a VAE (diffusers AutoencoderKL), ${VAE_NAMING[r.naming]}; config from ${r.configFrom === 'sd-default' ? "Stable Diffusion's defaults" : r.configFrom}`,
    `config: block_out_channels [${c.blockOutChannels.join(', ')}], layers_per_block ${c.layersPerBlock}, norm_num_groups ${c.normNumGroups}, latent_channels ${c.latentChannels}, in/out channels ${c.inChannels}/${c.outChannels}, scaling_factor ${c.scalingFactor}`,
    `size: ${r.parameters.toLocaleString('en-US')} parameters, ${(r.float32Bytes / 1e6).toFixed(1)} MB as float32`,
  ];
}

export function inspectCommand(): Command {
  return new Command('inspect')
    .description('Show the config, tensor table, sizes and training progress of any checkpoint (.safetensors, .pkl, .pt)')
    .argument('<file>', 'a lego-diffusion .safetensors, an authors\' network-snapshot-*.pkl / training-state-*.pt, or a VAE (diffusers folder, .safetensors, SD .ckpt)')
    .option('--json', 'print one JSON object instead of text')
    .addHelpText('after', `
Nothing heavy is read: only the header of a safetensors file and only the pickle of a .pkl / .pt.

Examples:
  lego inspect LEGO-L-PG-64.pkl
  lego inspect runs/00000/network-snapshot-000100.safetensors
  lego inspect training-state-000100.pt --json
  lego inspect sd-vae-ft-ema/   (a VAE: its config and size)`)
    .action(async (file: string, opts: { json?: boolean }) => {
      const vae = inspectVae(file);
      if (vae) {
        console.log(opts.json ? JSON.stringify(vae) : describeVae(vae).join('\n'));
        return;
      }
      const r = await inspectCheckpoint(file);
      if (opts.json) {
        console.log(JSON.stringify(r));
        return;
      }
      console.log(`${file}: ${formatBytes(r.sizeBytes)}, ${KINDS[r.kind]}`);
      if (r.config) console.log(`config: ${describeConfig(r.config)}`);
      const progress = Object.entries(r.progress).map(([k, v]) => `${k} ${v}`).join(', ');
      if (progress) console.log(`progress: ${progress}`);
      for (const [k, v] of Object.entries(r.other)) console.log(`${k}: ${v.length > 100 ? `${v.slice(0, 100)}...` : v}`);
      const bytes = r.tensors.reduce((n, t) => n + t.bytes, 0);
      console.log(`tensors: ${r.tensors.length}, ${r.elements.toLocaleString('en-US')} elements, ${formatBytes(bytes)}`);
      const width = Math.max(...r.tensors.map((t) => t.name.length), 4);
      for (const t of r.tensors) console.log(`  ${t.name.padEnd(width)}  ${t.dtype.padEnd(4)}  ${`[${t.shape.join(', ')}]`.padEnd(18)}  ${formatBytes(t.bytes)}`);
    });
}
