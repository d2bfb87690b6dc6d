#!/usr/bin/python3
"""Convert an NVIDIA StyleGAN2(-ADA/3) network pickle to an NVIDIA-named safetensors file.

The pickle is read with a restricted unpickler: only the handful of globals such a pickle
references are resolved, each to an inert stand-in, and the Python source embedded in the
pickle (``module_src``) is never executed; it is only parsed with ``ast`` to read constructor
defaults. Storages are decoded from their legacy ``torch.save`` byte streams by our own parser.
Needs numpy only.

Usage: convert_nvidia_pkl.py IN.pkl OUT.safetensors [--key G_ema]
"""
import argparse
import ast
import collections
import io
import json
import os
import pickle
import struct
import sys

import numpy as np

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C  # 119547037146038801333356, first pickle of a legacy torch.save stream
LEGACY_PROTOCOL = 1001

STORAGE_DTYPES = {
    'FloatStorage': np.dtype('<f4'), 'DoubleStorage': np.dtype('<f8'), 'HalfStorage': np.dtype('<f2'),
    'BFloat16Storage': np.dtype('<u2'),  # widened to float32 in _as_float32
    'LongStorage': np.dtype('<i8'), 'IntStorage': np.dtype('<i4'), 'ShortStorage': np.dtype('<i2'),
    'CharStorage': np.dtype('i1'), 'ByteStorage': np.dtype('u1'), 'BoolStorage': np.dtype('?'),
}


class ForbiddenGlobal(pickle.UnpicklingError):
    pass


# ---------------------------------------------------------------------------------------------
# Inert stand-ins for the globals a network pickle references

class PersistentObject:
    """What torch_utils.persistence would turn into a live module: here just its `meta` dict
    (type, version, module_src, class_name, state)."""

    def __init__(self, meta):
        self.meta = meta

    @property
    def class_name(self):
        return self.meta.get('class_name')

    @property
    def state(self):
        return self.meta['state']


def reconstruct_persistent_obj(meta):
    if not isinstance(meta, dict) or meta.get('type') != 'class' or 'state' not in meta:
        raise pickle.UnpicklingError('unsupported persistent object meta')
    return PersistentObject(meta)


class EasyDict(dict):
    pass


class Storage:
    """A decoded storage: a 1-D numpy array of its elements, plus the storage class name."""

    def __init__(self, kind, data):
        self.kind, self.data = kind, data


class Tensor:
    """A rebuilt tensor: a C-ordered numpy copy of its elements, plus its storage class name."""

    def __init__(self, kind, array):
        self.kind, self.array = kind, array


def rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None):
    if not isinstance(storage, Storage):
        raise pickle.UnpicklingError('tensor storage is not a decoded storage')
    storage_offset = int(storage_offset)
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride) or storage_offset < 0 or any(s < 0 for s in size + stride):
        raise pickle.UnpicklingError(f'invalid tensor geometry size={size} stride={stride}')
    if 0 not in size:  # as_strided does not bounds-check: do it here
        last = storage_offset + sum((n - 1) * st for n, st in zip(size, stride))
        if last >= storage.data.size:
            raise pickle.UnpicklingError('tensor extends past the end of its storage')
    base = storage.data[storage_offset:]
    item = base.itemsize
    view = np.lib.stride_tricks.as_strided(base, shape=size, strides=tuple(st * item for st in stride), writeable=False)
    return Tensor(storage.kind, np.array(view, copy=True, order='C'))


def rebuild_parameter(data, requires_grad=False, backward_hooks=None):
    return data


def load_from_bytes(b):
    return parse_legacy_storage(bytes(b))


class _StorageType:
    def __init__(self, name):
        self.name = name


class _RestrictedUnpickler(pickle.Unpickler):
    allowed = {}

    def find_class(self, module, name):
        target = self.allowed.get((module, name))
        if target is None:
            raise ForbiddenGlobal(f'refusing to unpickle global {module}.{name}: not on the allow-list')
        return target


class NetworkUnpickler(_RestrictedUnpickler):
    allowed = {
        ('collections', 'OrderedDict'): collections.OrderedDict,
        ('dnnlib.util', 'EasyDict'): EasyDict,
        ('torch_utils.persistence', '_reconstruct_persistent_obj'): reconstruct_persistent_obj,
        ('torch._utils', '_rebuild_tensor_v2'): rebuild_tensor_v2,
        ('torch._utils', '_rebuild_parameter'): rebuild_parameter,
        ('torch.storage', '_load_from_bytes'): load_from_bytes,
        # numpy's own scalar/dtype reconstructors only build plain values
        ('numpy.core.multiarray', 'scalar'): np.core.multiarray.scalar,
        ('numpy._core.multiarray', 'scalar'): np.core.multiarray.scalar,
        ('numpy', 'dtype'): np.dtype,
    }


class LegacyStorageUnpickler(_RestrictedUnpickler):
    allowed = {('torch', name): _StorageType(name) for name in STORAGE_DTYPES}

    def __init__(self, file):
        super().__init__(file)
        self.storages = {}  # key -> (storage type name, numel)

    def persistent_load(self, pid):
        # ('storage', storage_type, root_key, location, numel, view_metadata)
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == 'storage' and isinstance(pid[1], _StorageType)):
            raise pickle.UnpicklingError(f'unexpected persistent id {pid!r:.80}')
        _, stype, key, _location, numel, view = pid
        self.storages[str(key)] = (stype.name, int(numel))
        return ('root', str(key)) if view is None else ('view', str(key), view)


def parse_legacy_storage(b):
    """Decode the legacy torch.save stream of a single storage: five protocol-2 pickles
    (magic, protocol, sys_info, the storage as a persistent id, the key list), then per key
    an int64 element count and the raw little-endian elements."""
    f = io.BytesIO(b)
    if _RestrictedUnpickler(f).load() != LEGACY_MAGIC:
        raise pickle.UnpicklingError('storage bytes are not a legacy torch.save stream')
    if _RestrictedUnpickler(f).load() != LEGACY_PROTOCOL:
        raise pickle.UnpicklingError('unsupported legacy torch.save protocol version')
    sys_info = _RestrictedUnpickler(f).load()
    if not sys_info.get('little_endian', False):
        raise pickle.UnpicklingError('big-endian storages are not supported')
    u = LegacyStorageUnpickler(f)
    ref = u.load()
    keys = _RestrictedUnpickler(f).load()
    if not (isinstance(ref, tuple) and ref[0] in ('root', 'view') and ref[1] in u.storages and isinstance(keys, list)):
        raise pickle.UnpicklingError('storage stream does not hold a single storage')
    arrays = {}
    for key in keys:
        if str(key) not in u.storages:
            raise pickle.UnpicklingError(f'storage stream lists an unknown key {key!r:.40}')
        kind, numel = u.storages[str(key)]
        count, = struct.unpack('<q', f.read(8))
        dtype = STORAGE_DTYPES[kind]
        raw = f.read(count * dtype.itemsize)
        if count != numel or len(raw) != count * dtype.itemsize:
            raise pickle.UnpicklingError(f'storage {key}: truncated or inconsistent element count')
        arrays[str(key)] = (kind, np.frombuffer(raw, dtype=dtype))
    kind, data = arrays[ref[1]]
    if ref[0] == 'view':  # legacy storage view: (view_key, offset, size) into the root storage
        _, offset, size = ref[2]
        data = data[offset:offset + size]
    return Storage(kind, data)


# ---------------------------------------------------------------------------------------------
# Module tree -> state_dict

def state_dict(module, prefix=''):
    """Dotted names in the order torch.nn.Module.state_dict() yields them: own parameters,
    then own persistent buffers, then each child recursively, all in insertion order."""
    st = module.state
    out = collections.OrderedDict()
    non_persistent = set(st.get('_non_persistent_buffers_set') or ())
    for name, t in st.get('_parameters', {}).items():
        if t is not None:
            out[prefix + name] = t
    for name, t in st.get('_buffers', {}).items():
        if t is not None and name not in non_persistent:
            out[prefix + name] = t
    for name, child in st.get('_modules', {}).items():
        if child is None:
            continue
        if not isinstance(child, PersistentObject):
            raise ValueError(f'submodule {prefix + name} is not a persistent module')
        out.update(state_dict(child, prefix + name + '.'))
    return out


def _as_float32(t):
    if t.kind == 'BFloat16Storage':
        return (t.array.astype('<u4') << 16).view('<f4')
    if t.array.dtype.kind != 'f':
        raise ValueError(f'non-floating tensor of storage type {t.kind}')
    return np.array(t.array, dtype='<f4', order='C')  # (np.ascontiguousarray would make 0-d arrays 1-d)


# ---------------------------------------------------------------------------------------------
# init_kwargs, with the constructor defaults the pickle's own source declares

# networks_stylegan2.Generator(**synthesis_kwargs) (stylegan3 repo) or networks.Generator(synthesis_kwargs={})
# (stylegan2-ada repo) -> SynthesisNetwork(..., **block_kwargs) -> SynthesisBlock(...)
SYNTHESIS_KEYS = ['channel_base', 'channel_max', 'num_fp16_res', 'conv_clamp', 'architecture', 'resample_filter']
MAPPING_KEYS = ['num_layers', 'lr_multiplier', 'w_avg_beta']
_NO_DEFAULT = object()


def constructor_signature(module_src, class_name):
    """(positional parameter names, {name: default}) of `class_name.__init__` in the embedded
    source, read with ast (never run). Defaults that are not literals map to _NO_DEFAULT."""
    def literal(node):
        try:
            return ast.literal_eval(node)
        except ValueError:
            return _NO_DEFAULT

    for node in ast.walk(ast.parse(module_src)):
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            for fn in node.body:
                if isinstance(fn, ast.FunctionDef) and fn.name == '__init__':
                    args = fn.args.args[1:]  # drop self
                    named = args[len(args) - len(fn.args.defaults):]
                    defaults = {a.arg: literal(d) for a, d in zip(named, fn.args.defaults)}
                    defaults.update({a.arg: literal(d) for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults) if d is not None})
                    return [a.arg for a in args], defaults
    raise ValueError(f'class {class_name} not found in the embedded module source (not a StyleGAN2 generator?)')


def resolve_init_kwargs(g):
    """The Generator's constructor arguments in the flat networks_stylegan2 form: positional
    arguments named, an ADA-style nested `synthesis_kwargs` lifted to the top level, and the
    synthesis / mapping defaults filled in from the constructors' declared defaults."""
    src = g.meta['module_src']
    gen_args, _ = constructor_signature(src, 'Generator')
    kwargs = dict(zip(gen_args, g.state.get('_init_args') or ()))
    kwargs.update(g.state.get('_init_kwargs') or {})
    kwargs.update(kwargs.pop('synthesis_kwargs', None) or {})

    _, net_defaults = constructor_signature(src, 'SynthesisNetwork')
    _, block_defaults = constructor_signature(src, 'SynthesisBlock')
    for key in SYNTHESIS_KEYS:
        if key not in kwargs:
            kwargs[key] = net_defaults.get(key, block_defaults.get(key, _NO_DEFAULT))
    mapping = dict(kwargs.get('mapping_kwargs') or {})
    _, mapping_defaults = constructor_signature(src, 'MappingNetwork')
    for key in MAPPING_KEYS:
        mapping.setdefault(key, mapping_defaults.get(key, _NO_DEFAULT))
    kwargs['mapping_kwargs'] = mapping
    missing = [k for k, v in list(kwargs.items()) + list(mapping.items()) if v is _NO_DEFAULT]
    if missing:
        raise ValueError(f'cannot resolve constructor defaults for {missing}')
    _check_against_modules(g, kwargs)
    return kwargs


def _check_against_modules(g, kwargs):
    """The constructed modules record some of these values; they must agree with the resolution."""
    syn = g.state['_modules']['synthesis']
    mapping = g.state['_modules']['mapping']
    b4 = syn.state['_modules'].get('b4')
    if b4 is None:
        raise ValueError('synthesis network has no b4 block: not a StyleGAN2 generator')
    checks = [
        ('num_fp16_res', syn.state.get('num_fp16_res'), kwargs['num_fp16_res']),
        ('conv_clamp', b4.state['_modules']['conv1'].state.get('conv_clamp'), kwargs['conv_clamp']),
        ('architecture', b4.state.get('architecture'), kwargs['architecture']),
        ('mapping_kwargs.num_layers', mapping.state.get('num_layers'), kwargs['mapping_kwargs']['num_layers']),
        ('mapping_kwargs.w_avg_beta', mapping.state.get('w_avg_beta'), kwargs['mapping_kwargs']['w_avg_beta']),
    ]
    for name, actual, resolved in checks:
        if actual is not None and actual != resolved:
            raise ValueError(f'{name}: resolved {resolved!r} but the pickled module holds {actual!r}')


def _jsonable(x):
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, (tuple, set)):
        return list(x)
    raise TypeError(f'cannot store {type(x).__name__} in init_kwargs')


# ---------------------------------------------------------------------------------------------

def load_network(path_or_file, key='G_ema'):
    """Returns (tensors: OrderedDict name -> float32 ndarray in state_dict order, init_kwargs)."""
    if isinstance(path_or_file, (str, os.PathLike)):
        with open(path_or_file, 'rb') as f:
            data = NetworkUnpickler(f).load()
    else:
        data = NetworkUnpickler(path_or_file).load()
    if not isinstance(data, dict) or key not in data:
        keys = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise KeyError(f'network pickle has no {key!r} (has {keys})')
    g = data[key]
    if not isinstance(g, PersistentObject) or g.class_name != 'Generator':
        raise ValueError(f'{key} is not a persistent Generator')
    tensors = collections.OrderedDict((name, _as_float32(t)) for name, t in state_dict(g).items())
    return tensors, resolve_init_kwargs(g)


def write_safetensors(path, tensors, metadata):
    header = {'__metadata__': metadata}
    offset = 0
    names = sorted(tensors)
    for name in names:
        a = tensors[name]
        header[name] = {'dtype': 'F32', 'shape': list(a.shape), 'data_offsets': [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for name in names:
            f.write(np.asarray(tensors[name], dtype='<f4').tobytes(order='C'))


def convert(pkl_path, out_path, key='G_ema'):
    tensors, init_kwargs = load_network(pkl_path, key)
    metadata = {
        'format': 'pt',
        'source': os.path.basename(pkl_path),
        'key': key,
        'layout': 'nvidia',
        'init_kwargs': json.dumps(init_kwargs, default=_jsonable),
    }
    write_safetensors(out_path, tensors, metadata)
    return tensors, init_kwargs


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('input', help='network pickle (.pkl)')
    p.add_argument('output', help='output .safetensors')
    p.add_argument('--key', default='G_ema', help='which network of the pickle to convert (default G_ema)')
    args = p.parse_args(argv)
    try:
        tensors, init_kwargs = convert(args.input, args.output, args.key)
    except (pickle.UnpicklingError, KeyError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    total = sum(a.size for a in tensors.values())
    print(f'{args.output}: {len(tensors)} tensors, {total:,} floats; init_kwargs {json.dumps(init_kwargs, default=_jsonable)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
