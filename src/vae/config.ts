// The configuration of a Stable Diffusion VAE (diffusers `AutoencoderKL` with DownEncoderBlock2D /
// UpDecoderBlock2D blocks): the fields of its config.json we use, validated, and SD's own values.
import { InputError } from '../errors.js';

/** An AutoencoderKL, in the terms of its diffusers config.json (camelCase here). */
export interface VaeConfig {
  /** Image channels in (`in_channels`, 3). */
  inChannels: number;
  /** Image channels out (`out_channels`, 3). */
  outChannels: number;
  /** Latent channels (`latent_channels`, 4). */
  latentChannels: number;
  /** Channels of each resolution level, finest first (`block_out_channels`); each level past the first halves H and W. */
  blockOutChannels: number[];
  /** Resnets per encoder block (`layers_per_block`); decoder blocks have one more. */
  layersPerBlock: number;
  /** GroupNorm groups (`norm_num_groups`); divides every channel count. */
  normNumGroups: number;
  /** Latents are multiplied by this after encoding and divided by it before decoding (`scaling_factor`). */
  scalingFactor: number;
  /** The 1x1 conv after the encoder (`use_quant_conv`, default true). */
  useQuantConv: boolean;
  /** The 1x1 conv before the decoder (`use_post_quant_conv`, default true). */
  usePostQuantConv: boolean;
  /** Self-attention in both mid blocks (`mid_block_add_attention`, default true). */
  midBlockAddAttention: boolean;
}

/** Stable Diffusion 1.x / 2.x's VAE (`stabilityai/sd-vae-ft-ema`, the VAE of every SD checkpoint). */
export const SD_VAE_CONFIG: VaeConfig = {
  inChannels: 3,
  outChannels: 3,
  latentChannels: 4,
  blockOutChannels: [128, 256, 512, 512],
  layersPerBlock: 2,
  normNumGroups: 32,
  scalingFactor: 0.18215,
  useQuantConv: true,
  usePostQuantConv: true,
  midBlockAddAttention: true,
};

/** H and W of an image are this many times those of its latents. */
export const downscaleFactor = (cfg: VaeConfig) => 2 ** (cfg.blockOutChannels.length - 1);

const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/**
 * A VaeConfig from a diffusers config.json object: missing fields take diffusers' defaults, fields of
 * other architectures (block types other than the SD VAE's, an activation other than SiLU) are refused.
 * Throws InputError naming `source` and the field.
 */
export function vaeConfigFromDiffusers(json: unknown, source: string): VaeConfig {
  const fail = (message: string): never => {
    throw new InputError(`${source}: ${message}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('the VAE config is not a JSON object');
  const j = json as Record<string, unknown>;
  if (j._class_name !== undefined && j._class_name !== 'AutoencoderKL') fail(`_class_name is ${JSON.stringify(j._class_name)}; expected "AutoencoderKL"`);
  const int = (key: string, fallback: number) => {
    const v = j[key] ?? fallback;
    return isPosInt(v) ? v : fail(`${key} must be a positive integer, got ${JSON.stringify(v)}`);
  };
  const bool = (key: string) => {
    const v = j[key] ?? true;
    return typeof v === 'boolean' ? v : fail(`${key} must be true or false, got ${JSON.stringify(v)}`);
  };
  const channels = j.block_out_channels ?? [64];
  if (!Array.isArray(channels) || channels.length === 0 || !channels.every(isPosInt)) {
    fail(`block_out_channels must be a non-empty list of positive integers, got ${JSON.stringify(channels)}`);
  }
  const levels = (channels as number[]).length;
  for (const [key, type] of [['down_block_types', 'DownEncoderBlock2D'], ['up_block_types', 'UpDecoderBlock2D']] as const) {
    const types = j[key] ?? Array<string>(levels).fill(type);
    if (!Array.isArray(types) || types.length !== levels || types.some((t) => t !== type)) {
      fail(`${key} must be ${levels} x "${type}" (one per block_out_channels entry), got ${JSON.stringify(types)}`);
    }
  }
  if ((j.act_fn ?? 'silu') !== 'silu') fail(`act_fn ${JSON.stringify(j.act_fn)} is not supported (silu is)`);
  const scalingFactor = j.scaling_factor ?? SD_VAE_CONFIG.scalingFactor;
  if (typeof scalingFactor !== 'number' || !(scalingFactor > 0)) fail(`scaling_factor must be a positive number, got ${JSON.stringify(scalingFactor)}`);
  const cfg: VaeConfig = {
    inChannels: int('in_channels', 3),
    outChannels: int('out_channels', 3),
    latentChannels: int('latent_channels', 4),
    blockOutChannels: [...(channels as number[])],
    layersPerBlock: int('layers_per_block', 1),
    normNumGroups: int('norm_num_groups', 32),
    scalingFactor: scalingFactor as number,
    useQuantConv: bool('use_quant_conv'),
    usePostQuantConv: bool('use_post_quant_conv'),
    midBlockAddAttention: bool('mid_block_add_attention'),
  };
  for (const c of cfg.blockOutChannels) {
    if (c % cfg.normNumGroups !== 0) fail(`norm_num_groups ${cfg.normNumGroups} does not divide block_out_channels entry ${c}`);
  }
  return cfg;
}

/** The config as diffusers' config.json writes it (the fields of VaeConfig and the block types). */
export function vaeConfigToDiffusers(cfg: VaeConfig): Record<string, unknown> {
  const levels = cfg.blockOutChannels.length;
  return {
    _class_name: 'AutoencoderKL',
    in_channels: cfg.inChannels,
    out_channels: cfg.outChannels,
    latent_channels: cfg.latentChannels,
    block_out_channels: [...cfg.blockOutChannels],
    down_block_types: Array<string>(levels).fill('DownEncoderBlock2D'),
    up_block_types: Array<string>(levels).fill('UpDecoderBlock2D'),
    layers_per_block: cfg.layersPerBlock,
    norm_num_groups: cfg.normNumGroups,
    act_fn: 'silu',
    scaling_factor: cfg.scalingFactor,
    use_quant_conv: cfg.useQuantConv,
    use_post_quant_conv: cfg.usePostQuantConv,
    mid_block_add_attention: cfg.midBlockAddAttention,
  };
}
