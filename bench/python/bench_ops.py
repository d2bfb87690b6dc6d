#!/usr/bin/python3
"""Reference timings of two libtorch kernels on CPU, float32, for comparison with the C# binding.

Prints one JSON line per op: {"name", "gflops", "seconds"} where seconds is the median of --iters
timed runs after warm-up.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F


def median_seconds(fn, iters, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def report(name, flops, seconds, **extra):
    print(json.dumps({'name': name, 'gflops': round(flops / seconds / 1e9, 3), 'seconds': seconds, **extra}), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--threads', type=int, default=torch.get_num_threads())
    p.add_argument('--iters', type=int, default=10)
    p.add_argument('--warmup', type=int, default=3)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)

    with torch.inference_mode():
        n = 1024
        a, b = torch.randn(n, n, generator=g), torch.randn(n, n, generator=g)
        s = median_seconds(lambda: torch.matmul(a, b), args.iters, args.warmup)
        report(f'matmul-{n}', 2 * n ** 3, s, threads=args.threads)

        x = torch.randn(1, 512, 64, 64, generator=g)
        w = torch.randn(512, 512, 3, 3, generator=g)
        s = median_seconds(lambda: F.conv2d(x, w, padding=1), args.iters, args.warmup)
        report('conv2d-512x512-3x3-64', 2 * 512 * 512 * 9 * 64 * 64, s, threads=args.threads)


if __name__ == '__main__':
    main()
