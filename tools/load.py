#!/usr/bin/env python3
"""make load: a bounded load generator against the service on loopback (started by the Makefile target).

For /generate (1 image, 16 candidates, random seeds, cache bypassed): throughput and p50/p95/p99 latency at each
concurrency; the batching gain (throughput at 16 over 1); the server's RSS before and after many small requests; and
a burst beyond the queue's capacity (503s, RSS after). The RSS check follows a warm-up of small requests that fills
the service's bounded job store. Prints one line per figure, with the CPU's name.
"""
import concurrent.futures
import json
import os
import random
import statistics
import sys
import time
import urllib.error
import urllib.request

URL = os.environ.get("STYLEBRIDGE_URL", "http://127.0.0.1:8099")
PID = int(os.environ["STYLEBRIDGE_PID"]) if os.environ.get("STYLEBRIDGE_PID") else None


def post(body, prefer=None):
    data = json.dumps(body).encode()
    request = urllib.request.Request(URL + "/generate", data=data, headers={"Content-Type": "application/json"})
    if prefer:
        request.add_header("Prefer", prefer)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as e:
        e.read()
        status = e.code
    return status, time.perf_counter() - started


def rss_mib():
    if PID is None:
        return float("nan")
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def metrics(*names):
    """Sums of the named Prometheus series (over their labels) at /metrics, e.g. live tensors and the GC heap."""
    try:
        with urllib.request.urlopen(URL + "/metrics", timeout=30) as response:
            text = response.read().decode()
    except OSError:
        return {}
    sums = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name = line.split("{", 1)[0].split(" ", 1)[0]
        for wanted in names:
            if name.startswith(wanted):
                try:
                    sums[name] = sums.get(name, 0.0) + float(line.rsplit(" ", 1)[1] if "}" not in line else line.rsplit("}", 1)[1].split()[0])
                except ValueError:
                    pass
    return sums


MEMORY_SERIES = ("torch_live_tensors", "dotnet_gc_last_collection_heap_size", "dotnet_gc_heap_total_allocated",
                 "process_runtime_dotnet_gc_heap_size", "process_runtime_dotnet_gc_committed_memory_size")


def cpu_name():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


def level(concurrency, requests, candidates=16):
    bodies = [{"prompt": "a blue square on the left", "num_images": 1, "num_candidates": candidates,
               "seed": random.randrange(1 << 40), "cache": "bypass"} for _ in range(requests)]
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(post, bodies))
    wall = time.perf_counter() - started
    latencies = sorted(t for s, t in results if s == 200)
    ok = len(latencies)
    q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else float("nan")
    return ok / wall, q(0.50), q(0.95), q(0.99), ok, len(results)


def main():
    counts = {1: 16, 4: 32, 16: 64, 64: 128}
    small = int(os.environ.get("LOAD_SMALL_REQUESTS", "10000"))
    print(f"load: {URL}, {cpu_name()}, {os.cpu_count()} cores")
    post({"prompt": "warm up", "num_candidates": 16, "cache": "bypass"})
    throughput = {}
    for c, n in counts.items():
        rps, p50, p95, p99, ok, total = level(c, n)
        throughput[c] = rps
        print(f"concurrency {c:>2}: {rps:6.2f} requests/s ({rps * 16:7.1f} candidates/s), p50 {p50 * 1000:7.0f} ms, "
              f"p95 {p95 * 1000:7.0f} ms, p99 {p99 * 1000:7.0f} ms, {ok}/{total} ok")
    print(f"batching gain at concurrency 16 over 1: {throughput[16] / throughput[1]:.2f}x (target >= 3x)")

    def small_request(i):
        return post({"prompt": "a red circle", "num_candidates": 1, "seed": i, "cache": "bypass"})[0]

    # The service keeps the last MaxRetainedJobs (1000) finished jobs for GET /jobs/{id}: a leak check starts once that
    # store is full and the small requests' batch shapes have been seen, so that bounded filling is not read as growth.
    # The warm-up's own growth is printed too.
    warm = int(os.environ.get("LOAD_SMALL_WARMUP", "2000"))
    start = rss_mib()
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        warm_statuses = list(pool.map(small_request, range(small, small + warm)))
    if warm_statuses.count(200) != warm:
        print(f"warm-up: only {warm_statuses.count(200)} of {warm} small requests answered 200; the RSS check would not mean anything")
        return 1
    before = rss_mib()
    print(f"RSS over a warm-up of {warm} small requests ({warm_statuses.count(200)} ok, filling the job store): "
          f"{start:.0f} MiB -> {before:.0f} MiB ({(before - start) / start * 100:+.1f} %)")
    series_before = metrics(*MEMORY_SERIES)
    trace = []
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        def traced(i):
            if i % 2000 == 0:
                trace.append((i, rss_mib()))
            return small_request(i)
        statuses = list(pool.map(traced, range(small)))
    after = rss_mib()
    series_after = metrics(*MEMORY_SERIES)
    print(f"RSS over {small} small requests after it ({statuses.count(200)} ok): {before:.0f} MiB -> {after:.0f} MiB "
          f"({(after - before) / before * 100:+.1f} %, target < 5 %); from before the warm-up "
          f"{(after - start) / start * 100:+.1f} %; on the way: "
          + ", ".join(f"{r:.0f} MiB at {i}" for i, r in sorted(trace)))
    for name in sorted(set(series_before) | set(series_after)):
        print(f"  {name}: {series_before.get(name, float('nan')):.0f} -> {series_after.get(name, float('nan')):.0f}")

    burst = 600
    with concurrent.futures.ThreadPoolExecutor(64) as pool:
        codes = list(pool.map(lambda i: post({"prompt": "a shape", "num_candidates": 16, "seed": i, "cache": "bypass"}, prefer="respond-async")[0], range(burst)))
    time.sleep(2)
    print(f"burst of {burst} async requests of 16 candidates: {codes.count(202)} accepted, {codes.count(503)} refused with 503, "
          f"RSS {rss_mib():.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
