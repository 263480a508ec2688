// The layers of diffusers' AutoencoderKL on NCHW tensors (diffusers models/resnet.py, downsampling.py,
// upsampling.py, attention_processor.py), as graph functions whose parameters carry diffusers' names.
import {
  add, attentionOp, conv2d, instanceNorm, matmul, mul, reshape, silu, swapLast2, transpose, upsample, type Value,
} from '../graph/ops.js';
import type { Params } from '../nn/params.js';

/** GroupNorm's epsilon everywhere in the SD VAE (resnet_eps and the attention's norm). */
const EPS = 1e-6;

/** nn.Conv2d(inCh, outCh, k, stride, padding) with bias, PyTorch's default init. x (N, inCh, H, W). */
export function conv(p: Params, x: Value, inCh: number, outCh: number, kernel: number, options: { stride?: number; pad?: number | [number, number, number, number] } = {}): Value {
  const fanIn = inCh * kernel * kernel;
  const weight = p.get('weight', [outCh, inCh, kernel, kernel], { kind: 'normal', std: 1 / Math.sqrt(fanIn) });
  const bias = p.get('bias', [outCh], { kind: 'zeros' });
  return conv2d(x, weight, bias, options);
}

/** nn.GroupNorm(groups, C, eps=1e-6) with affine weight and bias. x (N, C, H, W) -> (N, C, H, W). */
export function groupNorm(p: Params, x: Value, groups: number): Value {
  const [n, c] = x.shape;
  const weight = p.get('weight', [c], { kind: 'fixed', values: () => new Float32Array(c).fill(1) });
  const bias = p.get('bias', [c], { kind: 'zeros' });
  const normalised = reshape(instanceNorm(reshape(x, [n, groups, -1]), EPS), x.shape);
  return add(mul(normalised, reshape(weight, [c, 1, 1])), reshape(bias, [c, 1, 1]));
}

/**
 * ResnetBlock2D without a time embedding (dropout 0, output_scale_factor 1):
 * shortcut(x) + conv2(silu(norm2(conv1(silu(norm1(x)))))), shortcut a 1x1 `conv_shortcut` when the
 * channel count changes. x (N, inCh, H, W) -> (N, outCh, H, W).
 */
export function resnetBlock(p: Params, x: Value, inCh: number, outCh: number, groups: number): Value {
  let h = conv(p.at('conv1'), silu(groupNorm(p.at('norm1'), x, groups)), inCh, outCh, 3, { pad: 1 });
  h = conv(p.at('conv2'), silu(groupNorm(p.at('norm2'), h, groups)), outCh, outCh, 3, { pad: 1 });
  const shortcut = inCh === outCh ? x : conv(p.at('conv_shortcut'), x, inCh, outCh, 1);
  return add(shortcut, h);
}

/** nn.Linear(c, c) on (N, T, c) with a 2-D weight (out, in), as `to_q`/`to_k`/`to_v`/`to_out.0` store it. */
function linear(p: Params, x: Value, c: number): Value {
  const weight = p.get('weight', [c, c], { kind: 'normal', std: 1 / Math.sqrt(c) });
  const bias = p.get('bias', [c], { kind: 'zeros' });
  return add(matmul(x, swapLast2(weight)), bias);
}

/**
 * The mid block's Attention (single head, head dim = C, residual, rescale 1): GroupNorm, q/k/v over all
 * H*W positions, softmax(q k^T / sqrt(C)) v, `to_out.0`, plus x. x (N, C, H, W) -> (N, C, H, W).
 */
export function attentionBlock(p: Params, x: Value, groups: number): Value {
  const [n, c, h, w] = x.shape;
  const tokens = transpose(reshape(groupNorm(p.at('group_norm'), x, groups), [n, c, h * w]), [0, 2, 1]); // (N, HW, C)
  const [q, k, v] = ['to_q', 'to_k', 'to_v'].map((name) => linear(p.at(name), tokens, c));
  const out = linear(p.at('to_out.0'), attentionOp(q, k, v, 1, 1 / Math.sqrt(c)), c); // (N, HW, C)
  return add(x, reshape(transpose(out, [0, 2, 1]), x.shape));
}

/** UNetMidBlock2D: resnet, attention (when enabled), resnet, all at C channels. */
export function midBlock(p: Params, x: Value, c: number, groups: number, withAttention: boolean): Value {
  x = resnetBlock(p.at('resnets.0'), x, c, c, groups);
  if (withAttention) x = attentionBlock(p.at('attentions.0'), x, groups);
  return resnetBlock(p.at('resnets.1'), x, c, c, groups);
}

/** Downsample2D (padding 0): zeros on the right and bottom, then a 3x3 conv of stride 2. (N, C, H, W) -> (N, C, ceil(H/2), ceil(W/2)). */
export function downsample(p: Params, x: Value, c: number): Value {
  return conv(p.at('conv'), x, c, c, 3, { stride: 2, pad: [0, 0, 1, 1] });
}

/** Upsample2D: nearest x2, then a 3x3 conv. (N, C, H, W) -> (N, C, 2H, 2W). */
export function upsampleBlock(p: Params, x: Value, c: number): Value {
  return conv(p.at('conv'), upsample(x, 2), c, c, 3, { pad: 1 });
}

/** GroupNorm, SiLU, 3x3 conv: the end of the encoder and of the decoder. */
export function normActConv(p: Params, x: Value, inCh: number, outCh: number, groups: number): Value {
  return conv(p.at('conv_out'), silu(groupNorm(p.at('conv_norm_out'), x, groups)), inCh, outCh, 3, { pad: 1 });
}
