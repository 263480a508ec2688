// diffusers' AutoencoderKL as graphs (models/autoencoders/vae.py Encoder/Decoder, autoencoder_kl.py): the
// encoder to the posterior's mean and std, the decoder from latents to images, and its parameter table.
import { countFlops } from '../graph/flops.js';
import { div, exp, Graph, greater, mul, slice, where, type Value } from '../graph/ops.js';
import { Params, type ParamSpec } from '../nn/params.js';
import { conv, downsample, midBlock, normActConv, resnetBlock, upsampleBlock } from './blocks.js';
import { downscaleFactor, type VaeConfig } from './config.js';

/** DiagonalGaussianDistribution clamps the log-variance to this range. */
const LOGVAR_MIN = -30;
const LOGVAR_MAX = 20;

/**
 * Encoder + quant_conv + DiagonalGaussianDistribution: images (N, in, H, W) in [-1, 1], H and W multiples of
 * f = 2^(levels - 1) -> the posterior's mean and std, each (N, latent, H/f, W/f). Parameters under `p` are
 * diffusers' names (`encoder.*`, `quant_conv.*`).
 */
export function encode(p: Params, cfg: VaeConfig, images: Value): { mean: Value; std: Value } {
  const { blockOutChannels: ch, normNumGroups: groups, layersPerBlock } = cfg;
  const e = p.at('encoder');
  let h = conv(e.at('conv_in'), images, cfg.inChannels, ch[0], 3, { pad: 1 });
  let c = ch[0];
  ch.forEach((out, i) => {
    const block = e.at(`down_blocks.${i}`);
    for (let j = 0; j < layersPerBlock; j++) {
      h = resnetBlock(block.at(`resnets.${j}`), h, c, out, groups);
      c = out;
    }
    if (i < ch.length - 1) h = downsample(block.at('downsamplers.0'), h, c);
  });
  h = midBlock(e.at('mid_block'), h, c, groups, cfg.midBlockAddAttention);
  const z2 = 2 * cfg.latentChannels;
  let moments = normActConv(e, h, c, z2, groups); // (N, 2 latent, h, w): mean then log-variance
  if (cfg.useQuantConv) moments = conv(p.at('quant_conv'), moments, z2, z2, 1);
  const mean = slice(moments, 1, 0, cfg.latentChannels);
  const raw = slice(moments, 1, cfg.latentChannels, z2);
  const logvar = where(greater(raw, LOGVAR_MAX), LOGVAR_MAX, where(greater(LOGVAR_MIN, raw), LOGVAR_MIN, raw));
  return { mean, std: exp(mul(logvar, 0.5)) };
}

/**
 * Latents as the diffusion model makes them (scaled by scaling_factor) -> images: post_quant_conv(z /
 * scaling_factor) through the decoder. z (N, latent, h, w) -> (N, out, f h, f w), f = 2^(levels - 1).
 * Parameters under `p` are diffusers' names (`decoder.*`, `post_quant_conv.*`).
 */
export function decode(p: Params, cfg: VaeConfig, latents: Value): Value {
  const { blockOutChannels: ch, normNumGroups: groups, layersPerBlock } = cfg;
  const d = p.at('decoder');
  const lc = cfg.latentChannels;
  let z = div(latents, cfg.scalingFactor);
  if (cfg.usePostQuantConv) z = conv(p.at('post_quant_conv'), z, lc, lc, 1);
  const reversed = [...ch].reverse();
  let c = reversed[0];
  let h = conv(d.at('conv_in'), z, lc, c, 3, { pad: 1 });
  h = midBlock(d.at('mid_block'), h, c, groups, cfg.midBlockAddAttention);
  reversed.forEach((out, i) => {
    const block = d.at(`up_blocks.${i}`);
    for (let j = 0; j < layersPerBlock + 1; j++) {
      h = resnetBlock(block.at(`resnets.${j}`), h, c, out, groups);
      c = out;
    }
    if (i < reversed.length - 1) h = upsampleBlock(block.at('upsamplers.0'), h, c);
  });
  return normActConv(d, h, c, cfg.outChannels, groups);
}

/** The graph input of images (encoder) and of latents (decoder); every other input is a parameter. */
export const IMAGES_INPUT = 'images';
export const LATENTS_INPUT = 'latents';

/** The encoder's graph for images of `shape` (N, in, H, W): outputs `mean` and `std`. */
export function encoderGraph(cfg: VaeConfig, shape: readonly number[]): { mean: Value; std: Value; params: Params } {
  const g = new Graph();
  const params = new Params(g, '');
  return { ...encode(params, cfg, g.input(IMAGES_INPUT, shape)), params };
}

/** The decoder's graph for latents of `shape` (N, latent, h, w): output `images`. */
export function decoderGraph(cfg: VaeConfig, shape: readonly number[]): { images: Value; params: Params } {
  const g = new Graph();
  const params = new Params(g, '');
  return { images: decode(params, cfg, g.input(LATENTS_INPUT, shape)), params };
}

/** Every parameter of the VAE (encoder and decoder) by diffusers name, in declaration order. */
export function vaeParamSpecs(cfg: VaeConfig): ParamSpec[] {
  const f = downscaleFactor(cfg);
  const encoder = encoderGraph(cfg, [1, cfg.inChannels, f, f]).params.specs;
  const decoder = decoderGraph(cfg, [1, cfg.latentChannels, 1, 1]).params.specs;
  return [...encoder.values(), ...decoder.values()];
}

/** FLOPs of one encode of images (N, in, H, W), counted from the graph. */
export const encodeFlops = (cfg: VaeConfig, shape: readonly number[]) => {
  const { mean, std } = encoderGraph(cfg, shape);
  return countFlops([mean, std]);
};

/** FLOPs of one decode of latents (N, latent, h, w), counted from the graph. */
export const decodeFlops = (cfg: VaeConfig, shape: readonly number[]) => countFlops([decoderGraph(cfg, shape).images]);
