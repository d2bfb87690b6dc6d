#!/usr/bin/python3
"""Reference speed of a rosinality-layout StyleGAN2 generator (FFHQ config-f, 1024) in PyTorch on CPU, float32.

Written from the facts in shared/golden/stylegan2/README.md with rosinality's module and parameter names
(so rosinality checkpoints load into it), on the reference's CPU path: plain F.conv2d / F.conv_transpose2d
and a native upfirdn2d. Random weights (seeded), constant noise. Prints one JSON line per batch size:
{"name", "seconds_per_image", "seconds", "batch", ...}.
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

SQRT2 = math.sqrt(2)


def ffhq_channels(channel_multiplier=2):
    cm = channel_multiplier
    return {4: 512, 8: 512, 16: 512, 32: 512, 64: 256 * cm, 128: 128 * cm, 256: 64 * cm, 512: 32 * cm, 1024: 16 * cm}


def make_kernel(k):
    k = torch.tensor(k, dtype=torch.float32)
    k = k[None, :] * k[:, None]
    return k / k.sum()


def upfirdn2d(x, kernel, up=1, down=1, pad=(0, 0)):
    """Zero-insert upsampling by `up`, pad (crop if negative) by pad0 before / pad1 after,
    convolve with `kernel`, keep every `down`-th sample; on both spatial axes."""
    n, c, h, w = x.shape
    p0, p1 = pad
    x = x.reshape(n * c, 1, h, 1, w, 1)
    x = F.pad(x, [0, up - 1, 0, 0, 0, up - 1]).reshape(n * c, 1, h * up, w * up)
    x = F.pad(x, [max(p0, 0), max(p1, 0), max(p0, 0), max(p1, 0)])
    x = x[:, :, max(-p0, 0):x.shape[2] - max(-p1, 0), max(-p0, 0):x.shape[3] - max(-p1, 0)]
    kh, kw = kernel.shape
    x = F.conv2d(x, torch.flip(kernel, [0, 1]).view(1, 1, kh, kw))
    x = x[:, :, ::down, ::down]
    return x.reshape(n, c, x.shape[2], x.shape[3])


def fused_leaky_relu(x, bias):
    return F.leaky_relu(x + bias.view(1, -1, 1, 1), 0.2) * SQRT2


class PixelNorm(nn.Module):
    def forward(self, x):
        return x * torch.rsqrt(torch.mean(x ** 2, dim=1, keepdim=True) + 1e-8)


class EqualLinear(nn.Module):
    def __init__(self, in_dim, out_dim, bias_init=0.0, lr_mul=1.0, activation=False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_dim,), float(bias_init)))
        self.scale = lr_mul / math.sqrt(in_dim)
        self.lr_mul, self.activation = lr_mul, activation

    def forward(self, x):
        if self.activation:
            return F.leaky_relu(F.linear(x, self.weight * self.scale) + self.bias * self.lr_mul, 0.2) * SQRT2
        return F.linear(x, self.weight * self.scale, bias=self.bias * self.lr_mul)


class Blur(nn.Module):
    def __init__(self, kernel, pad, gain=1):
        super().__init__()
        self.register_buffer('kernel', make_kernel(kernel) * gain)
        self.pad = pad

    def forward(self, x):
        return upfirdn2d(x, self.kernel, pad=self.pad)


class Upsample(nn.Module):
    def __init__(self, kernel, factor=2):
        super().__init__()
        self.register_buffer('kernel', make_kernel(kernel) * factor ** 2)
        p = self.kernel.shape[0] - factor
        self.factor, self.pad = factor, ((p + 1) // 2 + factor - 1, p // 2)

    def forward(self, x):
        return upfirdn2d(x, self.kernel, up=self.factor, pad=self.pad)


class ModulatedConv2d(nn.Module):
    def __init__(self, in_ch, out_ch, kernel_size, style_dim, demodulate=True, upsample=False, blur_kernel=(1, 3, 3, 1)):
        super().__init__()
        self.in_ch, self.out_ch, self.k = in_ch, out_ch, kernel_size
        self.demodulate, self.upsample = demodulate, upsample
        if upsample:  # blur after the stride-2 transposed conv: output 2H+1 -> 2H
            p = (len(blur_kernel) - 2) - (kernel_size - 1)
            self.blur = Blur(blur_kernel, pad=((p + 1) // 2 + 1, p // 2 + 1), gain=4)
        self.scale = 1 / math.sqrt(in_ch * kernel_size ** 2)
        self.weight = nn.Parameter(torch.randn(1, out_ch, in_ch, kernel_size, kernel_size))
        self.modulation = EqualLinear(style_dim, in_ch, bias_init=1)

    def forward(self, x, style):
        n, _, h, w = x.shape
        s = self.modulation(style).view(n, 1, self.in_ch, 1, 1)
        weight = self.scale * self.weight * s  # [N, O, I, k, k]
        if self.demodulate:
            d = torch.rsqrt(weight.pow(2).sum([2, 3, 4]) + 1e-8)
            weight = weight * d.view(n, self.out_ch, 1, 1, 1)
        x = x.reshape(1, n * self.in_ch, h, w)
        if self.upsample:
            weight = weight.transpose(1, 2).reshape(n * self.in_ch, self.out_ch, self.k, self.k)
            x = F.conv_transpose2d(x, weight, padding=0, stride=2, groups=n)
            return self.blur(x.reshape(n, self.out_ch, x.shape[2], x.shape[3]))
        weight = weight.reshape(n * self.out_ch, self.in_ch, self.k, self.k)
        x = F.conv2d(x, weight, padding=self.k // 2, groups=n)
        return x.reshape(n, self.out_ch, x.shape[2], x.shape[3])


class NoiseInjection(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x, noise):
        return x + self.weight * noise


class FusedLeakyReLU(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        return fused_leaky_relu(x, self.bias)


class StyledConv(nn.Module):
    def __init__(self, in_ch, out_ch, kernel_size, style_dim, upsample=False, blur_kernel=(1, 3, 3, 1)):
        super().__init__()
        self.conv = ModulatedConv2d(in_ch, out_ch, kernel_size, style_dim, upsample=upsample, blur_kernel=blur_kernel)
        self.noise = NoiseInjection()
        self.activate = FusedLeakyReLU(out_ch)

    def forward(self, x, style, noise):
        return self.activate(self.noise(self.conv(x, style), noise))


class ToRGB(nn.Module):
    def __init__(self, in_ch, style_dim, upsample=True, blur_kernel=(1, 3, 3, 1)):
        super().__init__()
        if upsample:
            self.upsample = Upsample(blur_kernel)
        self.conv = ModulatedConv2d(in_ch, 3, 1, style_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))

    def forward(self, x, style, skip=None):
        out = self.conv(x, style) + self.bias
        if skip is not None:
            out = out + self.upsample(skip)
        return out


class ConstantInput(nn.Module):
    def __init__(self, channels, size=4):
        super().__init__()
        self.input = nn.Parameter(torch.randn(1, channels, size, size))

    def forward(self, batch):
        return self.input.repeat(batch, 1, 1, 1)


class Generator(nn.Module):
    def __init__(self, size=1024, style_dim=512, n_mlp=8, channels=None, lr_mlp=0.01, blur_kernel=(1, 3, 3, 1)):
        super().__init__()
        channels = channels or ffhq_channels()
        self.log_size = int(math.log2(size))
        self.n_latent = self.log_size * 2 - 2
        self.style = nn.Sequential(PixelNorm(), *[EqualLinear(style_dim, style_dim, lr_mul=lr_mlp, activation=True)
                                                  for _ in range(n_mlp)])
        self.input = ConstantInput(channels[4])
        self.conv1 = StyledConv(channels[4], channels[4], 3, style_dim, blur_kernel=blur_kernel)
        self.to_rgb1 = ToRGB(channels[4], style_dim, upsample=False)
        self.convs, self.to_rgbs = nn.ModuleList(), nn.ModuleList()
        self.noises = nn.Module()
        self.noises.register_buffer('noise_0', torch.randn(1, 1, 4, 4))
        in_ch = channels[4]
        for i in range(3, self.log_size + 1):
            res, out_ch = 2 ** i, channels[2 ** i]
            self.convs.append(StyledConv(in_ch, out_ch, 3, style_dim, upsample=True, blur_kernel=blur_kernel))
            self.convs.append(StyledConv(out_ch, out_ch, 3, style_dim, blur_kernel=blur_kernel))
            self.to_rgbs.append(ToRGB(out_ch, style_dim))
            for j in (2 * i - 5, 2 * i - 4):
                self.noises.register_buffer(f'noise_{j}', torch.randn(1, 1, res, res))
            in_ch = out_ch

    def synthesis(self, latent):  # latent: [N, n_latent, style_dim] (W+)
        noise = [getattr(self.noises, f'noise_{i}') for i in range(self.n_latent - 1)]
        out = self.conv1(self.input(latent.shape[0]), latent[:, 0], noise[0])
        skip = self.to_rgb1(out, latent[:, 1])
        i = 1
        for up_conv, conv, noise1, noise2, to_rgb in zip(self.convs[::2], self.convs[1::2], noise[1::2], noise[2::2],
                                                         self.to_rgbs):
            out = up_conv(out, latent[:, i], noise1)
            out = conv(out, latent[:, i + 1], noise2)
            skip = to_rgb(out, latent[:, i + 2], skip)
            i += 2
        return skip

    def forward(self, z):  # z: [N, style_dim], const noise, truncation 1
        w = self.style(z)
        return self.synthesis(w.unsqueeze(1).repeat(1, self.n_latent, 1))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--threads', type=int, default=torch.get_num_threads())
    p.add_argument('--size', type=int, default=1024)
    p.add_argument('--batches', default='1,4', help='comma-separated batch sizes')
    p.add_argument('--iters', type=int, default=3)
    p.add_argument('--warmup', type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    g = Generator(args.size).eval()
    for batch in (int(b) for b in args.batches.split(',')):
        z = torch.randn(batch, 512, generator=torch.Generator().manual_seed(batch))
        with torch.inference_mode():
            for _ in range(args.warmup):
                g(z)
            times = []
            for _ in range(args.iters):
                t0 = time.perf_counter()
                g(z)
                times.append(time.perf_counter() - t0)
        s = statistics.median(times)
        print(json.dumps({'name': f'sg2-{args.size}-b{batch}', 'seconds_per_image': s / batch, 'seconds': s,
                          'batch': batch, 'threads': args.threads}), flush=True)


if __name__ == '__main__':
    main()
