"""Tests for convert_nvidia_pkl.py against the NVIDIA golden pickles.

Run: /usr/bin/python3 -m unittest discover -s weights -p 'test_*.py'
"""
import contextlib
import copy
import io
import json
import os
import pickle
import struct
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert_nvidia_pkl as conv  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.environ.get('STYLEBRIDGE_GOLDEN_DIR') or os.path.join(REPO_ROOT, '..', 'shared', 'golden')
NVIDIA = os.path.join(GOLDEN, 'stylegan2', 'nvidia')


def read_safetensors(path):
    """-> (header entries in file order, metadata, {name: float32 array}, raw data section)."""
    with open(path, 'rb') as f:
        blob = f.read()
    n, = struct.unpack('<Q', blob[:8])
    header = json.loads(blob[8:8 + n])
    meta = header.pop('__metadata__', {})
    data = blob[8 + n:]
    arrays = {}
    for name, e in header.items():
        begin, end = e['data_offsets']
        assert e['dtype'] == 'F32'
        arrays[name] = np.frombuffer(data[begin:end], '<f4').reshape(e['shape'])
    return header, meta, arrays, data, n


def convert_to_temp(testcase, pkl, key='G_ema'):
    out = os.path.join(testcase.tmp.name, os.path.basename(pkl) + '.' + key + '.safetensors')
    conv.convert(pkl, out, key)
    return out


def raw_pickle_calling(module, name, arg):
    """A protocol-3 pickle of {'G_ema': module.name(arg)}, written opcode by opcode so that
    nothing on this side has to import `module`."""
    def binunicode(s):
        b = s.encode()
        return b'X' + struct.pack('<I', len(b)) + b
    payload = b'B' + struct.pack('<I', len(arg)) + arg if isinstance(arg, bytes) else binunicode(arg)
    return (b'\x80\x03}' + binunicode('G_ema') + b'c' + module.encode() + b'\n' + name.encode() + b'\n'
            + payload + b'\x85R' + b's.')


class ConvertGoldenPickles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.golden = read_safetensors(os.path.join(NVIDIA, 'tiny_state.safetensors'))

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def assert_matches_golden(self, out):
        header, meta, arrays, data, n = read_safetensors(out)
        g_header, g_meta, g_arrays, g_data, _ = self.golden
        self.assertEqual(n % 8, 0)
        self.assertEqual(list(header), sorted(g_header))  # sorted names, same set
        for name, g in g_arrays.items():
            self.assertEqual(list(arrays[name].shape), list(g.shape), name)
            self.assertEqual(arrays[name].tobytes(), g.tobytes(), name)  # bit-identical
        self.assertEqual(data, g_data)  # same order, offsets and no gaps
        return meta

    def test_G_ema_pickle_matches_state(self):
        meta = self.assert_matches_golden(convert_to_temp(self, os.path.join(NVIDIA, 'tiny_G_ema.pkl')))
        self.assertEqual(meta['format'], 'pt')
        self.assertEqual(meta['layout'], 'nvidia')
        self.assertEqual(meta['source'], 'tiny_G_ema.pkl')

    def test_snapshot_pickle_matches_state(self):
        self.assert_matches_golden(convert_to_temp(self, os.path.join(NVIDIA, 'tiny_snapshot.pkl')))

    def test_init_kwargs_resolve_constructor_defaults(self):
        _, meta, _, _, _ = read_safetensors(convert_to_temp(self, os.path.join(NVIDIA, 'tiny_snapshot.pkl')))
        ours = json.loads(meta['init_kwargs'])
        with open(os.path.join(NVIDIA, 'tiny_config.json')) as f:
            expected = json.load(f)['init_kwargs']
        # not stored in the pickle's init_kwargs: they come from the embedded source's defaults
        self.assertEqual(ours['num_fp16_res'], 4)
        self.assertEqual(ours['conv_clamp'], 256)
        for key, value in expected.items():
            if key == 'mapping_kwargs':
                self.assertEqual({k: ours[key][k] for k in value}, value)
            else:
                self.assertEqual(ours[key], value, key)
        self.assertEqual(ours['architecture'], 'skip')
        self.assertEqual(ours['mapping_kwargs']['w_avg_beta'], 0.998)

    def test_state_dict_order_matches_module_tree(self):
        tensors, _ = conv.load_network(os.path.join(NVIDIA, 'tiny_G_ema.pkl'))
        names = list(tensors)
        self.assertEqual(names[0], 'synthesis.b4.const')  # synthesis was registered before mapping
        # a module's own parameters, then its own buffers, then its children
        self.assertEqual(names[-9:], ['mapping.w_avg'] + [f'mapping.fc{i}.{p}' for i in range(4) for p in ('weight', 'bias')])
        i = names.index('synthesis.b8.conv0.weight')
        self.assertEqual(names[i:i + 7], ['synthesis.b8.conv0.' + s for s in
                                          ('weight', 'noise_strength', 'bias', 'resample_filter', 'noise_const',
                                           'affine.weight', 'affine.bias')])
        self.assertEqual(tensors['synthesis.b8.conv0.noise_strength'].shape, ())

    def test_reading_G_instead_of_G_ema_differs(self):
        g_arrays = self.golden[2]
        tensors, _ = conv.load_network(os.path.join(NVIDIA, 'tiny_snapshot.pkl'), key='G')
        self.assertEqual(sorted(tensors), sorted(g_arrays))
        differing = [n for n in g_arrays if not np.array_equal(tensors[n], g_arrays[n])]
        self.assertGreater(len(differing), 40)
        self.assertIn('synthesis.b4.conv1.weight', differing)

    def test_missing_key_is_an_error(self):
        with self.assertRaisesRegex(KeyError, "no 'G'"):
            conv.load_network(os.path.join(NVIDIA, 'tiny_G_ema.pkl'), key='G')


class RefuseForbiddenGlobals(unittest.TestCase):
    def test_os_system_is_refused_without_running(self):
        with tempfile.TemporaryDirectory() as tmp:
            marker = os.path.join(tmp, 'executed')
            blob = raw_pickle_calling('os', 'system', f'touch {marker}')
            with self.assertRaisesRegex(conv.ForbiddenGlobal, r'os\.system'):
                conv.load_network(io.BytesIO(blob))
            self.assertFalse(os.path.exists(marker))
            # the same bytes really do run the command under an ordinary unpickler
            pickle.loads(blob)
            self.assertTrue(os.path.exists(marker))

    def test_forbidden_global_inside_a_storage_stream_is_refused(self):
        inner = b''.join(pickle.dumps(x, protocol=2) for x in (conv.LEGACY_MAGIC, conv.LEGACY_PROTOCOL, {'little_endian': True}))
        inner += b'\x80\x02cbuiltins\neval\nX\x01\x00\x00\x001\x85R.'
        blob = raw_pickle_calling('torch.storage', '_load_from_bytes', inner)
        with self.assertRaisesRegex(conv.ForbiddenGlobal, r'builtins\.eval'):
            conv.load_network(io.BytesIO(blob))

    def test_cli_reports_refusal(self):
        with tempfile.TemporaryDirectory() as tmp:
            pkl = os.path.join(tmp, 'bad.pkl')
            with open(pkl, 'wb') as f:
                f.write(raw_pickle_calling('subprocess', 'getoutput', 'true'))
            out = os.path.join(tmp, 'out.safetensors')
            with contextlib.redirect_stderr(io.StringIO()) as err:
                self.assertEqual(conv.main([pkl, out]), 1)
            self.assertIn('subprocess.getoutput', err.getvalue())
            self.assertFalse(os.path.exists(out))


class ResolveDefaultsFromSource(unittest.TestCase):
    """The defaults come from the pickled source text, and are checked against the modules."""

    @classmethod
    def setUpClass(cls):
        with open(os.path.join(NVIDIA, 'tiny_G_ema.pkl'), 'rb') as f:
            cls.g = conv.NetworkUnpickler(f).load()['G_ema']

    def with_source_and_kwargs(self, old, new, init_kwargs):
        g = conv.PersistentObject(copy.copy(self.g.meta))
        g.meta['state'] = dict(self.g.state, _init_kwargs=init_kwargs)
        self.assertIn(old, g.meta['module_src'])
        g.meta['module_src'] = g.meta['module_src'].replace(old, new)
        return g

    def test_source_default_disagreeing_with_modules_is_an_error(self):
        g = self.with_source_and_kwargs('num_fp16_res    = 4,', 'num_fp16_res    = 0,', self.g.state['_init_kwargs'])
        with self.assertRaisesRegex(ValueError, 'num_fp16_res'):
            conv.resolve_init_kwargs(g)

    def test_nested_ada_style_synthesis_kwargs_are_lifted(self):
        stored = dict(self.g.state['_init_kwargs'])
        stored['synthesis_kwargs'] = {'num_fp16_res': 4, 'conv_clamp': 256}
        g = self.with_source_and_kwargs('num_fp16_res    = 4,', 'num_fp16_res    = 0,', stored)
        kwargs = conv.resolve_init_kwargs(g)
        self.assertNotIn('synthesis_kwargs', kwargs)
        self.assertEqual((kwargs['num_fp16_res'], kwargs['conv_clamp']), (4, 256))


class TensorsPickledByTorch(unittest.TestCase):
    """Tensors pickled by torch itself (storage as a legacy torch.save stream) decode to the same values,
    including views with an offset and non-contiguous strides, and other storage types."""

    def test_views_and_dtypes(self):
        import torch
        base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 7
        cases = [base, base.t()[1:, 2:], base[1:3, ::2], base[2, 3], base.to(torch.float16)[1:], base.double().t()]
        for t in cases:
            decoded = conv.NetworkUnpickler(io.BytesIO(pickle.dumps(t))).load()
            self.assertEqual(decoded.array.dtype, t.numpy().dtype)
            self.assertEqual(decoded.array.shape, tuple(t.shape))
            self.assertTrue(np.array_equal(decoded.array, t.numpy()))
            self.assertTrue(np.array_equal(conv._as_float32(decoded), t.float().numpy()))

    def test_parameter(self):
        import torch
        p = torch.nn.Parameter(torch.randn(3, 5, generator=torch.Generator().manual_seed(0)))
        decoded = conv.NetworkUnpickler(io.BytesIO(pickle.dumps(p))).load()
        self.assertTrue(np.array_equal(decoded.array, p.detach().numpy()))


if __name__ == '__main__':
    unittest.main()
