"""Writes the weight-file fixtures of the Serialization tests into the folder given as argv[1].

Run by the tests with /usr/bin/python3 (which has torch). Every `.pt` case comes with the expected
tensors as C-order `.npy` files (`<case>.<name>.npy`; bfloat16 widened to float32, bool as uint8),
written by numpy, so the C# readers are checked against Python's own view of the data.
"""
import argparse
import collections
import json
import os
import pickle
import sys
import zipfile

import numpy as np
import torch

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def path(name):
    return os.path.join(out, name)


def expect(case, tensors):
    for name, t in tensors.items():
        t = t.detach()
        if t.dtype == torch.bfloat16:
            t = t.float()
        a = t.contiguous().numpy()
        if a.dtype == np.bool_:
            a = a.astype(np.uint8)
        np.save(path(f"{case}.{name}.npy"), a)


g = torch.Generator().manual_seed(7)
base = torch.randn(4, 6, generator=g)
square = torch.randn(3, 5, generator=g)

# Views, offsets, strides and every supported dtype, in one archive sharing storages.
tensors = collections.OrderedDict()
tensors["half"] = torch.randn(3, 5, generator=g).half()
tensors["view"] = base[1:, ::2]  # storage offset 6, strides (6, 2)
tensors["row3"] = base[3]  # same storage, offset 18
tensors["base"] = base
tensors["transposed"] = square.t()  # not contiguous
tensors["half_view"] = tensors["half"][:, 1:4]
tensors["bf16"] = torch.randn(2, 3, generator=g).bfloat16()
tensors["f64"] = torch.randn(5, generator=g).double()
tensors["i64"] = torch.tensor([[-(2**40), 3], [7, 2**62]], dtype=torch.int64)
tensors["i32"] = torch.tensor([-5, 6, 2**31 - 1], dtype=torch.int32)
tensors["i16"] = torch.tensor([-300, 300], dtype=torch.int16)
tensors["i8"] = torch.tensor([-128, 127], dtype=torch.int8)
tensors["u8"] = torch.tensor([0, 255, 17], dtype=torch.uint8)
tensors["bool"] = torch.tensor([True, False, True])
tensors["scalar"] = torch.tensor(2.5)
tensors["empty"] = torch.zeros(0, 3)
tensors["expanded"] = torch.arange(3.0).expand(2, 3)  # stride 0
torch.save(tensors, path("views.pt"))
expect("views", tensors)
with open(path("views.names.json"), "w") as f:
    json.dump(list(tensors.keys()), f)

# The same state dict with pickle protocols 4 and 5 (FRAME, SHORT_BINUNICODE, STACK_GLOBAL, MEMOIZE).
torch.save(tensors, path("views_proto4.pt"), pickle_protocol=4)
torch.save(tensors, path("views_proto5.pt"), pickle_protocol=5)


# A training checkpoint with entries that are not tensors, like rosinality's train.py writes.
class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 3)
        self.register_buffer("kernel", torch.tensor([1.0, 3.0, 3.0, 1.0]))
        self.register_buffer("scratch", torch.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc(x) * self.kernel.sum()


torch.manual_seed(3)
model = Tiny()
optim = torch.optim.Adam(model.parameters(), lr=0.002)
model(torch.randn(2, 4)).sum().backward()
optim.step()
args = argparse.Namespace(size=32, lr=0.002, names=["a", "b"], nested={"k": 1}, flag=True)
ckpt = {
    "g_ema": model.state_dict(),
    "args": args,
    "optim": optim.state_dict(),
    "latent_avg": torch.randn(8),
    "step": 5,
    "pi": 3.25,
    "big": 2**70,
    "neg": -5,
    "name": "tiny",
    "blob": b"abc",
    "none": None,
    "pair": (1, "a"),
    "device": torch.device("cuda", 0),
    "dtype": torch.float16,
}
torch.save(ckpt, path("namespace.pt"))
expect("namespace", {f"g_ema.{k}": v for k, v in model.state_dict().items()})
expect("namespace", {"latent_avg": ckpt["latent_avg"]})


# Whole modules (torch.save(model)), alone and inside a dict.
torch.save(model, path("whole_module.pt"))
torch.save({"model": model, "epoch": 3}, path("whole_module_in_dict.pt"))
with open(path("whole_module.names.json"), "w") as f:
    json.dump(list(model.state_dict().keys()), f)

# A pickled call that would run a shell command if anything executed it.
class Evil:
    def __reduce__(self):
        return (os.system, ("touch " + path("pwned"),))


torch.save({"weight": torch.ones(2), "evil": Evil()}, path("evil.pt"))

# TorchScript: nested modules, a Sequential, buffers of several dtypes, a scalar int buffer.
class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = torch.nn.LayerNorm(4)
        self.mlp = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 4))
        self.register_buffer("steps", torch.tensor(3, dtype=torch.int64))

    def forward(self, x):
        return x + self.mlp(self.norm(x))


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.tensor(0.5))
        self.embed = torch.nn.Embedding(10, 4)
        self.blocks = torch.nn.ModuleList([Block(), Block()])
        self.head = torch.nn.Linear(4, 2, bias=False)
        self.register_buffer("mask", torch.ones(4, dtype=torch.bool))

    def forward(self, ids):
        x = self.embed(ids) * self.scale
        for b in self.blocks:
            x = b(x)
        return self.head(x * self.mask)


torch.manual_seed(5)
net = Net().eval()
traced = torch.jit.trace(net, torch.tensor([[1, 2, 3]]))
traced.save(path("traced.pt"))
loaded = torch.jit.load(path("traced.pt"))
state = loaded.state_dict()
with open(path("traced.names.json"), "w") as f:
    json.dump(list(state.keys()), f)
expect("traced", state)
scripted = torch.jit.script(net)
scripted.save(path("scripted.pt"))
with open(path("scripted.names.json"), "w") as f:
    json.dump(list(torch.jit.load(path("scripted.pt")).state_dict().keys()), f)

# Refusals.
torch.save({"w": torch.ones(3)}, path("legacy.pt"), _use_new_zipfile_serialization=False)
with open(path("plain.pkl"), "wb") as f:
    pickle.dump({"w": [1.0, 2.0]}, f, protocol=4)


def rewrite(src, dst, compression=zipfile.ZIP_STORED, extra=None, only_data_deflated=False):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        names = zin.namelist()
        prefix = names[0].split("/")[0]
        for name in names:
            method = compression
            if only_data_deflated and "/data/" not in name:
                method = zipfile.ZIP_STORED
            zout.writestr(zipfile.ZipInfo(name), zin.read(name), compress_type=method)
        for name, data in (extra or {}).items():
            zout.writestr(f"{prefix}/{name}", data)


# Storages compressed with deflate (torch itself always stores), and odd data offsets.
rewrite(path("views.pt"), path("deflated.pt"), only_data_deflated=True, compression=zipfile.ZIP_DEFLATED)
rewrite(path("views.pt"), path("unaligned.pt"))  # Python's zipfile does not align members
rewrite(path("views.pt"), path("bigendian.pt"), extra={"byteorder": b"big"})
rewrite(path("views.pt"), path("littleendian.pt"), extra={"byteorder": b"little"})

# NumPy files for the .npy reader.
arr32 = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
np.save(path("f32.npy"), arr32)
np.save(path("f64.npy"), (np.arange(6, dtype=np.float64) - 2.5) / 3)
np.save(path("scalar.npy"), np.float32(1.5))
np.save(path("fortran.npy"), np.asfortranarray(arr32))
np.save(path("bigendian.npy"), arr32.astype(">f4"))
np.save(path("objects.npy"), np.array([{"a": 1}], dtype=object), allow_pickle=True)
# a version 2.0 header
with open(path("v2.npy"), "wb") as f:
    np.lib.format.write_array(f, arr32, version=(2, 0))

print("ok")
