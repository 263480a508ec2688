// The names a VAE's tensors carry in the files people have, mapped to diffusers' current names: diffusers'
// older attention names (query/key/value/proj_attn) and the original CompVis / Stable Diffusion names
// (`first_stage_model.encoder.down.0.block.1...`), as diffusers' own checkpoint converters map them.

/** Attention names of diffusers before 0.15 (AttentionBlock) -> the current Attention's. */
const OLD_ATTENTION: Record<string, string> = { query: 'to_q', key: 'to_k', value: 'to_v', proj_attn: 'to_out.0' };

/** CompVis `mid.attn_1` names -> diffusers' `mid_block.attentions.0`. */
const COMPVIS_ATTENTION: Record<string, string> = { norm: 'group_norm', q: 'to_q', k: 'to_k', v: 'to_v', proj_out: 'to_out.0' };

/** The prefix of the VAE inside a Stable Diffusion checkpoint's state_dict. */
export const SD_CHECKPOINT_PREFIX = 'first_stage_model.';

/**
 * The diffusers name of a VAE tensor stored under `name` (diffusers current or older, or CompVis), or
 * null when the name is not a VAE tensor of either scheme. `levels` is the number of block_out_channels
 * entries: CompVis numbers the decoder's levels coarsest last, diffusers coarsest first.
 */
export function diffusersName(name: string, levels: number): string | null {
  const m = /^(encoder|decoder|quant_conv|post_quant_conv)(?:\.(.*))?\.(weight|bias)$/.exec(name);
  if (!m) return null;
  const [, part, path = '', leaf] = m;
  if (part === 'quant_conv' || part === 'post_quant_conv') return path === '' ? name : null;
  const mapped = mapPath(part, path, levels);
  return mapped === null ? null : `${part}.${mapped}.${leaf}`;
}

/** The module path inside `encoder` or `decoder`, in diffusers' current terms. */
function mapPath(part: string, path: string, levels: number): string | null {
  if (['conv_in', 'conv_out', 'conv_norm_out'].includes(path)) return path;
  if (path === 'norm_out') return 'conv_norm_out';
  let m: RegExpExecArray | null;
  // diffusers, current or older attention names.
  if ((m = /^mid_block\.attentions\.0\.(group_norm|to_q|to_k|to_v|to_out\.0|query|key|value|proj_attn)$/.exec(path))) {
    return `mid_block.attentions.0.${OLD_ATTENTION[m[1]] ?? m[1]}`;
  }
  if (/^(mid_block\.resnets|down_blocks\.\d+\.resnets|up_blocks\.\d+\.resnets)\.\d+\.(norm1|norm2|conv1|conv2|conv_shortcut)$/.test(path)) return path;
  if (/^(down_blocks\.\d+\.downsamplers|up_blocks\.\d+\.upsamplers)\.0\.conv$/.test(path)) return path;
  // CompVis.
  if ((m = /^mid\.attn_1\.(norm|q|k|v|proj_out)$/.exec(path))) return `mid_block.attentions.0.${COMPVIS_ATTENTION[m[1]]}`;
  if ((m = /^mid\.block_([12])\.(\w+)$/.exec(path))) return resnetPart(`mid_block.resnets.${Number(m[1]) - 1}`, m[2]);
  if (part === 'encoder' && (m = /^down\.(\d+)\.block\.(\d+)\.(\w+)$/.exec(path))) return resnetPart(`down_blocks.${m[1]}.resnets.${m[2]}`, m[3]);
  if (part === 'encoder' && (m = /^down\.(\d+)\.downsample\.conv$/.exec(path))) return `down_blocks.${m[1]}.downsamplers.0.conv`;
  if (part === 'decoder' && (m = /^up\.(\d+)\.block\.(\d+)\.(\w+)$/.exec(path))) return resnetPart(`up_blocks.${levels - 1 - Number(m[1])}.resnets.${m[2]}`, m[3]);
  if (part === 'decoder' && (m = /^up\.(\d+)\.upsample\.conv$/.exec(path))) return `up_blocks.${levels - 1 - Number(m[1])}.upsamplers.0.conv`;
  return null;
}

/** A CompVis ResnetBlock's layer: the same names but `nin_shortcut` for `conv_shortcut`. */
function resnetPart(prefix: string, layer: string): string | null {
  if (layer === 'nin_shortcut') return `${prefix}.conv_shortcut`;
  return ['norm1', 'norm2', 'conv1', 'conv2'].includes(layer) ? `${prefix}.${layer}` : null;
}

/** True for the attention projections, which older names store as 1x1 convs, [C, C, 1, 1]. */
export const isAttentionProjection = (diffusers: string) => /\.attentions\.0\.(to_q|to_k|to_v|to_out\.0)\.weight$/.test(diffusers);
