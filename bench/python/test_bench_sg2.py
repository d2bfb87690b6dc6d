"""Checks the generator in bench_sg2.py against the rosinality golden models (tiny and tinyvar).

Run: /usr/bin/python3 -m unittest discover -s bench/python -p 'test_*.py'
"""
import json
import os
import sys
import unittest

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_sg2  # noqa: E402
from test_bench_clip import GOLDEN, read_safetensors  # noqa: E402

ROSINALITY = os.path.join(GOLDEN, 'stylegan2', 'rosinality')


class RosinalityGoldens(unittest.TestCase):
    def check(self, name):
        state, meta = read_safetensors(os.path.join(ROSINALITY, f'{name}_state.safetensors'))
        config = json.loads(meta['config'])
        channels = {int(k): v for k, v in json.loads(meta['channels']).items()}
        g = bench_sg2.Generator(config['size'], config['style_dim'], config['n_mlp'], channels, config['lr_mlp']).eval()
        g.load_state_dict(state, strict=True)
        io, _ = read_safetensors(os.path.join(ROSINALITY, f'{name}_io.safetensors'))
        with torch.inference_mode():
            w = g.style(io['z'])
            img_w = g(io['z'])
            img_wplus = g.synthesis(io['wplus_rand'])
        self.assertLessEqual((w - io['w']).abs().max().item(), 1e-5)
        self.assertLessEqual((img_w - io['img_w']).abs().max().item(), 5e-5)
        self.assertLessEqual((img_wplus - io['img_wplus_rand']).abs().max().item(), 5e-5)

    def test_tiny(self):
        self.check('tiny')

    def test_tinyvar_channels_change_with_resolution(self):
        self.check('tinyvar')

    def test_ffhq_1024_layout(self):
        torch.manual_seed(0)
        g = bench_sg2.Generator(1024)
        with open(os.path.join(GOLDEN, 'stylegan2', 'manifest_rosinality_ffhq1024.json')) as f:
            manifest = json.load(f)
        tensors = manifest['tensors'] if isinstance(manifest, dict) else manifest
        expected = {t['name']: list(t['shape']) for t in tensors}
        self.assertEqual({k: list(v.shape) for k, v in g.state_dict().items()}, expected)
        self.assertEqual(g.n_latent, 18)


if __name__ == '__main__':
    unittest.main()
