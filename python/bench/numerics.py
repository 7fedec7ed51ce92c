"""Throughput of accelsim.cast / encode / decode on numpy arrays (one thread).

Run: python python/bench/numerics.py [N]   (N values per call, default 4 Mi)
Prints the median of 15 calls per (function, format) in millions of values per second.
"""

import statistics
import sys
import time

import numpy as np

import accelsim

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1 << 22
FORMATS = ["float8_e4m3fn", "float8_e5m2", "int8", "uint8", "int4", "fp16"]


def median_rate(fn, n, reps=15):
    fn()  # warm-up: page in the output, build tables
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return n / statistics.median(times) / 1e6


def main():
    x = np.random.default_rng(0).standard_normal(N).astype(np.float32) * 4
    print(f"N = {N} float32 values, median of 15 calls, M values/s")
    print(f"{'format':16} {'cast':>8} {'encode':>8} {'decode':>8}")
    for f in FORMATS:
        codes = accelsim.encode(x, f)
        c = median_rate(lambda: accelsim.cast(x, f), N)
        e = median_rate(lambda: accelsim.encode(x, f), N)
        d = median_rate(lambda: accelsim.decode(codes, f), N)
        print(f"{f:16} {c:8.0f} {e:8.0f} {d:8.0f}")


if __name__ == "__main__":
    main()
