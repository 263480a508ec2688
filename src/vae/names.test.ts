// Tensor names of every scheme mapped to diffusers' current names, as diffusers' own converters map them.
import { describe, expect, it } from 'vitest';
import { SD_VAE_CONFIG } from './config.js';
import { vaeParamSpecs } from './autoencoder.js';
import { diffusersName } from './names.js';

describe('diffusersName', () => {
  it('keeps every current diffusers name of the SD VAE', () => {
    for (const { name } of vaeParamSpecs(SD_VAE_CONFIG)) expect(diffusersName(name, 4)).toBe(name);
  });

  it('maps the CompVis names, decoder levels in reverse', () => {
    const cases: [string, string][] = [
      ['encoder.norm_out.weight', 'encoder.conv_norm_out.weight'],
      ['encoder.down.2.block.1.conv2.bias', 'encoder.down_blocks.2.resnets.1.conv2.bias'],
      ['encoder.down.1.block.0.nin_shortcut.weight', 'encoder.down_blocks.1.resnets.0.conv_shortcut.weight'],
      ['encoder.down.0.downsample.conv.weight', 'encoder.down_blocks.0.downsamplers.0.conv.weight'],
      ['decoder.up.3.block.2.norm1.weight', 'decoder.up_blocks.0.resnets.2.norm1.weight'],
      ['decoder.up.0.block.0.nin_shortcut.bias', 'decoder.up_blocks.3.resnets.0.conv_shortcut.bias'],
      ['decoder.up.1.upsample.conv.weight', 'decoder.up_blocks.2.upsamplers.0.conv.weight'],
      ['decoder.mid.block_1.conv1.weight', 'decoder.mid_block.resnets.0.conv1.weight'],
      ['decoder.mid.block_2.norm2.bias', 'decoder.mid_block.resnets.1.norm2.bias'],
      ['encoder.mid.attn_1.norm.weight', 'encoder.mid_block.attentions.0.group_norm.weight'],
      ['encoder.mid.attn_1.q.weight', 'encoder.mid_block.attentions.0.to_q.weight'],
      ['decoder.mid.attn_1.proj_out.bias', 'decoder.mid_block.attentions.0.to_out.0.bias'],
      ['quant_conv.weight', 'quant_conv.weight'],
    ];
    for (const [compvis, diffusers] of cases) expect(diffusersName(compvis, 4), compvis).toBe(diffusers);
  });

  it("maps diffusers' older attention names", () => {
    expect(diffusersName('decoder.mid_block.attentions.0.query.weight', 4)).toBe('decoder.mid_block.attentions.0.to_q.weight');
    expect(diffusersName('encoder.mid_block.attentions.0.key.bias', 4)).toBe('encoder.mid_block.attentions.0.to_k.bias');
    expect(diffusersName('encoder.mid_block.attentions.0.value.weight', 4)).toBe('encoder.mid_block.attentions.0.to_v.weight');
    expect(diffusersName('decoder.mid_block.attentions.0.proj_attn.weight', 4)).toBe('decoder.mid_block.attentions.0.to_out.0.weight');
  });

  it('gives null for tensors that are no VAE parameter', () => {
    for (const name of ['model.diffusion_model.input_blocks.0.0.weight', 'loss.discriminator.main.0.weight', 'encoder.down.0.block.0.nin.weight', 'quant_conv.extra.weight', 'decoder.up.0.upsample.weight']) {
      expect(diffusersName(name, 4), name).toBeNull();
    }
  });
});
