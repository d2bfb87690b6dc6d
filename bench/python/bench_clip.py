#!/usr/bin/python3
"""Reference throughput of OpenAI CLIP ViT-B/32 (image and text towers) in PyTorch on CPU, float32.

The model is written here from the spec in shared/golden/clip/README.md (sections 2-3) with the
reference's module layout and parameter names, so a real state_dict would load into it. Weights are
random (seeded). Prints one JSON line per tower: {"name", "items_per_s", "seconds", "batch", ...}.
"""
import argparse
import json
import math
import statistics
import time
from collections import OrderedDict

import torch
from torch import nn

VIT_B32 = dict(embed_dim=512, image_resolution=224, vision_layers=12, vision_width=768, vision_patch_size=32,
               context_length=77, vocab_size=49408, transformer_width=512, transformer_heads=8, transformer_layers=12)
SOT, EOT = 49406, 49407


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class ResidualAttentionBlock(nn.Module):
    def __init__(self, d_model, n_head, attn_mask=None):
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, n_head)
        self.ln_1 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(OrderedDict([
            ('c_fc', nn.Linear(d_model, d_model * 4)),
            ('gelu', QuickGELU()),
            ('c_proj', nn.Linear(d_model * 4, d_model)),
        ]))
        self.ln_2 = nn.LayerNorm(d_model)
        self.attn_mask = attn_mask

    def forward(self, x):  # x: [L, N, D]
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=self.attn_mask)[0]
        x = x + self.mlp(self.ln_2(x))
        return x


class Transformer(nn.Module):
    def __init__(self, width, layers, heads, attn_mask=None):
        super().__init__()
        self.width, self.layers = width, layers
        self.resblocks = nn.Sequential(*[ResidualAttentionBlock(width, heads, attn_mask) for _ in range(layers)])

    def forward(self, x):
        return self.resblocks(x)


class VisionTransformer(nn.Module):
    def __init__(self, input_resolution, patch_size, width, layers, heads, output_dim):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, kernel_size=patch_size, stride=patch_size, bias=False)
        scale = width ** -0.5
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn((input_resolution // patch_size) ** 2 + 1, width))
        self.ln_pre = nn.LayerNorm(width)
        self.transformer = Transformer(width, layers, heads)
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(scale * torch.randn(width, output_dim))

    def forward(self, x):  # x: [N, 3, H, W]
        x = self.conv1(x)  # [N, width, grid, grid]
        x = x.flatten(2).transpose(1, 2)  # [N, grid², width], patches row-major
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding
        x = self.ln_pre(x)
        x = self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2)  # NLD -> LND -> NLD
        return self.ln_post(x[:, 0, :]) @ self.proj


class CLIP(nn.Module):
    def __init__(self, embed_dim, image_resolution, vision_layers, vision_width, vision_patch_size,
                 context_length, vocab_size, transformer_width, transformer_heads, transformer_layers):
        super().__init__()
        self.context_length = context_length
        self.visual = VisionTransformer(image_resolution, vision_patch_size, vision_width, vision_layers,
                                        vision_width // 64, embed_dim)
        causal = torch.full((context_length, context_length), float('-inf')).triu_(1)
        self.transformer = Transformer(transformer_width, transformer_layers, transformer_heads, attn_mask=causal)
        self.token_embedding = nn.Embedding(vocab_size, transformer_width)
        self.positional_embedding = nn.Parameter(torch.empty(context_length, transformer_width))
        self.ln_final = nn.LayerNorm(transformer_width)
        self.text_projection = nn.Parameter(torch.empty(transformer_width, embed_dim))
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        self.initialize_parameters()

    def initialize_parameters(self):
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.positional_embedding, std=0.01)
        for tower in (self.visual.transformer, self.transformer):
            width, layers = tower.width, tower.layers
            for block in tower.resblocks:
                nn.init.normal_(block.attn.in_proj_weight, std=width ** -0.5)
                nn.init.normal_(block.attn.out_proj.weight, std=width ** -0.5 * (2 * layers) ** -0.5)
                nn.init.normal_(block.mlp.c_fc.weight, std=(2 * width) ** -0.5)
                nn.init.normal_(block.mlp.c_proj.weight, std=width ** -0.5 * (2 * layers) ** -0.5)
        nn.init.normal_(self.text_projection, std=self.transformer.width ** -0.5)

    def encode_image(self, images):
        return self.visual(images)

    def encode_text(self, ids):  # ids: [N, context_length] int64
        x = self.token_embedding(ids) + self.positional_embedding
        x = self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2)
        x = self.ln_final(x)
        x = x[torch.arange(x.shape[0]), ids.argmax(dim=-1)]  # first EOT (the largest id)
        return x @ self.text_projection

    def forward(self, images, ids):
        img = self.encode_image(images)
        txt = self.encode_text(ids)
        img = img / img.norm(dim=1, keepdim=True)
        txt = txt / txt.norm(dim=1, keepdim=True)
        logits_per_image = self.logit_scale.exp() * img @ txt.t()
        return logits_per_image, logits_per_image.t()


def random_prompts(batch, context_length, generator, mean_len=10):
    """Token ids shaped like tokenized prompts: SOT, ~mean_len word ids, EOT, zero padding."""
    ids = torch.zeros(batch, context_length, dtype=torch.long)
    for i in range(batch):
        eot = int(torch.randint(mean_len - 3, mean_len + 4, (1,), generator=generator))
        ids[i, 0] = SOT
        ids[i, 1:eot] = torch.randint(1, SOT, (eot - 1,), generator=generator)
        ids[i, eot] = EOT
    return ids


def median_seconds(fn, iters, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--threads', type=int, default=torch.get_num_threads())
    p.add_argument('--batch', type=int, default=16)
    p.add_argument('--iters', type=int, default=5)
    p.add_argument('--warmup', type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = CLIP(**VIT_B32).eval()
    g = torch.Generator().manual_seed(1)
    images = torch.randn(args.batch, 3, VIT_B32['image_resolution'], VIT_B32['image_resolution'], generator=g)
    ids = random_prompts(args.batch, VIT_B32['context_length'], g)

    with torch.inference_mode():
        for name, fn, unit in ((f'clip-image-b{args.batch}', lambda: model.encode_image(images), 'images'),
                               (f'clip-text-b{args.batch}', lambda: model.encode_text(ids), 'prompts')):
            s = median_seconds(fn, args.iters, args.warmup)
            print(json.dumps({'name': name, 'items_per_s': round(args.batch / s, 3), 'unit': f'{unit}/s',
                              'seconds': s, 'batch': args.batch, 'threads': args.threads}), flush=True)


if __name__ == '__main__':
    main()
