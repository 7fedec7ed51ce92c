#!/usr/bin/env python3
"""Reference for benches/func.rs: numpy float32 matmul throughput (GMAC/s) on this machine,
using numpy's BLAS with its default threads (all cores). Usage: python3 benches/numpy_matmul.py"""
import time

import numpy as np

rng = np.random.default_rng(0)
print("numpy", np.__version__)
for n in (256, 512, 1024):
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    a @ b  # warm up
    times = []
    for _ in range(30):
        t0 = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t0)
    times.sort()
    best, med = times[0], times[len(times) // 2]
    print(
        f"float32 {n}x{n}x{n}: median {med * 1e3:.2f} ms = {n**3 / med / 1e9:.1f} GMAC/s,"
        f" best {best * 1e3:.2f} ms = {n**3 / best / 1e9:.1f} GMAC/s"
    )
