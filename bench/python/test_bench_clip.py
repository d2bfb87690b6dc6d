"""Checks the CLIP written in bench_clip.py against the golden tiny CLIP and the ViT-B/32 manifest.

Run: /usr/bin/python3 -m unittest discover -s bench/python -p 'test_*.py'
"""
import json
import os
import struct
import sys
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_clip  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDEN = os.environ.get('STYLEBRIDGE_GOLDEN_DIR') or os.path.join(REPO_ROOT, '..', 'shared', 'golden')
CLIP_DIR = os.path.join(GOLDEN, 'clip')
DTYPES = {'F32': '<f4', 'F64': '<f8', 'I64': '<i8', 'U8': 'u1'}


def read_safetensors(path):
    with open(path, 'rb') as f:
        blob = f.read()
    n, = struct.unpack('<Q', blob[:8])
    header = json.loads(blob[8:8 + n])
    meta = header.pop('__metadata__', {})
    out = {}
    for name, e in header.items():
        begin, end = e['data_offsets']
        out[name] = torch.from_numpy(np.frombuffer(blob[8 + n + begin:8 + n + end], DTYPES[e['dtype']]).reshape(e['shape']).copy())
    return out, meta


class TinyClipMatchesGolden(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(CLIP_DIR, 'tiny_config.json')) as f:
            config = json.load(f)['constructor_arguments']
        cls.model = bench_clip.CLIP(**config).eval()
        state, _ = read_safetensors(os.path.join(CLIP_DIR, 'tiny_state.safetensors'))
        cls.model.load_state_dict(state, strict=True)
        cls.io, _ = read_safetensors(os.path.join(CLIP_DIR, 'tiny_io.safetensors'))

    def assert_close(self, ours, name, tol=1e-5):  # measured: bit-exact on torch 1.13 CPU
        golden = self.io[name]
        self.assertEqual(ours.shape, golden.shape, name)
        self.assertLessEqual((ours - golden).abs().max().item(), tol, name)

    def test_encode_image(self):
        with torch.inference_mode():
            self.assert_close(self.model.encode_image(self.io['images']), 'image_features')

    def test_encode_text_two_heads(self):
        with torch.inference_mode():
            self.assert_close(self.model.encode_text(self.io['text_ids']), 'text_features')

    def test_logits(self):
        with torch.inference_mode():
            per_image, per_text = self.model(self.io['images'], self.io['text_ids'])
        self.assert_close(per_image, 'logits_per_image')
        self.assert_close(per_text, 'logits_per_text')


class VitB32Layout(unittest.TestCase):
    def test_state_dict_matches_manifest(self):
        with open(os.path.join(CLIP_DIR, 'manifest_vit_b32.json')) as f:
            manifest = json.load(f)
        torch.manual_seed(0)
        sd = bench_clip.CLIP(**bench_clip.VIT_B32).state_dict()
        self.assertEqual(bench_clip.VIT_B32, manifest['config'])
        self.assertEqual([(k, list(v.shape)) for k, v in sd.items()],
                         [(t['name'], t['shape']) for t in manifest['tensors']])
        self.assertEqual(sum(v.numel() for v in sd.values()), manifest['total_numel'])

    def test_random_prompts_are_shaped_like_tokenized_text(self):
        ids = bench_clip.random_prompts(16, 77, torch.Generator().manual_seed(3))
        eot = ids.argmax(dim=-1)
        self.assertTrue(((eot >= 7) & (eot <= 13)).all())
        self.assertTrue((ids[:, 0] == bench_clip.SOT).all())
        self.assertTrue((ids[torch.arange(16), eot] == bench_clip.EOT).all())
        self.assertEqual(int((ids == bench_clip.EOT).sum()), 16)
        self.assertEqual(int((ids > 0).sum()), int((eot + 1).sum()))


if __name__ == '__main__':
    unittest.main()
