# The speed anchor for `lego bench --vae`: diffusers' AutoencoderKL decoder and encoder re-written with
# torch.nn layers, module for module (diffusers is not installable on these machines; torch is, from the
# local wheels: see ../shared/anchor/README.md). Names match diffusers', so a diffusers
# diffusion_pytorch_model.safetensors loads with strict=True, and attention runs through
# F.scaled_dot_product_attention as diffusers' AttnProcessor2_0 does.
#
#   python bench/vae-torch.py --resolution 256 --threads 2          # SD config, random weights: one JSON line
#   python bench/vae-torch.py --check test/reference/vae/vae_tiny.safetensors   # max errors against diffusers' outputs
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

SD = dict(block_out_channels=[128, 256, 512, 512], layers_per_block=2, norm_num_groups=32, latent_channels=4,
          in_channels=3, out_channels=3, scaling_factor=0.18215)


class Resnet(nn.Module):
    def __init__(self, cin, cout, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=1e-6)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.norm2 = nn.GroupNorm(groups, cout, eps=1e-6)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.conv_shortcut(x) if self.conv_shortcut is not None else x) + h


class Attention(nn.Module):
    def __init__(self, c, groups):
        super().__init__()
        self.group_norm = nn.GroupNorm(groups, c, eps=1e-6)
        self.to_q, self.to_k, self.to_v = nn.Linear(c, c), nn.Linear(c, c), nn.Linear(c, c)
        self.to_out = nn.ModuleList([nn.Linear(c, c)])

    def forward(self, x):
        n, c, h, w = x.shape
        t = self.group_norm(x).view(n, c, h * w).transpose(1, 2)
        q, k, v = (f(t).unsqueeze(1) for f in (self.to_q, self.to_k, self.to_v))  # one head
        o = F.scaled_dot_product_attention(q, k, v).squeeze(1)
        return x + self.to_out[0](o).transpose(1, 2).reshape(n, c, h, w)


class Mid(nn.Module):
    def __init__(self, c, groups):
        super().__init__()
        self.resnets = nn.ModuleList([Resnet(c, c, groups), Resnet(c, c, groups)])
        self.attentions = nn.ModuleList([Attention(c, groups)])

    def forward(self, x):
        return self.resnets[1](self.attentions[0](self.resnets[0](x)))


class Sampler(nn.Module):
    """Downsample2D (stride 2, no padding of its own) or Upsample2D (padding 1): one conv named `conv`."""

    def __init__(self, c, stride, padding):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, stride=stride, padding=padding)


class Block(nn.Module):
    def __init__(self, cin, cout, layers, groups, down, up):
        super().__init__()
        self.resnets = nn.ModuleList([Resnet(cin if i == 0 else cout, cout, groups) for i in range(layers)])
        if down:
            self.downsamplers = nn.ModuleList([Sampler(cout, 2, 0)])
        if up:
            self.upsamplers = nn.ModuleList([Sampler(cout, 1, 1)])

    def forward(self, x):
        for r in self.resnets:
            x = r(x)
        if hasattr(self, 'downsamplers'):
            x = self.downsamplers[0].conv(F.pad(x, (0, 1, 0, 1)))
        if hasattr(self, 'upsamplers'):
            x = self.upsamplers[0].conv(F.interpolate(x, scale_factor=2.0, mode='nearest'))
        return x


class Encoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ch, g, n = cfg['block_out_channels'], cfg['norm_num_groups'], cfg['layers_per_block']
        self.conv_in = nn.Conv2d(cfg['in_channels'], ch[0], 3, padding=1)
        self.down_blocks = nn.ModuleList([Block(ch[max(i - 1, 0)], c, n, g, i < len(ch) - 1, False) for i, c in enumerate(ch)])
        self.mid_block = Mid(ch[-1], g)
        self.conv_norm_out = nn.GroupNorm(g, ch[-1], eps=1e-6)
        self.conv_out = nn.Conv2d(ch[-1], 2 * cfg['latent_channels'], 3, padding=1)

    def forward(self, x):
        x = self.conv_in(x)
        for b in self.down_blocks:
            x = b(x)
        return self.conv_out(F.silu(self.conv_norm_out(self.mid_block(x))))


class Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ch, g, n = cfg['block_out_channels'][::-1], cfg['norm_num_groups'], cfg['layers_per_block']
        self.conv_in = nn.Conv2d(cfg['latent_channels'], ch[0], 3, padding=1)
        self.mid_block = Mid(ch[0], g)
        self.up_blocks = nn.ModuleList([Block(ch[max(i - 1, 0)], c, n + 1, g, False, i < len(ch) - 1) for i, c in enumerate(ch)])
        self.conv_norm_out = nn.GroupNorm(g, ch[-1], eps=1e-6)
        self.conv_out = nn.Conv2d(ch[-1], cfg['out_channels'], 3, padding=1)

    def forward(self, z):
        x = self.mid_block(self.conv_in(z))
        for b in self.up_blocks:
            x = b(x)
        return self.conv_out(F.silu(self.conv_norm_out(x)))


class AutoencoderKL(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        z = cfg['latent_channels']
        self.encoder, self.decoder = Encoder(cfg), Decoder(cfg)
        self.quant_conv, self.post_quant_conv = nn.Conv2d(2 * z, 2 * z, 1), nn.Conv2d(z, z, 1)

    def encode(self, x):
        mean, logvar = torch.chunk(self.quant_conv(self.encoder(x)), 2, dim=1)
        return mean, torch.exp(0.5 * torch.clamp(logvar, -30.0, 20.0))

    def decode(self, latents):
        return self.decoder(self.post_quant_conv(latents / self.cfg['scaling_factor']))


def check(path):
    from safetensors import safe_open
    with safe_open(path, 'pt') as f:
        meta = f.metadata()
        t = {k: f.get_tensor(k) for k in f.keys()}
    cfg = {**SD, **json.loads(meta['vae_config'])}
    vae = AutoencoderKL(cfg)
    vae.load_state_dict({k[len('weights.'):]: v for k, v in t.items() if k.startswith('weights.')}, strict=True)
    with torch.no_grad():
        mean, std = vae.encode(t['input.images'])
        out = {'output.decoded': vae.decode(t['input.latents']), 'output.decoded_wide': vae.decode(t['input.latents_wide']),
               'output.posterior_mean': mean, 'output.posterior_std': std}
    print(json.dumps({k: (v - t[k]).abs().max().item() for k, v in out.items()}))


def bench(resolution, threads, repeat):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    vae = AutoencoderKL(SD).eval()
    z = torch.randn(1, 4, resolution // 8, resolution // 8)
    x = torch.rand(1, 3, resolution, resolution) * 2 - 1

    def timed(f):
        with torch.inference_mode():
            f()  # warm-up
            runs = []
            for _ in range(repeat):
                start = time.perf_counter()
                f()
                runs.append(time.perf_counter() - start)
        return statistics.median(runs), runs

    decode_s, decode_runs = timed(lambda: vae.decode(z))
    encode_s, encode_runs = timed(lambda: vae.encode(x))
    print(json.dumps({'engine': f'torch {torch.__version__}', 'resolution': resolution, 'threads': threads, 'decode_s': decode_s,
                      'decode_runs_s': decode_runs, 'encode_s': encode_s, 'encode_runs_s': encode_runs,
                      'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description='Time (or check) a torch.nn re-implementation of diffusers\' AutoencoderKL')
    ap.add_argument('--resolution', type=int, default=256)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--repeat', type=int, default=3)
    ap.add_argument('--check', help='a VAE reference file: print the max error of each output')
    a = ap.parse_args()
    check(a.check) if a.check else bench(a.resolution, a.threads, a.repeat)
