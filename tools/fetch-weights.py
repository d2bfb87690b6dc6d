#!/usr/bin/env python3
"""make weights: the official FFHQ files of weights/manifest.json into the model set weights/ffhq/.

Downloads what has a URL, checks SHA-256 / git blob ids / sizes where the publishers give them, converts to the model
set layout with python3-torch (no pickle from the files is executed outside torch.load's restricted unpickler for the
checkpoints, which are plain tensor dicts), and records every file with `stylebridge models record`. Files without a
URL (Google Drive) are used when placed in weights/ffhq/ by hand. Without network it says so in one line and stops.
"""
import hashlib
import json
import os
import struct
import subprocess
import sys
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "weights", "ffhq")


def online(url):
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=5)
        return True
    except Exception:
        return False


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def git_blob_sha1(path):
    size = os.path.getsize(path)
    h = hashlib.sha1(f"blob {size}\0".encode())
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_safetensors(path, tensors, metadata=None):
    """Our own minimal safetensors writer (sorted names, 8-byte aligned header)."""
    import torch
    dtypes = {torch.float32: "F32", torch.float16: "F16", torch.float64: "F64", torch.int64: "I64"}
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        data = t.numpy().tobytes()
        header[name] = {"dtype": dtypes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(path + ".tmp", path)


def record(file, command):
    cli = ["dotnet", os.path.join(ROOT, "src/StyleBridge.Cli/bin/Release/net10.0/stylebridge.dll")]
    subprocess.run(cli + ["models", "record", "--file", os.path.join(OUT, file), "--command", command], check=True)


def main():
    manifest = json.load(open(os.path.join(ROOT, "weights", "manifest.json")))
    files = manifest["files"]
    first = next(f["url"] for f in files if f["url"])
    if not online(first):
        print("make weights: no network here (cannot reach the publishers' servers); run it on a connected machine, see docs/deploy.md")
        return 1
    os.makedirs(OUT, exist_ok=True)
    for f in files:
        path = os.path.join(OUT, f["name"])
        if f["url"] and not os.path.exists(path):
            print(f"downloading {f['name']} ...", flush=True)
            urllib.request.urlretrieve(f["url"], path + ".part")
            os.replace(path + ".part", path)
        if not os.path.exists(path):
            print(f"skipping {f['name']}: {f['check']}")
            continue
        if f.get("sha256") and sha256(path) != f["sha256"]:
            sys.exit(f"{f['name']}: SHA-256 mismatch, delete it and retry")
        if f.get("git_blob_sha1") and git_blob_sha1(path) != f["git_blob_sha1"]:
            sys.exit(f"{f['name']}: git blob id mismatch, delete it and retry")
        if f.get("size") and os.path.getsize(path) != f["size"]:
            sys.exit(f"{f['name']}: size {os.path.getsize(path)} != {f['size']}")

    import torch
    def have(name):
        return os.path.exists(os.path.join(OUT, name))

    if have("ViT-B-32.pt"):
        state = torch.jit.load(os.path.join(OUT, "ViT-B-32.pt"), map_location="cpu").state_dict()
        save_safetensors(os.path.join(OUT, "clip.safetensors"), dict(state))
        record("clip.safetensors", "tools/fetch-weights.py: ViT-B-32.pt (TorchScript) state dict")
    if have("bpe_simple_vocab_16e6.txt.gz"):
        record("bpe_simple_vocab_16e6.txt.gz", "tools/fetch-weights.py: openai/CLIP vocabulary")
    if have("stylegan2-ffhq-1024x1024.pkl"):
        subprocess.run([sys.executable, os.path.join(ROOT, "weights", "convert_nvidia_pkl.py"),
                        os.path.join(OUT, "stylegan2-ffhq-1024x1024.pkl"), os.path.join(OUT, "stylegan2.safetensors")], check=True)
        record("stylegan2.safetensors", "weights/convert_nvidia_pkl.py stylegan2-ffhq-1024x1024.pkl")
    if have("ffhq-sg2-510.ckpt"):
        ckpt = torch.load(os.path.join(OUT, "ffhq-sg2-510.ckpt"), map_location="cpu", weights_only=True)["state_dict"]
        prefix = "ema_diffusion_prior.ema_model."
        save_safetensors(os.path.join(OUT, "prior.safetensors"), {k[len(prefix):]: v for k, v in ckpt.items() if k.startswith(prefix)},
                         {"latent_repeats": "18"})
        record("prior.safetensors", "tools/fetch-weights.py: ffhq-sg2-510.ckpt EMA copy")
    if have("net_face.pth"):
        state = torch.load(os.path.join(OUT, "net_face.pth"), map_location="cpu", weights_only=True)
        save_safetensors(os.path.join(OUT, "deltaedit.safetensors"), state)
        record("deltaedit.safetensors", "tools/fetch-weights.py: net_face.pth")
    if have("fs3.npy") and have("stylegan2.safetensors") and have("clip.safetensors"):
        cli = ["dotnet", os.path.join(ROOT, "src/StyleBridge.Cli/bin/Release/net10.0/stylebridge.dll")]
        subprocess.run(cli + ["train", "directions", "--models", OUT, "--fs3", os.path.join(OUT, "fs3.npy"),
                              "--out", os.path.join(OUT, "directions.safetensors")], check=True)
    print(f"weights: model set in {OUT}; serve it with StyleBridge__ModelsDirectory={OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
